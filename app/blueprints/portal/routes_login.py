"""Views of login: security code (CPR + password, then a code by e-mail) and MitID (citizen broker)."""

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from app import audit, broker_backchannel, email_codes
from app.blueprints.portal import bp, mitid, registration
from app.blueprints.portal import services as svc
from app.blueprints.portal.forms import LoginForm, SecurityCodeForm
from app.blueprints.portal.pages import advance, clinic_or_404, page
from app.blueprints.portal.routes_front import front_page
from app.blueprints.portal.sessions import portal_clinic, start_portal_session
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.extensions import csrf, limiter
from app.core.mailer import MailNotSent
from app.core.web import leave
from app.models import Clinic, PortalUser
from app.oidc import BrokerLogin, LoginFailed, citizen_broker
from app.security import cpr_index

LOGIN_KEY = "portal_login"  # {"user", "clinic", "at", "earlier"}: CPR and password were right; code pending
LOGIN_STEP_SECONDS = 15 * 60


def _refuse(clinic, form, message):
    form.password.data = ""
    form.form_errors.append(message)
    return front_page(clinic, form, 422)


def _send_security_code(user: PortalUser) -> str | None:
    """E-mail a security code; returns the reason it was not sent (cooldown keeps the last one)."""
    result = email_codes.send_code(email=user.email, purpose=svc.SECURITY_CODE_PURPOSE,
                                   template="portal_security_code",
                                   subject=_("Din sikkerhedskode til Patientportalen"))
    return result.reason


@bp.post("/<clinic_key>/log-ind")
@limiter.limit("20 per minute")
def login(clinic_key: str):
    """Log ind med sikkerhedskode, step 1: CPR-nummer + Adgangskode, then a code by e-mail."""
    clinic = clinic_or_404(clinic_key)
    form = LoginForm()
    if not form.validate_on_submit():
        form.password.data = ""
        return front_page(clinic, form, 422)
    user = svc.check_password(cpr_index(form.cpr.data), form.password.data)
    if user is None:
        return _refuse(clinic, form, _("Forkert CPR-nummer eller adgangskode."))
    if not svc.security_code_allowed(user, clinic):
        return _refuse(clinic, form, _(
            "Ved første login skal din identitet bekræftes med MitID. Log ind med MitID. Har du "
            "ikke MitID, så kontakt klinikken, som kan registrere, at du ikke har MitID."))
    try:
        reason = _send_security_code(user)
    except MailNotSent:
        get_session().rollback()
        return _refuse(clinic, form, _("Vi kunne ikke sende e-mailen lige nu. Prøv igen om lidt."))
    if reason == "locked":
        return _refuse(clinic, form, _("For mange forkerte forsøg. Prøv igen senere."))
    # "earlier": no new mail (cooldown), the code sent moments ago still works; the page says so.
    session[LOGIN_KEY] = {"user": user.id, "clinic": clinic.id, "at": int(utcnow().timestamp()),
                          "earlier": reason == "cooldown"}
    url = url_for("portal.security_code", clinic_key=clinic_key)
    return advance(url, lambda push_url: _code_page(clinic, user, push_url=push_url))


def _pending_login(clinic: Clinic) -> PortalUser | None:
    """The user whose CPR and password were right a moment ago at this clinic, or None."""
    state = session.get(LOGIN_KEY) or {}
    fresh = utcnow().timestamp() - state.get("at", 0) < LOGIN_STEP_SECONDS
    if state.get("clinic") != clinic.id or not fresh:
        return None
    return get_session().get(PortalUser, state.get("user"))


def _code_page(clinic, user, form=None, status=200, push_url=None):
    return page("portal/security_code.html", clinic, status=status, push_url=push_url,
                form=form or SecurityCodeForm(formdata=None), address=user.email,
                earlier=(session.get(LOGIN_KEY) or {}).get("earlier", False))


