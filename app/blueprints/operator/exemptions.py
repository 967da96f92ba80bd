"""The operator's queue of password exemptions for external users: read one, approve or reject."""

from flask import abort
from flask_babel import gettext as _

from app.blueprints.auth.access import require_operator
from app.blueprints.exemptions import services as svc
from app.blueprints.exemptions.forms import role_labels
from app.blueprints.operator import bp
from app.blueprints.operator.decisions import decision_page
from app.blueprints.operator.forms import DecisionForm
from app.core.db import get_session
from app.core.web import render_page
from app.models import Clinic


@bp.get("/exemptions")
@require_operator
def exemptions():
    """The operator's queue of exemption requests."""
    return render_page("operator/exemptions.html", rows=svc.pending_exemptions(),
                       roles=role_labels())


def _detail(row, form=None, status=200):
    return render_page("operator/exemption.html", row=row,
                       clinic=get_session().get(Clinic, row.clinic_id),
                       existing=svc.existing_account(row) if row.status == "pending" else None,
                       roles=role_labels(), form=form or DecisionForm(formdata=None),
                       status=status)


@bp.route("/exemptions/<int:exemption_id>", methods=["GET", "POST"])
@require_operator
def exemption(exemption_id: int):
    """One request: read it, then approve or reject."""
    return decision_page(
        svc.get_exemption(exemption_id) or abort(404), render=_detail,
        approve=svc.approve_exemption, reject=svc.reject_exemption,
        conflicts=(svc.ExemptionError,),
        approved=_("Anmodningen er godkendt, og den eksterne bruger har fået en e-mail."),
        rejected=_("Anmodningen er afvist."), list_endpoint="operator.exemptions")
