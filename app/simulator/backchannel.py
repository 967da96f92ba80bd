"""Back-channel logout from the simulator: a logout token to each client whose login session ended.

OpenID Connect Back-Channel Logout 1.0 (https://openid.net/specs/openid-connect-backchannel-1_0.html):
the token is a JWT signed with the ID token key, explicitly typed logout+jwt (§2.4), with iss,
aud, iat, exp, a new jti, the events member, sub and the sid of the ID tokens, and no nonce; it is
POSTed form-encoded as logout_token (§2.5). A broker ends a person's sessions this way when they
end at the broker itself (the person logged out elsewhere, or the session was revoked there).
"""

import logging
import secrets
import time

import requests
from joserfc import jwt

from .models import LoginSubject, SimulatorClient
from .store import SimulatorState

log = logging.getLogger(__name__)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_LIFETIME = 120
DELIVERY_TIMEOUT = 5


def logout_token(state: SimulatorState, issuer: str, client: SimulatorClient,
                 subject: LoginSubject) -> str:
    """The signed logout token of one ended login session at one client."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": client.client_id, "iat": now, "exp": now + TOKEN_LIFETIME,
              "jti": secrets.token_urlsafe(18), "sub": subject.sub, "sid": subject.sid,
              "events": {EVENT: {}}}
    header = {"alg": state.keys.alg, "kid": state.keys.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, state.keys.signing_key, algorithms=[state.keys.alg])


def deliver(state: SimulatorState, issuer: str, client: SimulatorClient,
            subject: LoginSubject) -> str:
    """POST the logout token to the client's back-channel URI; the outcome as a short word."""
    if not client.backchannel_logout_uri:
        return "no_backchannel_uri"
    try:
        response = requests.post(client.backchannel_logout_uri, timeout=DELIVERY_TIMEOUT,
                                 data={"logout_token": logout_token(state, issuer, client, subject)})
    except requests.RequestException as exc:
        log.info("backchannel client_id=%s outcome=unreachable (%s)", client.client_id,
                 type(exc).__name__)
        return "unreachable"
    outcome = "delivered" if response.status_code == 200 else f"refused_{response.status_code}"
    log.info("backchannel client_id=%s outcome=%s", client.client_id, outcome)
    return outcome


def end_sessions_of(state: SimulatorState, issuer: str, mitid_user_id: str) -> dict[str, str]:
    """End every login session of a person here and tell each client; outcome per client."""
    return {client_id: deliver(state, issuer, state.clients[client_id], subject)
            for client_id, subject in state.end_sso_of(mitid_user_id)}
