"""Staff onboarding wizard: the first MitID login links the identity to the existing account."""

from flask import Blueprint

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")

from app.blueprints.onboarding import routes  # noqa: E402,F401
