"""Views of staff login: the login page, the OIDC round trip with the staff broker, logout."""

from flask import current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import audit, broker_backchannel, broker_client_auth, broker_sessions
from app.blueprints.auth import bp, policy
from app.blueprints.auth import broker as broker_flow
from app.blueprints.auth.forms import PasswordLoginForm
from app.blueprints.auth.services import (
    check_legacy_credentials,
    find_link,
    identity_from_claims,
    used_link,
)
from app.blueprints.auth.sessions import end_login_session
from app.blueprints.enrolment.invitations import check_invitation_for
from app.blueprints.onboarding.routes import (
    forget_onboarding,
    link_with_linked_identity,
    remember_onboarding,
)
from app.blueprints.onboarding.services import begin_onboarding
from app.blueprints.selection.services import has_access, loaded_memberships, log_in
from app.broker_profiles import BROKERS
from app.core.db import get_session
from app.core.errors import render_error
from app.core.extensions import csrf, limiter
from app.core.web import is_fragment_request, leave, redirect_303, render_page
from app.oidc import BrokerLogin, LoginFailed, finish_login, staff_broker


def _login_page(form=None, status=200):
    return render_page("auth/login.html", form=form or PasswordLoginForm(formdata=None),
                       mitid_only=policy.mitid_only(), cutover=policy.cutover_date(),
                       fallback_on=policy.fallback_on(), status=status)


@bp.get("/login")
def login():
    """The staff login page: NEMLOG-IN, and user ID + password where the policy allows it."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    return _login_page()


@bp.post("/login/password")
@limiter.limit("20 per minute")
def password_login():
    """User ID + password, subject to the cut-over, the outage fallback and exemptions."""
    form = PasswordLoginForm()
    if not form.validate_on_submit():
        return _login_page(form, 422)
    user = check_legacy_credentials(form.user_id.data, form.password.data)
    form.password.data = ""
    if user is None:
        form.password.errors = [_("Forkert bruger ID eller kodeord.")]
        return _login_page(form, 422)
    rows = loaded_memberships(user)
    if not has_access(user, rows):
        return _no_access(user)
    decision = policy.decide_password_login(user)
    if not decision.allowed:
        get_session().commit()  # the correct password still resets the failure count
        form.password.errors = [REFUSALS[decision.refusal]()]
        return _login_page(form, 422)
    return redirect_303(log_in(user, method=decision.method, rows=rows))


def _no_access(user):
    """Offboarded: no membership left. Say why instead of logging in."""
    audit.record("login_refused_no_membership", actor="anonymous", target_type="staff_user",
                 target_id=user.id)
    get_session().commit()
    return render_error(403, _("Du har ikke længere adgang"), _(
        "Du er ikke længere tilknyttet nogen klinik, så du kan ikke logge ind. Er det en fejl, "
        "så kontakt en administrator i din klinik."))


REFUSALS = {
    "mitid_only": lambda: _("Login med bruger ID og kodeord er udfaset. Log ind med MitID "
                            "(NEMLOG-IN)."),
    "not_linked": lambda: _("Login med bruger ID og kodeord er udfaset. Log ind med MitID "
                            "(NEMLOG-IN): første gang knytter du dit MitID til din brugerkonto "
                            "med dit bruger ID og kodeord."),
}


@bp.get("/auth/mitid/login")
@limiter.limit("30 per minute")
def mitid_login():
    """Send the browser to the broker with state, nonce and PKCE (S256)."""
    return broker_flow.start_login()


@bp.get("/auth/mitid/callback")
@limiter.limit("30 per minute")
def mitid_callback():
    """Finish the OIDC round trip: verify the ID token, then log in or start onboarding."""
    started_for = broker_flow.started_for()
    try:
        identity = finish_login(staff_broker(), identity_from_claims)
    except LoginFailed as exc:
        return broker_flow.failed(exc.kind)
    broker_sessions.settled(staff_broker())  # the broker's session is this person's now
    if "proves_onboarding" in started_for:  # Bekræft med dit private MitID
        return link_with_linked_identity(identity, started_for["proves_onboarding"])
    link = find_link(identity.sub)
    if link is not None:
        user = link.staff_user
        rows = loaded_memberships(user)
        if not has_access(user, rows):
            return _no_access(user)
        used_link(link)
        return redirect(log_in(user, method="mitid", rows=rows, preselect_cvr=identity.cvr,
                               broker=BrokerLogin.of(identity), mitid_link_id=link.id))
    return _onboard(identity, started_for.get("invitation_id"))


def _onboard(identity, invitation_id: int | None):
    """A first MitID login: the wizard, or (started from an invitation) "Er det dig?" first."""
    verdict = check_invitation_for(invitation_id, mitid_name=identity.name) \
        if invitation_id else None
    if verdict == "name_mismatch":
        forget_onboarding()
        return render_error(403, _("Navnet passer ikke"), _(
            "Navnet på dit MitID passer ikke med navnet på den brugerkonto, invitationen er til. "
            "Dit MitID er ikke knyttet til brugerkontoen. Er navnet på brugerkontoen forkert, "
            "så kontakt din klinik."))
    row = begin_onboarding(identity)
    if verdict == "ok":
        remember_onboarding(row, invitation_id=invitation_id)
        return redirect(url_for("onboarding.confirm_invitation"))
    remember_onboarding(row)
    return redirect(url_for("onboarding.resume"))


@bp.get("/mitid/jwks.json")
def mitid_jwks():
    """The public keys the brokers check our private_key_jwt client assertions with."""
    response = jsonify(broker_client_auth.public_jwks(current_app.config, BROKERS.values()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/auth/mitid/backchannel-logout")
@csrf.exempt  # server to server: the broker's signed logout token is the proof
@limiter.limit(lambda: current_app.config["SERVER_RATE_LIMIT"])
def mitid_backchannel_logout():
    """The staff broker ended a login session there: end the local sessions it names."""
    body, status = broker_backchannel.handle(staff_broker(), request.form.get("logout_token"))
    return jsonify(body), status


@bp.post("/logout")
@login_required
def logout():
    """Log ud: end the session here and, after a MitID login, at the broker too.

    Browsers hold a form's redirects to form-action 'self' (Chromium does), so this POST never
    redirects to the broker: htmx navigates to our GET that does, and without JS our logged-out
    page links to it; until the broker confirms, the next login asks for credentials anyway.
    """
    row = current_user.login_session
    method, row_id = row.method, row.id  # read before the commit that ends it
    end_login_session(current_user._get_current_object())
    if method != "mitid":
        return leave(url_for("auth.login"))
    broker_sessions.logged_out(staff_broker(), row_id=row_id)
    if is_fragment_request():
        return leave(url_for("auth.broker_logout"))
    return redirect_303(url_for("auth.logged_out"))


@bp.get("/auth/log-ud/mitid")
def broker_logout():
    """Log ud at the broker: a GET navigation (no form-action) to its end_session_endpoint."""
    return redirect(broker_flow.end_session_url() or url_for("auth.logged_out"))


@bp.get("/auth/logget-ud")
def logged_out():
    """The page after Log ud, also the broker's post_logout_redirect_uri (with our state)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if "state" in request.args:
        broker_sessions.returned_from_broker(staff_broker(), request.args["state"])
    pending = broker_sessions.pending_logout(staff_broker())
    return render_page("auth/logged_out.html", broker_pending=bool(pending and "row" in pending),
                       asks_again=broker_sessions.asks_for_login(staff_broker()))
