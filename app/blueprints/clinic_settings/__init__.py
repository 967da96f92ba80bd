"""The Klinik tab: self-registration mode, the portal's service links, contact details."""

from flask import Blueprint

bp = Blueprint("clinic_settings", __name__, url_prefix="/clinic/settings")

from app.blueprints.clinic_settings import routes  # noqa: E402,F401
