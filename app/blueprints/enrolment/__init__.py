"""Clinic enrolment online (PACSKlinikForum) and the invitation links mailed to new staff."""

from flask import Blueprint

bp = Blueprint("enrolment", __name__)

from app.blueprints.enrolment import routes  # noqa: E402,F401
