"""Views of password exemptions: the clinic's form and list, and the password link."""

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.exemptions import bp
from app.blueprints.exemptions import services as svc
from app.blueprints.exemptions.forms import ExemptionRequestForm, role_labels
from app.core.web import is_fragment_request, redirect_303, render_page


def _clinic_page(form=None, status=200, notice=None, error=None):
    clinic = current_clinic()
    return render_page("exemptions/index.html", clinic=clinic,
                       form=form or ExemptionRequestForm(formdata=None),
                       rows=svc.clinic_exemptions(clinic.id), roles=role_labels(), notice=notice,
                       error=error,
                       status=status, push_url=url_for("exemptions.index") if notice else None)


def _done(message: str):
    """After a valid POST: htmx gets the page with the notice, plain browsers a 303."""
    if is_fragment_request():
        return _clinic_page(notice=message)
    flash(message, "success")
    return redirect_303(url_for("exemptions.index"))


@bp.route("/clinic/exemptions", methods=["GET", "POST"])
@require_permission("exemptions")
def index():
    """The clinic's external users: request an exemption, see the requests, withdraw."""
    form = ExemptionRequestForm()
    if not form.is_submitted():
        return _clinic_page()
    if not form.validate():
        return _clinic_page(form, 422)
    try:
        svc.request_exemption(
            clinic_id=current_clinic().id, requested_by_id=current_user.user.id,
            name=form.name.data, email=form.email.data, organisation=form.organisation.data,
            role=form.role.data, reason=form.reason.data)
    except svc.ExemptionError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return _clinic_page(form, 422)
    return _done(_("Anmodningen er sendt til driften."))


@bp.post("/clinic/exemptions/<int:exemption_id>/withdraw")
@require_permission("exemptions")
def withdraw(exemption_id: int):
    """Træk tilbage: the external user loses password login (pending requests are cancelled)."""
    row = svc.get_clinic_exemption(current_clinic().id, exemption_id) or abort(404)
    try:
        svc.withdraw_exemption(row, actor_id=current_user.user.id)
    except svc.ExemptionError as exc:
        return _clinic_page(status=409, error=str(exc))
    return _done(_("Undtagelsen er trukket tilbage."))
