"""Views of Opret bruger: the form, then MitID confirms the identity (own or the guardian's)."""

from flask import redirect, url_for
from flask_babel import gettext as _

from app import cpr
from app.blueprints.portal import bp, mitid, registration
from app.blueprints.portal.forms import ChildRegistrationForm, RegistrationForm
from app.blueprints.portal.pages import clinic_or_404, page
from app.core.clock import today
from app.core.extensions import limiter
from app.core.forms import normalise_mobile
from app.core.web import is_fragment_request, leave, redirect_303


def _closed(clinic):
    """Ingen online selv-oprettelse: the clinic creates its users; contact it."""
    return page("portal/register_closed.html", clinic)


def _details(form) -> dict:
    return {"first_name": form.first_name.data, "last_name": form.last_name.data,
            "email": form.email.data, "password": form.password.data,
            "mobile": normalise_mobile(form.mobile.data) if form.mobile.data else None}


def _invalid(template, clinic, form):
    form.password.data = form.password_confirm.data = ""  # never sent back to the browser
    return page(template, clinic, form=form, status=422)


def _to_mitid(clinic, purpose, ref):
    """Remember the registration, then on to MitID.

    A form's answer may not redirect to another site (CSP form-action), so without JS the
    browser gets a page with a link to MitID; htmx goes there at once (HX-Redirect).
    """
    mitid.remember(purpose=purpose, clinic_key=clinic.key, ref=ref)
    if is_fragment_request():
        return leave(url_for("portal.mitid_continue", clinic_key=clinic.key))
    return redirect_303(url_for("portal.confirm_with_mitid", clinic_key=clinic.key))


@bp.get("/<clinic_key>/opret/mitid")
def confirm_with_mitid(clinic_key: str):
    """Bekræft med MitID: the step between the registration form and MitID."""
    clinic = clinic_or_404(clinic_key)
    flow = mitid.pending_flow(clinic.key)
    if flow is None or flow["purpose"] == "login":
        return redirect(url_for("portal.register", clinic_key=clinic_key))
    return page("portal/confirm_with_mitid.html", clinic, guardian=flow["purpose"] == "guardian")


@bp.get("/<clinic_key>/mitid/fortsaet")
@limiter.limit("30 per minute")
def mitid_continue(clinic_key: str):
    """Fortsæt til MitID with the remembered registration."""
    clinic = clinic_or_404(clinic_key)
    flow = mitid.pending_flow(clinic.key)
    if flow is None:
        return redirect(url_for("portal.front", clinic_key=clinic_key))
    try:
        return mitid.begin(purpose=flow["purpose"], clinic_key=clinic.key, ref=flow["ref"])
    except mitid.UNREACHABLE as exc:
        return mitid.broker_unreachable(exc, clinic.key)


@bp.route("/<clinic_key>/opret", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register(clinic_key: str):
    """Opret ny bruger: the details, then MitID (the CPR from MitID must be the typed one)."""
    clinic = clinic_or_404(clinic_key)
    if clinic.self_registration == "none":
        return _closed(clinic)
    form = RegistrationForm()
    if not form.validate_on_submit():
        if not form.is_submitted():
            return page("portal/register.html", clinic, form=form)
        return _invalid("portal/register.html", clinic, form)
    born = cpr.birth_date(form.cpr.data)
    if cpr.age_on(born, today()) < mitid.MIN_AGE:
        form.cpr.errors = [_("Er du under 15 år, skal en forælder eller værge oprette dig med "
                             "'Opret bruger under 15 år'.")]
        return _invalid("portal/register.html", clinic, form)
    ref = registration.start_registration(cpr=form.cpr.data, born=born, **_details(form))
    return _to_mitid(clinic, "register", ref)


@bp.route("/<clinic_key>/opret-barn", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register_child(clinic_key: str):
    """Opret bruger under 15 år: the child's details, then the parent or guardian's MitID."""
    clinic = clinic_or_404(clinic_key)
    if clinic.self_registration == "none":
        return _closed(clinic)
    form = ChildRegistrationForm()
    if not form.validate_on_submit():
        if not form.is_submitted():
            return page("portal/register_child.html", clinic, form=form)
        return _invalid("portal/register_child.html", clinic, form)
    born = cpr.birth_date(form.child_cpr.data)
    errors = False
    if cpr.age_on(born, today()) >= mitid.MIN_AGE:
        form.child_cpr.errors = [_("Barnet er fyldt 15 år og skal selv oprette sig med "
                                   "'Opret ny bruger' og MitID.")]
        errors = True
    if cpr.age_on(cpr.birth_date(form.guardian_cpr.data), today()) < 18:
        form.guardian_cpr.errors = [_("Forælder/værge skal være fyldt 18 år.")]
        errors = True
    if errors:
        return _invalid("portal/register_child.html", clinic, form)
    ref = registration.start_registration(cpr=form.child_cpr.data, born=born,
                                          guardian_cpr=form.guardian_cpr.data, **_details(form))
    return _to_mitid(clinic, "guardian", ref)
