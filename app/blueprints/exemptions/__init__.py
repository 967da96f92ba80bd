"""External users who keep user ID + password login: the clinic requests, the operator decides."""

from flask import Blueprint

bp = Blueprint("exemptions", __name__)

from app.blueprints.exemptions import routes  # noqa: E402,F401
