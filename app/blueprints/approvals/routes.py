"""Views of the approval queue: the waiting requests, and Godkend or Afvis."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import cpr
from app.blueprints.approvals import bp
from app.blueprints.approvals import services as svc
from app.blueprints.auth.access import current_clinic, require_permission
from app.core.db import get_session
from app.core.mailer import MailNotSent
from app.core.web import redirect_303, render_page


@bp.get("/")
@require_permission("patients")
def index():
    """Pending requests with the data the patient gave, and the latest decisions."""
    clinic = current_clinic()
    return render_page("approvals/index.html", pending=svc.requests(clinic.id, pending=True),
                       decided=svc.requests(clinic.id, pending=False),
                       masked=lambda encrypted: cpr.mask(cpr.reveal(encrypted)))


@bp.post("/<int:request_id>/<decision>")
@require_permission("patients")
def decide(request_id: int, decision: str):
    """Godkend or Afvis (with an optional reason); the patient is e-mailed either way."""
    if decision not in ("accept", "reject"):
        abort(404)
    try:
        svc.decide_registration_request(
            request_id=request_id, clinic_id=current_clinic().id, accept=decision == "accept",
            reason=request.form.get("reason"), staff_user_id=current_user.user.id)
    except svc.ApprovalError as exc:
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
