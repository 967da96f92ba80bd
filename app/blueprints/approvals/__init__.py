"""The approval queue: self-registrations waiting for the clinic ("med læge-godkendelse")."""


from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import select

from app import cpr
from app.blueprints.auth.access import can, current_clinic, require_permission
from app.blueprints.portal import accounts
from app.db import get_session
from app.mailer import MailNotSent
from app.models import PortalUser, RegistrationRequest
from app.web import redirect_303, render_page

bp = Blueprint("approvals", __name__, url_prefix="/clinic/requests")


def pending_count(clinic_id: int) -> int:
    """How many requests wait (the navigation's badge)."""
    return get_session().exec(select(func.count()).select_from(RegistrationRequest).where(
        RegistrationRequest.clinic_id == clinic_id,
        RegistrationRequest.status == "pending")).one()


def _requests(clinic_id: int, pending: bool) -> list[tuple[RegistrationRequest, PortalUser]]:
    query = (select(RegistrationRequest, PortalUser)
             .join(PortalUser, RegistrationRequest.portal_user_id == PortalUser.id)
             .where(RegistrationRequest.clinic_id == clinic_id))
    if pending:
        query = query.where(RegistrationRequest.status == "pending").order_by(
            RegistrationRequest.created_at)
    else:
        query = query.where(RegistrationRequest.status != "pending").order_by(
            RegistrationRequest.decided_at.desc()).limit(20)
    return list(get_session().exec(query))


@bp.get("/")
@require_permission("patients")
def index():
    """Pending requests with the data the patient gave, and the latest decisions."""
    clinic = current_clinic()
    return render_page("approvals/index.html", pending=_requests(clinic.id, True),
                       decided=_requests(clinic.id, False),
                       masked=lambda encrypted: cpr.mask(cpr.reveal(encrypted)))


@bp.post("/<int:request_id>/<decision>")
@require_permission("patients")
def decide(request_id: int, decision: str):
    """Godkend or Afvis (with an optional reason); the patient is e-mailed either way."""
    if decision not in ("accept", "reject"):
        abort(404)
    try:
        accounts.decide_registration_request(
            request_id=request_id, clinic_id=current_clinic().id, accept=decision == "accept",
            reason=request.form.get("reason"), staff_user_id=current_user.user.id)
    except accounts.PortalAccountError as exc:
        if exc.reason == "not_found":
            abort(404)
        flash(_("Anmodningen er allerede behandlet."), "info")
    except MailNotSent:
        get_session().rollback()
        flash(_("Vi kunne ikke sende e-mailen til patienten. Intet er ændret; prøv igen."), "info")
    else:
        flash(_("Anmodningen er godkendt, og patienten har fået besked.") if decision == "accept"
              else _("Anmodningen er afvist, og patienten har fået besked."), "success")
    return redirect_303(url_for("approvals.index"))


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
            self._value = pending_count(clinic.id) if clinic is not None and can("patients") else 0
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
