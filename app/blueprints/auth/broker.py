"""The staff broker round trip: start it (with what it is for), read that back, fail in Danish."""

import logging
from urllib.parse import urlsplit

import requests
from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from app import broker_profiles, broker_sessions
from app.core.errors import render_error
from app.core.web import CSP
from app.models import LoginSession
from app.oidc import staff_broker

log = logging.getLogger(__name__)


def callback_url() -> str:
    """Where the broker sends the browser back to."""
    return current_app.config.get("STAFF_BROKER_REDIRECT_URI") or url_for(
        "auth.mitid_callback", _external=True
    )


def start_login(*, invitation_id: int | None = None, proves_onboarding: int | None = None,
                code: int = 302):
    """Send the browser to the broker with state, nonce and PKCE (S256), or explain why not.

    invitation_id, or proves_onboarding (the pending onboarding of a new MitID Erhverv
    identity that this login with an identity already linked shall attach), rides in authlib's
    record of this one login (in the signed session, under the login's state), so only the
    callback of the very same round trip can find it.
    """
    broker = staff_broker()
    redirect_uri = callback_url()
    params = broker_sessions.login_params(broker)
    if proves_onboarding:
        # The broker's session is the new identity's; ask for a login again so the person can
        # choose another identity (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest).
        params["prompt"] = "login"
    try:
        found = broker.create_authorization_url(
            redirect_uri, **broker_profiles.authorize_params(broker.name), **params)
    except (requests.RequestException, ValueError) as exc:
        log.warning("staff broker unreachable at login: %s", type(exc).__name__)
        return failed("unreachable")
    extra = {"invitation_id": invitation_id} if invitation_id else {}
    if proves_onboarding:
        extra["proves_onboarding"] = proves_onboarding
    broker.save_authorize_data(redirect_uri=redirect_uri, **extra, **found)
    return redirect(found["url"], code=code)


def started_for() -> dict:
    """What the returning login was started for; read before authlib clears the state.

    Trust it only once authorize_access_token has accepted the same state.
    """
    data = staff_broker().framework.get_state_data(session, request.args.get("state")) or {}
    return {key: data[key] for key in ("invitation_id", "proves_onboarding") if key in data}


def post_logout_url() -> str:
    """Where the broker sends the browser after its logout (registered with the broker)."""
    return current_app.config.get("STAFF_BROKER_POST_LOGOUT_REDIRECT_URI") or url_for(
        "auth.logged_out", _external=True)


def end_session_url() -> str | None:
    """The broker's logout URL for the Log ud under way (its ID token is used once), or None."""
    broker = staff_broker()
    pending = broker_sessions.pending_logout(broker)
    if pending is None:
        return None
    id_token = broker_sessions.take_id_token(LoginSession, pending["row"]) \
        if pending.get("row") else None
    return broker_sessions.end_session_url(broker, id_token=id_token,
                                           post_logout_redirect_uri=post_logout_url())



def csp_for_broker_form() -> str:
    """The CSP with the broker's login page added to form-action (a form's 303 goes there).

    Browsers hold a form's redirects to form-action too; without the broker metadata (it is
    unreachable) the default stays, and the POST answers that MitID does not answer.
    """
    try:
        endpoint = staff_broker().load_server_metadata()["authorization_endpoint"]
    except (requests.RequestException, ValueError, KeyError):
        return CSP
    parts = urlsplit(endpoint)
    return CSP.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")


def failed(kind: str):
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
        "low_assurance": (_("Sikringsniveauet er for lavt"),
                          _("Dit login med MitID nåede ikke det sikringsniveau, der kræves her, så "
                            "du er ikke logget ind. Prøv igen med MitID-appen eller en "
                            "MitID-kodeviser.")),
        "unknown_idp": (_("Login-typen kunne ikke genkendes"),
                        _("Svaret fra MitID sagde ikke, om du loggede ind med dit private MitID "
                          "eller med MitID Erhverv, så du er ikke logget ind. Prøv igen.")),
    }
    title, text = texts[kind]
    status = {"unreachable": 503, "low_assurance": 403, "unknown_idp": 403}.get(kind, 400)
    return render_error(status, title, text, retry_url=url_for("auth.mitid_login"))
