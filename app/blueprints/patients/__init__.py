"""The clinic's patients: search, the record card (stamkort) and creating patients."""

from flask import Blueprint

bp = Blueprint("patients", __name__, url_prefix="/clinic/patients")

from app.blueprints.patients import routes  # noqa: E402,F401
