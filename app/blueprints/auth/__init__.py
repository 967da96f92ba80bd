"""Staff login: MitID through the staff broker (OpenID Connect), logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.blueprints.auth import routes  # noqa: E402,F401
