"""The support desk's operator pages: the MitID outage fallback switch and the queues of clinic
enrolments and exemption requests."""

from flask import Blueprint

bp = Blueprint("operator", __name__, url_prefix="/operator")

from app.blueprints.operator import clients, enrolments, exemptions, routes  # noqa: E402,F401
