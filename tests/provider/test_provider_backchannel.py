"""Sessions end everywhere: back-channel logout tokens to the sister systems, queued and retried."""

import threading
from datetime import timedelta

import pytest
import requests
from flask import Flask, request
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import select

from app.blueprints.auth import policy
from app.models import AuditEvent, OPLogoutDelivery
from app.provider import backchannel
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.servers import LiveServer
from tests.helpers.sister import SisterSystem, give_consent, register
from tests.helpers.staff import login_as


class Receiver:
    """A sister system's back-channel logout endpoint: records tokens, or answers 503."""

    def __init__(self):
        self.tokens, self.down = [], False
        self._lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/backchannel")
        def backchannel_logout():
            if self.down:
                return "", 503
            with self._lock:
                self.tokens.append(request.form["logout_token"])
            return "", 200

        self.server = LiveServer(app)
        self.uri = self.server.url + "/backchannel"


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture
def kirpacs(app, live_server, receiver):
    client_id, secret = register(app, backchannel_logout_uri=receiver.uri)
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _sign_in_at(client, sister):
    answer = client.get(sister.authorization_path())
    return sister.exchange(sister.read_redirect(answer.location)["code"])


def _deliver(app):
    with app.app_context():
        return backchannel.deliver_due()


def _claims(live_server, token):
    jwks = KeySet.import_key_set(requests.get(live_server.url + "/oidc/jwks", timeout=5).json())
    decoded = jwt.decode(token, jwks)
    return decoded.header, decoded.claims


def test_log_ud_sends_a_logout_token_that_follows_the_spec(app, client, kirpacs, receiver,
                                                          live_server):
    login_as(client, "jonas.holm", function="secretary")
    tokens = _sign_in_at(client, kirpacs)
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app) == {"delivered": 1, "failed": 0}
    header, claims = _claims(live_server, receiver.tokens[0])
    assert header["typ"] == "logout+jwt"
    assert claims["iss"] == live_server.url and claims["aud"] == "kirpacs"
    assert claims["sid"] == tokens["id_token"]["sid"] and claims["sub"] == tokens["id_token"]["sub"]
    assert claims["events"] == {backchannel.EVENT: {}} and "nonce" not in claims
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert _deliver(app) == {"delivered": 0, "failed": 0}  # sent once
    [event] = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "op_backchannel_delivered"))
    assert event.target_id == "kirpacs"


def test_a_system_that_never_got_a_token_of_the_session_is_not_told(app, client, kirpacs,
                                                                    receiver):
    login_as(client, "jonas.holm", function="secretary")
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app) == {"delivered": 0, "failed": 0} and receiver.tokens == []


def test_a_client_that_is_down_gets_it_later_and_the_operator_sees_it(app, client, kirpacs,
                                                                      receiver, request):
    login_as(client, "jonas.holm", function="secretary")
    _sign_in_at(client, kirpacs)
    clock = request.getfixturevalue("clock")  # frozen only now: pyoidc checks real time
    receiver.down = True
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app)["failed"] == 1
    assert _deliver(app)["failed"] == 0  # not due yet: it waits before the next try
    for _ in range(2):
        clock.now += timedelta(hours=4)
        _deliver(app)
    with app.app_context():
        assert backchannel.failing_clients() == {"kirpacs": 1}
    operator = login_as(app.test_client(), "lars.drift")
    assert "Back-channel logout fejler: 1 venter" in operator.get("/operator/klienter").get_data(
        as_text=True)
    receiver.down = False
    clock.now += timedelta(hours=4)
    assert _deliver(app)["delivered"] == 1 and len(receiver.tokens) == 1
    [row] = query_one(app, select(OPLogoutDelivery))
    assert row.attempts == 4 and row.delivered_at is not None


def test_the_fallback_switched_off_logs_its_sessions_out_of_the_sister_systems(
        app, client, kirpacs, receiver):
    with app.app_context():
        policy.switch_fallback(on=True, reason="MitID nede", actor="test")
    post_form(client, "/login/password", {"user_id": "jho", "password": "Sekretaer2024"},
              page="/login")
    post_form(client, "/select/function", {"function": "secretary"})
    _sign_in_at(client, kirpacs)
    with app.app_context():
        policy.switch_fallback(on=False, reason="MitID kører igen", actor="test")
    assert _deliver(app)["delivered"] == 1


def test_ending_another_session_tells_the_systems_of_that_session(app, client, kirpacs, receiver):
    other = app.test_client()
    login_as(other, "jonas.holm", function="secretary")
    _sign_in_at(other, kirpacs)
    login_as(client, "jonas.holm", function="secretary")
    page = client.get("/profile/sessions").get_data(as_text=True)
    action = next(part.split('"')[0] for part in page.split('action="')[1:]
                  if part.startswith("/profile/sessions/"))
    post_form(client, action, {}, page="/profile/sessions")
    assert _deliver(app)["delivered"] == 1
