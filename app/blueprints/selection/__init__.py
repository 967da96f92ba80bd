"""Clinic and function pickers after login (staff at several clinics or in several functions)."""

from flask import Blueprint

bp = Blueprint("selection", __name__, url_prefix="/select")

from app.blueprints.selection import routes  # noqa: E402,F401
