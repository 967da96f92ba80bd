"""The citizen broker round trip (MitID for patients): start, finish, the age rule, failure pages."""

import logging
from dataclasses import dataclass
from datetime import date

import requests
from flask import current_app, session, url_for
from flask_babel import gettext as _

from app import broker_profiles, broker_sessions, cpr
from app.core.clock import today
from app.core.errors import render_error
from app.models import PortalSession
from app.oidc import citizen_broker, finish_login

log = logging.getLogger(__name__)
FLOW_KEY = "portal_mitid"  # {"purpose", "clinic", "ref"}: what the MitID answer is for
PURPOSES = ("login", "register", "guardian")
MIN_AGE = 15


@dataclass
class CitizenIdentity:
    """What the portal uses of a verified citizen MitID login."""

    sub: str
    cpr: str  # normalised DDMMYY-SSSS; never logged or stored in plain text
    birth_date: date
    mitid_age: int | None
    name: str
    idp: str = "mitid"  # the only kind the citizen broker's answer is accepted with
    loa: str | None = None  # low | substantial | high
    sid: str | None = None  # the broker's session id, when its ID token has one
    id_token: str | None = None  # the broker's raw ID token: the hint of Log ud at the broker


def _callback_url() -> str:
    return current_app.config.get("CITIZEN_BROKER_REDIRECT_URI") or url_for(
        "portal.mitid_callback", _external=True)


def authorize_redirect(*, prompt: str | None = None):
    """Send the browser to the citizen broker with state, nonce and PKCE (S256).

    Kiosks pass prompt="login" so a previous person's MitID session is never reused.
    """
    if prompt is None and session.get("kiosk"):
        prompt = "login"  # a shared device: never reuse the previous person's IdP session
    broker = citizen_broker()
    extra = {**broker_profiles.authorize_params(broker.name), **broker_sessions.login_params(broker)}
    if prompt:
        extra["prompt"] = prompt
    return broker.authorize_redirect(_callback_url(), **extra)


def post_logout_url() -> str:
    """Where the citizen broker sends the browser after its logout (registered with it)."""
    return current_app.config.get("CITIZEN_BROKER_POST_LOGOUT_REDIRECT_URI") or url_for(
        "portal.mitid_logged_out", _external=True)


def end_session_url() -> str | None:
    """The citizen broker's logout URL for the Log ud under way (its ID token used once), or None."""
    broker = citizen_broker()
    pending = broker_sessions.pending_logout(broker)
    if pending is None:
        return None
    id_token = broker_sessions.take_id_token(PortalSession, pending["row"]) \
        if pending.get("row") else None
    return broker_sessions.end_session_url(broker, id_token=id_token,
                                           post_logout_redirect_uri=post_logout_url())


def remember(*, purpose: str, clinic_key: str, ref: str | None = None) -> None:
    """Note what the coming MitID round trip is for (no personal data: a keyed reference at most)."""
    assert purpose in PURPOSES
    session[FLOW_KEY] = {"purpose": purpose, "clinic": clinic_key, "ref": ref}


def pending_flow(clinic_key: str) -> dict | None:
    """The remembered round trip of this clinic that has not gone to MitID yet, if any."""
    flow = session.get(FLOW_KEY)
    ok = isinstance(flow, dict) and flow.get("purpose") in PURPOSES
    return flow if ok and flow.get("clinic") == clinic_key else None


def begin(*, purpose: str, clinic_key: str, ref: str | None = None, prompt: str | None = None):
    """Remember the purpose, then redirect to the broker.

    Raises requests.RequestException or ValueError when the broker cannot be reached.
    """
    response = authorize_redirect(prompt=prompt)
    remember(purpose=purpose, clinic_key=clinic_key, ref=ref)
    return response


def pop_flow() -> dict | None:
    """Take the round trip's purpose out of the session (it is used once)."""
    flow = session.pop(FLOW_KEY, None)
    return flow if isinstance(flow, dict) and flow.get("purpose") in PURPOSES else None