@bp.route("/<clinic_key>/log-ind/sikkerhedskode", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def security_code(clinic_key: str):
    """Log ind med sikkerhedskode, step 2: the Sikkerhedskode from the e-mail."""
    clinic = clinic_or_404(clinic_key)
    user = _pending_login(clinic)
    if user is None:
        return redirect(url_for("portal.front", clinic_key=clinic_key))
    form = SecurityCodeForm()
    if not form.validate_on_submit():
        return _code_page(clinic, user, form, 422 if form.is_submitted() else 200)
    if user.locked_until is not None and user.locked_until > utcnow():
        form.code.errors = [_("For mange forkerte forsøg. Prøv igen senere.")]
        return _code_page(clinic, user, form, 422)
    result = email_codes.verify_code(email=user.email, purpose=svc.SECURITY_CODE_PURPOSE,
                                     code=form.code.data)
    if not result.ok:
        if result.reason == "wrong":
            svc.count_login_failure(user, "security_code")
        form.code.data = ""
        form.code.errors = [{
            "wrong": _("Sikkerhedskoden er forkert. Prøv igen."),
            "expired": _("Sikkerhedskoden er udløbet eller allerede brugt. Log ind igen."),
            "locked": _("For mange forkerte forsøg. Prøv igen senere."),
        }[result.reason]]
        return _code_page(clinic, user, form, 422)
    svc.login_succeeded(user, clinic, "security_code")
    start_portal_session(user, clinic, method="security_code")
    return leave(svc.next_url(user, clinic))


@bp.get("/<clinic_key>/mitid")
@limiter.limit("30 per minute")
def mitid_login(clinic_key: str):
    """Log ind med MitID: to the citizen broker."""
    clinic = clinic_or_404(clinic_key)
    try:
        return mitid.begin(purpose="login", clinic_key=clinic.key)
    except mitid.UNREACHABLE as exc:
        return mitid.broker_unreachable(exc, clinic.key)


@bp.post("/mitid/backchannel-logout")
@csrf.exempt  # server to server: the broker's signed logout token is the proof
@limiter.limit(lambda: current_app.config["SERVER_RATE_LIMIT"])
def mitid_backchannel_logout():
    """The citizen broker ended a login session there: end the portal sessions it names."""
    body, status = broker_backchannel.handle(citizen_broker(), request.form.get("logout_token"))
    return jsonify(body), status


@bp.get("/mitid/callback")
@limiter.limit("30 per minute")
def mitid_callback():
    """Back from MitID: verify the answer, refuse under 15, then log in or confirm a registration."""
    flow = mitid.pop_flow()
    clinic = portal_clinic(flow["clinic"]) if flow else None
    if clinic is None:
        return mitid.failed("expired", None)
    try:
        identity = mitid.finish()
    except LoginFailed as exc:
        return mitid.failed(exc.kind, clinic.key)
    if mitid.under_15(identity):
        audit.record("portal_mitid_refused_under_15", actor="anonymous", clinic_id=clinic.id,
                     purpose=flow["purpose"])
        get_session().commit()
        return mitid.failed("under_15", clinic.key)
    return {"login": _mitid_logged_in, "register": _registration_confirmed,
            "guardian": _child_confirmed}[flow["purpose"]](clinic, identity, flow.get("ref") or "")


def _log_in_with_mitid(clinic, user, identity):
    registration.record_mitid(user, identity)
    svc.login_succeeded(user, clinic, "mitid")
    start_portal_session(user, clinic, method="mitid", broker=BrokerLogin.of(identity))
    return redirect(svc.next_url(user, clinic))


def _mitid_logged_in(clinic, identity, _ref):
    user = svc.find_user(cpr_index(identity.cpr))
    if user is None:
        return redirect(url_for("portal.outcome", clinic_key=clinic.key, kind="not_registered"))
    if svc.is_unconfirmed(user) and registration.discard_unconfirmed(user, clinic_id=clinic.id):
        # Typed by someone, never confirmed, not taken on by a clinic: never adopted by MitID.
        return redirect(url_for("portal.outcome", clinic_key=clinic.key, kind="unconfirmed"))
    return _log_in_with_mitid(clinic, user, identity)


def _registration_confirmed(clinic, identity, ref):
    result = registration.confirm_self(clinic=clinic, ref=ref, identity=identity)
    if result.kind == "mismatch":
        return mitid.failed("mismatch", clinic.key)
    if result.kind == "existing":
        flash(_("Du er allerede oprettet som bruger på Patientportalen, så der er ikke oprettet en "
                "ny bruger. Dine oplysninger er ikke ændret."))
        return _log_in_with_mitid(clinic, result.user, identity)
    if result.kind == "unconfirmed":
        return redirect(url_for("portal.outcome", clinic_key=clinic.key, kind="unconfirmed"))
    if result.kind == "created":
        flash(_("Din bruger er oprettet, og du er logget ind."))
        return _log_in_with_mitid(clinic, result.user, identity)
    return redirect(url_for("portal.outcome", clinic_key=clinic.key, kind=result.kind))


def _child_confirmed(clinic, identity, ref):
    result = registration.confirm_child(clinic=clinic, ref=ref, identity=identity)
    if result.kind == "mismatch":
        return mitid.failed("mismatch", clinic.key)
    if result.kind == "child_refused":  # the register says the adult has no custody
        return page("portal/outcome.html", clinic, status=403, kind=result.kind)
    return redirect(url_for("portal.outcome", clinic_key=clinic.key, kind=result.kind))
