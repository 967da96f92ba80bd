"""The approval queue: self-registrations waiting for the clinic ("med læge-godkendelse")."""

from flask import Blueprint
from flask_login import current_user

from app.blueprints.auth.access import can, current_clinic

bp = Blueprint("approvals", __name__, url_prefix="/clinic/requests")

from app.blueprints.approvals import routes  # noqa: E402,F401
from app.blueprints.approvals import services as svc  # noqa: E402


def init_app(app) -> None:
    """The badge: the number of pending requests for staff who may handle them."""

    @app.context_processor
    def _badge():
        return {"pending_requests": _PendingBadge()}


class _PendingBadge:
    """The badge's count, queried only when a template shows it (fragments and most pages don't)."""

    def __init__(self):
        self._value = None

    def value(self) -> int:
        if self._value is None:
            clinic = current_clinic() if current_user.is_authenticated else None
            self._value = svc.pending_count(clinic.id) if clinic is not None and can("patients") else 0
        return self._value

    def __bool__(self) -> bool:
        return bool(self.value())

    def __int__(self) -> int:
        return self.value()

    def __str__(self) -> str:
        return str(self.value())

    def __eq__(self, other) -> bool:
        return self.value() == other

    __hash__ = None
