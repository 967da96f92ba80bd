"""The patient portal (Patientportal) of each clinic: login, registration, the patient's home page."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from app.blueprints.portal import (  # noqa: E402,F401
    routes_front,
    routes_login,
    routes_password,
    routes_register,
)
