"""Views of the patient list (active search) and the stamkort tabs."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.patients import bp
from app.blueprints.patients import services as svc
from app.blueprints.patients.forms import CommunicationForm, NewPatientForm, StamdataForm
from app.forms import normalise_mobile
from app.web import is_fragment_request, redirect_303, render_page

TABS = ("stamdata", "communication", "portal")


@bp.get("/")
@require_permission("patients")
def index():
    """Patient list: search by name or full CPR; htmx gets only the result rows."""
    query = request.args.get("q", "")
    result = svc.search_patients(clinic_id=current_clinic().id, query=query,
                                 page=request.args.get("page", 1, type=int))
    block = "results" if is_fragment_request() and request.htmx.target == "patient-results" \
        else "content"
    return render_page("patients/index.html", block=block, query=query, result=result,
                       masked=svc.masked_cpr)


@bp.route("/new", methods=["GET", "POST"])
@require_permission("patients")
def new():
    """Opret patient: a new stamkort; a CPR the clinic already has opens that card instead."""
    form = NewPatientForm()
    if not form.validate_on_submit():
        return render_page("patients/new.html", form=form, status=422 if form.is_submitted() else 200)
    try:
        record = svc.create_patient(
            clinic_id=current_clinic().id, staff_user_id=current_user.user.id,
            cpr_number=form.cpr.data, first_name=form.first_name.data,
            last_name=form.last_name.data, address=form.address.data,
            postcode=form.postcode.data, city=form.city.data, email=form.email.data,
            mobile=normalise_mobile(form.mobile.data), no_mitid=form.no_mitid.data)
    except svc.DuplicatePatient as dup:
        flash(_("Patienten findes allerede. Her er stamkortet."), "info")
        return redirect_303(url_for("patients.show", record_id=dup.record.id))
    flash(_("Patienten er oprettet."), "success")
    return redirect_303(url_for("patients.show", record_id=record.id))


def _record(record_id: int):
    record = svc.get_patient(clinic_id=current_clinic().id, record_id=record_id)
    if record is None:
        abort(404)
    return record


def _card(record, tab: str, status: int = 200, **ctx):
    """Render one tab of the stamkort (htmx: only the tab panel)."""
    return render_page("patients/show.html", block="tab_panel" if is_fragment_request() else
                       "content", record=record, tab=tab, tabs=TABS,
                       masked=svc.masked_cpr(record), status=status, **ctx)


@bp.route("/<int:record_id>", methods=["GET", "POST"])
@require_permission("patients")
def show(record_id: int):
    """Stamdata: name, CPR (masked until asked) and address."""
    record = _record(record_id)
    form = StamdataForm(obj=record)
    if form.validate_on_submit():
        svc.update_stamdata(record, staff_user_id=current_user.user.id,
                            **{name: form[name].data for name in
                               ("first_name", "last_name", "address", "postcode", "city")})
        flash(_("Stamdata er gemt."), "success")
        return redirect_303(url_for("patients.show", record_id=record.id))
    return _card(record, "stamdata", 422 if form.is_submitted() else 200, form=form)


@bp.post("/<int:record_id>/cpr")
@require_permission("patients")
def reveal_cpr(record_id: int):
    """Vis CPR-nummer: show the full number once (audited); never cached, never in a URL."""
    record = _record(record_id)
    full = svc.reveal_cpr(record, staff_user_id=current_user.user.id)
    return _card(record, "stamdata", form=StamdataForm(obj=record), revealed=full)


@bp.route("/<int:record_id>/communication", methods=["GET", "POST"])
@require_permission("patients")
def communication(record_id: int):
    """Kommunikation: e-mail, mobile and "Patienten har ikke MitID"."""
    record = _record(record_id)
    form = CommunicationForm(obj=record)
    if form.validate_on_submit():
        svc.update_communication(record, staff_user_id=current_user.user.id,
                                 email=form.email.data, mobile=normalise_mobile(form.mobile.data),
                                 no_mitid=form.no_mitid.data)
        flash(_("Kommunikation er gemt."), "success")
        return redirect_303(url_for("patients.communication", record_id=record.id))
    return _card(record, "communication", 422 if form.is_submitted() else 200, form=form)


@bp.get("/<int:record_id>/portal")
@require_permission("patients")
def portal(record_id: int):
    """Patientportal: whether the patient is a portal user and registered here."""
    record = _record(record_id)
    return _card(record, "portal")
