"""Back-channel logout from the MitID brokers (issue 18): the broker's logout token ends the
matching local sessions, and a token that fails any check of Back-Channel Logout 1.0 §2.6 ends
nothing."""

import secrets
import time

import pytest
import requests
from joserfc import jwt
from sqlmodel import select

from app.models import LoginSession, PortalSession
from app.simulator.store import get_state
from tests.helpers.db import audit_events, query_one
from tests.helpers.portal import register
from tests.helpers.staff import login_with_mitid

EVENT = "http://schemas.openid.net/event/backchannel-logout"
STAFF_ENDPOINT = "/auth/mitid/backchannel-logout"
PORTAL_ENDPOINT = "/portal/mitid/backchannel-logout"


def logout_token(sim, *, key=None, header=None, drop=(), **claims) -> str:
    """A logout token as the simulator signs them, with claims changed or dropped for a test."""
    state = get_state(sim)
    now = int(time.time())
    body = {"iss": sim.config["SIMULATOR_ISSUER"], "aud": "klinikadgang-staff", "iat": now,
            "exp": now + 120, "jti": secrets.token_urlsafe(12), "events": {EVENT: {}}, **claims}
    for name in drop:
        body.pop(name, None)
    head = {"alg": state.keys.alg, "kid": state.keys.kid, "typ": "logout+jwt", **(header or {})}
    return jwt.encode(head, body, key or state.keys.signing_key, algorithms=[state.keys.alg])


def staff_session(app) -> LoginSession:
    [row] = query_one(app, select(LoginSession))
    return row


def end_at_broker(sim_server, user_id: str) -> dict:
    """The broker ends the person's sessions (as MitID does when they end there)."""
    server, _sim = sim_server
    answer = requests.post(server.url + "/dev/sessions/end", json={"user_id": user_id}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_id_token_names_the_broker_session(app, client):
    login_with_mitid(client, "hanne.lund")
    row = staff_session(app)
    assert row.broker_sid and row.broker_sub


def test_the_broker_ending_the_session_logs_the_person_out(app, client, live_server,
                                                          simulator_server):
    assert login_with_mitid(client, "hanne.lund").location == "/"
    assert client.get("/").status_code == 200
    outcome = end_at_broker(simulator_server, "hanne.lund")
    assert outcome["deliveries"] == {"klinikadgang-staff": "delivered"}
    assert client.get("/").location.startswith("/login")  # logged out
    row = staff_session(app)
    assert row.ended_reason == "broker_logout"
    [event] = audit_events(app, "session_ended_by_broker")
    assert event.actor == "broker:staff" and event.target_id == str(row.id)


def test_the_broker_ending_a_portal_session_logs_the_patient_out(app, client, outbox,
                                                                 live_server, simulator_server):
    assert register(client, "aarhus", "karen.jensen").status_code == 302
    assert client.get("/portal/aarhus/hjem").status_code == 200
    outcome = end_at_broker(simulator_server, "karen.jensen")
    assert outcome["deliveries"] == {"klinikadgang-citizen": "delivered"}
    [row] = query_one(app, select(PortalSession))
    assert row.ended_at is not None
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus"  # logged out


def test_only_the_named_broker_session_ends(app, simulator):
    first, second = app.test_client(), app.test_client()
    login_with_mitid(first, "hanne.lund")
    login_with_mitid(second, "hanne.lund")  # another browser: its own session at the broker
    rows = query_one(app, select(LoginSession).order_by(LoginSession.id))
    assert rows[0].broker_sid != rows[1].broker_sid
    token = logout_token(simulator, sub=rows[0].broker_sub, sid=rows[0].broker_sid)
    assert first.post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 200
    assert first.get("/").location.startswith("/login")
    assert second.get("/").status_code == 200


def test_a_token_with_only_sub_ends_every_session_of_that_identity(app, simulator):
    first, second = app.test_client(), app.test_client()
    login_with_mitid(first, "hanne.lund")
    login_with_mitid(second, "hanne.lund")
    sub = query_one(app, select(LoginSession))[0].broker_sub
    answer = first.post(STAFF_ENDPOINT, data={"logout_token": logout_token(simulator, sub=sub)})
    assert answer.status_code == 200
    assert all(row.ended_at for row in query_one(app, select(LoginSession)))


def test_a_staff_broker_token_does_not_end_portal_sessions(app, client, outbox, simulator):
    assert register(client, "aarhus", "karen.jensen").status_code == 302
    [row] = query_one(app, select(PortalSession))
    token = logout_token(simulator, sub=row.broker_sub, sid=row.broker_sid)
    assert client.post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 200
    assert query_one(app, select(PortalSession))[0].ended_at is None
    token = logout_token(simulator, aud="klinikadgang-citizen", sub=row.broker_sub,
                         sid=row.broker_sid)
    assert client.post(PORTAL_ENDPOINT, data={"logout_token": token}).status_code == 200
    assert query_one(app, select(PortalSession))[0].ended_at is not None


def _impostor(sim):
    return {"key": get_state(sim).keys.impostor_key()}


REFUSED = {
    "bad signature": _impostor,
    "unknown key": lambda sim: {"header": {"kid": "not-a-key-of-the-broker"}},
    "wrong issuer": lambda sim: {"iss": sim.config["SIMULATOR_ISSUER"] + "/impostor"},
    "wrong audience": lambda sim: {"aud": "another-client"},
    "issued in the future": lambda sim: {"iat": int(time.time()) + 3600},
    "issued long ago": lambda sim: {"iat": int(time.time()) - 3600},
    "expired": lambda sim: {"exp": int(time.time()) - 3600},
    "no events": lambda sim: {"drop": ("events",)},
    "another event": lambda sim: {"events": {"http://schemas.openid.net/event/other": {}}},
    "event not an object": lambda sim: {"events": {EVENT: "yes"}},
    "a nonce": lambda sim: {"nonce": "n-0S6_WzA2Mj"},
    "neither sid nor sub": lambda sim: {"drop": ("sid", "sub")},
    "no jti": lambda sim: {"drop": ("jti",)},
    "another explicit type": lambda sim: {"header": {"typ": "at+jwt"}},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_invalid_logout_token_ends_nothing(app, client, simulator, case):
    login_with_mitid(client, "hanne.lund")
    row = staff_session(app)
    changes = {"sub": row.broker_sub, "sid": row.broker_sid, **REFUSED[case](simulator)}
    answer = client.post(STAFF_ENDPOINT, data={"logout_token": logout_token(simulator, **changes)})
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert answer.headers["Cache-Control"].startswith("no-store")
    assert client.get("/").status_code == 200  # still logged in
    assert staff_session(app).ended_at is None


def test_a_logout_token_is_accepted_once(app, client, simulator):
    token = logout_token(simulator, sub="someone", sid="a-session-that-is-gone")
    assert client.post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 200
    assert client.post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 400


def test_a_missing_or_garbled_token_is_a_bad_request(client):
    assert client.post(STAFF_ENDPOINT, data={}).status_code == 400
    assert client.post(STAFF_ENDPOINT, data={"logout_token": "not.a.jwt"}).status_code == 400
    assert client.get(STAFF_ENDPOINT).status_code == 405


def test_the_endpoint_needs_no_csrf_token_but_nothing_else_does(app_config, simulator):
    from app import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    strict = create_app(app_config)
    token = logout_token(simulator, sub="someone", sid="gone")
    assert strict.test_client().post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 200
    strict.extensions["db_engine"].dispose()
