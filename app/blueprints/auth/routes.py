"""Views of staff login: the login page, the OIDC round trip with the staff broker, logout."""

import logging

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import current_app, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from joserfc.errors import JoseError

from app import audit, policy
from app.blueprints.auth import bp
from app.blueprints.auth.forms import PasswordLoginForm
from app.blueprints.auth.services import (
    check_legacy_credentials,
    find_linked_user,
    identity_from_claims,
)
from app.blueprints.auth.sessions import end_login_session
from app.blueprints.enrolment.invitations import SESSION_KEY as INVITATION_KEY
from app.blueprints.enrolment.invitations import claim_invitation_for_onboarding
from app.blueprints.onboarding.routes import remember_onboarding
from app.blueprints.onboarding.services import begin_onboarding
from app.blueprints.selection.services import has_access, loaded_memberships, log_in
from app.db import get_session
from app.errors import render_error
from app.extensions import limiter
from app.oidc import id_token_claims_options, staff_broker
from app.web import redirect_303, render_page, render_shared_page

log = logging.getLogger(__name__)


def _login_page(form=None, status=200):
    return render_page("auth/login.html", form=form or PasswordLoginForm(formdata=None),
                       mitid_only=policy.mitid_only(), cutover=policy.cutover_date(),
                       fallback_on=policy.fallback_banner(), status=status)


@bp.get("/login")
def login():
    """The staff login page: NEMLOG-IN, and user ID + password where the policy allows it."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    key = ("login", policy.mitid_only(), policy.cutover_date(), policy.fallback_banner())
    return render_shared_page(key, _login_page)


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


def _callback_url() -> str:
    return current_app.config.get("STAFF_BROKER_REDIRECT_URI") or url_for(
        "auth.mitid_callback", _external=True
    )


@bp.get("/auth/mitid/login")
@limiter.limit("30 per minute")
def mitid_login():
    """Send the browser to the broker with state, nonce and PKCE (S256)."""
    try:
        return staff_broker().authorize_redirect(_callback_url())
    except (requests.RequestException, ValueError) as exc:
        log.warning("staff broker unreachable at login: %s", type(exc).__name__)
        return _mitid_failed("unreachable")


def _mitid_failed(kind: str):
    """A Danish page that explains what happened and offers to try again."""
    texts = {
        "cancelled": (_("Login med MitID blev afbrudt"),
                      _("Du afbrød login med MitID. Du kan prøve igen, når du er klar.")),
        "unreachable": (_("MitID svarer ikke lige nu"),
                        _("Vi kunne ikke få forbindelse til MitID. Prøv igen om lidt. Ved "
                          "længerevarende nedbrud skifter driften til login med brugernavn og "
                          "adgangskode.")),
        "expired": (_("Login-forsøget er udløbet"),
                    _("Login-forsøget var allerede brugt eller for gammelt. Start forfra.")),
        "invalid": (_("Login kunne ikke bekræftes"),
                    _("Svaret fra MitID kunne ikke bekræftes, så du er ikke logget ind. "
                      "Prøv igen.")),
    }
    title, text = texts[kind]
    status = 503 if kind == "unreachable" else 400
    return render_error(status, title, text, retry_url=url_for("auth.mitid_login"))


@bp.get("/auth/mitid/callback")
@limiter.limit("30 per minute")
def mitid_callback():
    """Finish the OIDC round trip: verify the ID token, then log in or start onboarding."""
    broker = staff_broker()
    try:
        token = broker.authorize_access_token(
            leeway=current_app.config["OIDC_LEEWAY"],
            claims_options=id_token_claims_options(broker),
        )
        userinfo = broker.userinfo(token=token)
        identity = identity_from_claims(token["userinfo"], userinfo)
    except MismatchingStateError:
        log.info("staff MitID callback refused: state mismatch or replay")
        return _mitid_failed("expired")
    except OAuthError as exc:
        log.info("staff MitID callback refused: %s", exc.error)
        kind = "cancelled" if exc.error == "access_denied" else "invalid"
        return _mitid_failed(kind)
    except requests.RequestException as exc:
        log.warning("staff broker unreachable at callback: %s", type(exc).__name__)
        return _mitid_failed("unreachable")
    except (JoseError, ValueError, KeyError) as exc:
        log.warning("staff ID token rejected: %s", type(exc).__name__)
        return _mitid_failed("invalid")
    user = find_linked_user(identity.sub)
    if user is not None:
        rows = loaded_memberships(user)
        if not has_access(user, rows):
            return _no_access(user)
        return redirect(log_in(user, method="mitid", rows=rows, preselect_cvr=identity.cvr))
    row = begin_onboarding(identity)
    # Invited from an e-mail link: the account is known, so the legacy-password step is skipped.
    claimed = claim_invitation_for_onboarding(session.pop(INVITATION_KEY, None), row)
    remember_onboarding(row)
    return redirect(url_for("onboarding.contact" if claimed else "onboarding.resume"))


@bp.post("/logout")
@login_required
def logout():
    """Log ud: end the session on the server."""
    end_login_session(current_user._get_current_object())
    return redirect_303(url_for("auth.login"))
