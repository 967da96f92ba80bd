"""What this browser still has open at a MitID broker, and ending it at Log ud.

A broker keeps its own login session after a login: without more, the next NEMLOG-IN on a shared
PC is answered at once for the previous person. So Log ud ends that session too, by
RP-initiated logout at the broker's end_session_endpoint (from its discovery metadata) with the
login's ID token as id_token_hint, a registered post_logout_redirect_uri and a state
(https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout). Until the broker
has come back to that URI with our state, this browser's next login at that broker asks for
credentials again with prompt=login (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest;
the Signaturgruppen broker honours prompt and max_age:
https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/sessions.html).
That also covers a broker without end_session_endpoint, and a Log ud whose browser never went on
to the broker. The cookie holds only broker names, a row id and a random state.
"""

import secrets

import requests
from authlib.common.urls import add_params_to_uri
from flask import current_app, session

from app.core.db import get_session
from app.oidc import BROKERS

REAUTH_KEY = "broker_reauth"  # names of the brokers whose next login must ask for credentials
LOGOUT_KEY = "broker_logout"  # {"broker", "row", "state", "clinic"}: the logout under way
KEPT_KEYS = (REAUTH_KEY,)  # survive a session rotation at login (they are about the browser)


def login_params(client) -> dict:
    """prompt=login after a Log ud that the broker has not confirmed; max_age when configured."""
    params = {}
    if asks_for_login(client):
        params["prompt"] = "login"
    max_age = current_app.config.get(f"{BROKERS[client.name]}_MAX_AGE")
    if max_age:
        params["max_age"] = int(max_age)
    return params


def asks_for_login(client) -> bool:
    """Whether this browser's next login at the broker sends prompt=login."""
    return client.name in session.get(REAUTH_KEY, ())


def settled(client) -> None:
    """Nothing left open of a Log ud at this broker: a login there succeeded, or it ended."""
    waiting = [name for name in session.get(REAUTH_KEY, ()) if name != client.name]
    if waiting:
        session[REAUTH_KEY] = waiting
    else:
        session.pop(REAUTH_KEY, None)
    if pending_logout(client) is not None:
        session.pop(LOGOUT_KEY, None)


def kept_across_rotation() -> dict:
    """The keys of this module to put back after session.clear()."""
    return {key: session[key] for key in KEPT_KEYS if key in session}


def logged_out(client, *, row_id: int | None, clinic: str | None = None) -> None:
    """Log ud of a MitID login: ask for credentials next time; remember it for the broker."""
    session[REAUTH_KEY] = sorted({*session.get(REAUTH_KEY, ()), client.name})
    # row None: a MitID login without a session row (an onboarding left): no id_token_hint.
    session[LOGOUT_KEY] = {"broker": client.name, "row": row_id, "clinic": clinic}


def pending_logout(client) -> dict | None:
    """The Log ud at this broker that has not gone to the broker yet, if any."""
    pending = session.get(LOGOUT_KEY)
    if isinstance(pending, dict) and pending.get("broker") == client.name:
        return pending
    return None


def end_session_url(client, *, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The broker's end-session URL for this browser (a new state is kept), or None without one."""
    try:
        endpoint = client.load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        endpoint = None  # unreachable: prompt=login at the next login still protects
    pending = pending_logout(client) or {"broker": client.name}
    if not endpoint:
        session.pop(LOGOUT_KEY, None)
        return None
    state = secrets.token_urlsafe(24)
    session[LOGOUT_KEY] = {"broker": client.name, "state": state, "clinic": pending.get("clinic")}
    params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": client.client_id,
              "state": state}
    if id_token:
        params["id_token_hint"] = id_token
    return add_params_to_uri(endpoint, params)


def returned_from_broker(client, state: str | None) -> dict | None:
    """The broker came back to our post-logout URI: with our state, its session has ended."""
    pending = pending_logout(client)
    if pending is None or not state or not secrets.compare_digest(pending.get("state") or "",
                                                                  state):
        return None
    settled(client)
    return pending


def take_id_token(model, row_id: int) -> str | None:
    """The ID token of an ended login (LoginSession) or portal session (PortalSession); used once.

    row_id comes from the signed cookie session, put there at Log ud.
    """
    db = get_session()
    row = db.get(model, row_id)
    if row is None or row.ended_at is None:
        return None
    id_token, row.id_token = row.id_token, None
    db.commit()
    return id_token
