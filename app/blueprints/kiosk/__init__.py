"""Kiosk mode for a clinic's waiting room: enrolled devices, and nothing left for the next person."""

from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from app.blueprints.kiosk import admin, routes  # noqa: E402,F401
from app.blueprints.kiosk.mode import init_app  # noqa: E402,F401