def identity_from_claims(claims: dict) -> CitizenIdentity:
    """Build the identity from the broker profile's reading of a verified login (CPR required)."""
    normalised, born = cpr.parse_cpr(claims["cpr"])  # InvalidCPR is a ValueError
    age = claims["age"]
    return CitizenIdentity(sub=claims["sub"], cpr=normalised, birth_date=born,
                           mitid_age=int(age) if age is not None else None,
                           name=claims["name"], idp=claims["idp"], loa=claims["loa"],
                           sid=claims["sid"])


def finish() -> CitizenIdentity:
    """Verify the broker's answer (state, PKCE, exact iss/aud/nonce) and read it, or LoginFailed."""
    identity = finish_login(citizen_broker(), identity_from_claims)
    broker_sessions.settled(citizen_broker())  # the broker's session is this person's now
    return identity


def under_15(identity: CitizenIdentity) -> bool:
    """MitID login is refused for users under 15: by MitID's age claim or the CPR's birth date."""
    by_mitid = identity.mitid_age is not None and identity.mitid_age < MIN_AGE
    return by_mitid or cpr.age_on(identity.birth_date, today()) < MIN_AGE


def failed(kind: str, clinic_key: str | None):
    """A Danish page that explains what went wrong with MitID and how to go on."""
    texts = {
        "cancelled": (_("Login med MitID blev afbrudt"),
                      _("Du afbrød login med MitID. Du kan prøve igen, når du er klar.")),
        "unreachable": (_("MitID svarer ikke lige nu"),
                        _("Vi kunne ikke få forbindelse til MitID. Prøv igen om lidt, eller log ind "
                          "med sikkerhedskode.")),
        "expired": (_("Login-forsøget er udløbet"),
                    _("Login-forsøget var allerede brugt eller for gammelt. Start forfra.")),
        "invalid": (_("Login kunne ikke bekræftes"),
                    _("Svaret fra MitID kunne ikke bekræftes, så du er ikke logget ind. "
                      "Prøv igen.")),
        "under_15": (_("Login med MitID er ikke muligt for brugere under 15 år"),
                     _("Login med MitID kan ikke anvendes af eller på vegne af brugere under 15 år. "
                       "Brugere under 15 år logger ind med sikkerhedskode: CPR-nummer og "
                       "adgangskode, efterfulgt af en sikkerhedskode, der sendes pr. e-mail.")),
        "mismatch": (_("CPR-nummeret passer ikke"),
                     _("Det CPR-nummer, der blev bekræftet med MitID, er ikke det samme som det "
                       "indtastede. Brugeren er ikke oprettet. Kontrollér CPR-nummeret, og prøv "
                       "igen.")),
        "low_assurance": (_("Sikringsniveauet er for lavt"),
                          _("Dit login med MitID nåede ikke det sikringsniveau, der kræves her, så "
                            "du er ikke logget ind. Prøv igen med MitID-appen eller en "
                            "MitID-kodeviser.")),
        "unknown_idp": (_("Log ind med dit private MitID"),
                        _("Patientportalen kræver login med dit private MitID, og svaret fra "
                          "MitID var ikke et sådant login, så du er ikke logget ind. Prøv igen "
                          "med dit private MitID.")),
    }
    title, text = texts[kind]
    status = {"unreachable": 503, "under_15": 403, "low_assurance": 403,
              "unknown_idp": 403}.get(kind, 400)
    retry = url_for("portal.front", clinic_key=clinic_key) if clinic_key else None
    return render_error(status, title, text, retry_url=retry)


def broker_unreachable(exc: Exception, clinic_key: str):
    """Log (without detail) and explain that MitID cannot be reached."""
    log.warning("citizen broker unreachable: %s", type(exc).__name__)
    return failed("unreachable", clinic_key)


UNREACHABLE = (requests.RequestException, ValueError)
