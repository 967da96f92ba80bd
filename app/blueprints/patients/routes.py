"""Views of the patient list (active search) and the stamkort tabs."""


from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit
from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.patients import bp
from app.blueprints.patients import services as svc
from app.blueprints.patients.forms import CommunicationForm, NewPatientForm, StamdataForm
from app.blueprints.portal import accounts
from app.blueprints.portal import services as portal_svc
from app.core.db import get_session
from app.core.forms import normalise_mobile
from app.core.mailer import MailNotSent
from app.core.web import is_fragment_request, redirect_303, render_page
from app.models import PortalUser, StaffUser

TABS = ("stamdata", "communication", "portal")


@bp.route("/", methods=["GET", "POST"])
@require_permission("patients")
def index():
    """Patient list: search by name or full CPR; htmx gets only the result rows.

    The search form POSTs, so a typed CPR number never lands in a URL, the history or an access
    log; GET with ?q= stays for the page links.
    """
    source = request.form if request.method == "POST" else request.args
    query = source.get("q", "")
    if len(query) > svc.MAX_QUERY_LENGTH:  # refused, not cut: a cut search finds other people
        return _patient_list(query, svc.SearchPage([], 1, False), status=422, query_error=_(
            "Søgningen er for lang. Skriv højst %(count)s tegn.", count=svc.MAX_QUERY_LENGTH))
    result = svc.search_patients(clinic_id=current_clinic().id, query=query,
                                 page=source.get("page", 1, type=int))
    return _patient_list(query, result)


def _patient_list(query: str, result, status: int = 200, query_error: str | None = None):
    """The patient list page, or only its result rows for the active search."""
    block = "results" if is_fragment_request() and request.htmx.target == "patient-results" \
        else "content"
    return render_page("patients/index.html", block=block, status=status, query=query,
                       result=result, masked=svc.masked_cpr, query_error=query_error,
                       max_query_length=svc.MAX_QUERY_LENGTH)


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
        user = portal_svc.find_user(record.cpr_index)
        if user is not None and portal_svc.needs_vouching(user, record) \
                and not portal_svc.email_vouched(user, record):
            flash(_("Bekræft under Patientportal, at brugerens e-mailadresse tilhører patienten."),
                  "info")
            return redirect_303(url_for("patients.portal", record_id=record.id))
        return redirect_303(url_for("patients.communication", record_id=record.id))
    return _card(record, "communication", 422 if form.is_submitted() else 200, form=form)


def portal_state(record) -> dict:
    """What the Patientportal tab shows: the CPR's portal user (if any) and its link here."""
    user = portal_svc.find_user(record.cpr_index)
    vouched_by = get_session().get(StaffUser, record.email_vouched_by) \
        if user is not None and portal_svc.email_vouched(user, record) else None
    return {"user": user, "linked": user is not None and record.portal_user_id == user.id,
            "activated": bool(user and user.activated_at),
            "needs_vouching": user is not None and portal_svc.needs_vouching(user, record),
            "vouched_by": vouched_by}


@bp.get("/<int:record_id>/portal")
@require_permission("patients")
def portal(record_id: int):
    """Patientportal: whether the patient is a portal user and registered here."""
    record = _record(record_id)
    return _card(record, "portal", portal=portal_state(record))


def _portal_action(record_id: int, action):
    """Run one Patientportal action on the record; errors come back on the tab (422)."""
    record = _record(record_id)
    try:
        message = action(record)
    except accounts.PortalAccountError as exc:
        error = {"no_email": _("Patienten skal have en e-mailadresse. Udfyld den under "
                               "Kommunikation."),
                 "no_mitid": _("Sæt først flueben ved 'Patienten har ikke MitID' under "
                               "Kommunikation.")}.get(exc.reason, _("Handlingen kunne ikke "
                                                                    "udføres."))
        return _card(record, "portal", 422, portal=portal_state(record), error=error)
    except MailNotSent:
        get_session().rollback()
        return _card(record, "portal", 503, portal=portal_state(record),
                     error=_("Vi kunne ikke sende e-mailen lige nu. Prøv igen om lidt."))
    flash(message, "success")
    return redirect_303(url_for("patients.portal", record_id=record.id))


@bp.post("/<int:record_id>/portal/create")
@require_permission("patients")
def create_portal_user(record_id: int):
    """Opret som bruger / Tilknyt eksisterende bruger (the CPR decides which)."""
    def act(record):
        link = accounts.create_portal_user_from_record(record=record,
                                                       staff_user_id=current_user.user.id)
        return (_("Patienten er oprettet som bruger, og der er sendt et aktiveringslink.")
                if link.created else _("Patientens eksisterende bruger er tilknyttet klinikken."))
    return _portal_action(record_id, act)


@bp.post("/<int:record_id>/portal/resend")
@require_permission("patients")
def resend_activation(record_id: int):
    """Send aktiveringslink igen (only for a user who has not activated yet)."""
    def act(record):
        user = get_session().get(PortalUser, record.portal_user_id) if record.portal_user_id \
            else None
        if user is None or user.activated_at is not None:
            raise accounts.PortalAccountError("not_found")
        accounts.send_activation_email(portal_user=user, clinic=current_clinic())
        audit.record("activation_link_sent", actor=f"staff:{current_user.user.id}",
                     target_type="portal_user", target_id=user.id, clinic_id=record.clinic_id)
        get_session().commit()
        return _("Aktiveringslinket er sendt igen.")
    return _portal_action(record_id, act)


@bp.post("/<int:record_id>/portal/vouch")
@require_permission("patients")
def vouch_for_email(record_id: int):
    """Bekræft e-mailadressen (or Erstat med stamkortets e-mail) for "Patienten har ikke MitID"."""
    use_card = request.form.get("email") == "card"

    def act(record):
        accounts.vouch_for_email(record=record, staff_user_id=current_user.user.id,
                                 use_card_email=use_card)
        return _("E-mailadressen er bekræftet. Patienten kan nu logge ind med sikkerhedskode.")
    return _portal_action(record_id, act)
