"""The operator's queue of clinic enrolments: read one, then approve or reject it."""

from flask import abort
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.blueprints.auth.access import require_operator
from app.blueprints.enrolment import services as svc
from app.blueprints.operator import bp
from app.blueprints.operator.decisions import decision_page
from app.blueprints.operator.forms import DecisionForm
from app.core.web import render_page


@bp.get("/enrolments")
@require_operator
def enrolments():
    """The operator's queue of clinic enrolments."""
    return render_page("operator/enrolments.html", pending=svc.enrolments(pending=True),
                       decided=svc.enrolments(pending=False))


def _detail(enrolment, form=None, status=200):
    return render_page("operator/enrolment.html", enrolment=enrolment,
                       users=svc.enrolment_users(enrolment),
                       form=form or DecisionForm(formdata=None), status=status)


@bp.route("/enrolments/<int:enrolment_id>", methods=["GET", "POST"])
@require_operator
def enrolment(enrolment_id: int):
    """One enrolment: read it, then approve or reject."""
    return decision_page(
        svc.get_enrolment(enrolment_id) or abort(404), render=_detail,
        approve=svc.approve_enrolment, reject=svc.reject_enrolment,
        conflicts=(svc.EnrolmentError, IntegrityError), conflict_message=_conflict_message,
        approved=_("Tilmeldingen er godkendt. Klinikken er oprettet, og brugerne har fået en "
                   "invitation."),
        rejected=_("Tilmeldingen er afvist."), list_endpoint="operator.enrolments")


def _conflict_message(exc: Exception) -> str:
    """The service's own reason, or a unique-constraint race: someone decided it first."""
    if isinstance(exc, svc.EnrolmentError):
        return str(exc)
    return _("Tilmeldingen er allerede behandlet.")
