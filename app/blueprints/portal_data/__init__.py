"""A patient's own data: the terms they accepted (and can withdraw), and "Mine data" with export."""

from flask import Blueprint

bp = Blueprint("portal_data", __name__, url_prefix="/portal")

from app.blueprints.portal_data import routes  # noqa: E402,F401
