"""The clinic administrator's user overview: who has which functions at the clinic."""

from flask import Blueprint

bp = Blueprint("memberships", __name__, url_prefix="/clinic/memberships")

from app.blueprints.memberships import routes  # noqa: E402,F401
