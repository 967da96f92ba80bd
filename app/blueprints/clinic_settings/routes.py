"""View of the Klinik tab (clinic administrators only)."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.clinic_settings import bp
from app.blueprints.clinic_settings import services as svc
from app.blueprints.clinic_settings.forms import ClinicSettingsForm
from app.core.web import redirect_303, render_page


def _initial(clinic) -> dict:
    data = {"self_registration": clinic.self_registration, "phone": clinic.phone,
            "email": clinic.email, "address": clinic.address}
    for kind, link in svc.service_links(clinic.id).items():
        data[f"{kind}_enabled"], data[f"{kind}_url"] = link.enabled, link.url
    return data


@bp.route("/", methods=["GET", "POST"])
@require_permission("clinic_settings")
def index():
    """Self-registration mode, service links and contact details."""
    clinic = current_clinic()
    form = ClinicSettingsForm(data=_initial(clinic))
    if form.validate_on_submit():
        links = {kind: (form[f"{kind}_enabled"].data, form[f"{kind}_url"].data)
                 for kind in svc.SERVICE_KINDS}
        svc.save_settings(clinic, staff_user_id=current_user.user.id,
                          self_registration=form.self_registration.data, phone=form.phone.data,
                          email=form.email.data, address=form.address.data, links=links)
        flash(_("Klinikkens indstillinger er gemt."), "success")
        return redirect_303(url_for("clinic_settings.index"))
    return render_page("clinic_settings/index.html", form=form, clinic=clinic,
                       status=422 if form.is_submitted() else 200)
