"""The support desk's operator pages: the MitID outage fallback switch."""

from flask import Blueprint

bp = Blueprint("operator", __name__, url_prefix="/operator")

from app.blueprints.operator import routes  # noqa: E402,F401
