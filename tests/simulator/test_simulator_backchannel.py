"""The simulator's sid and back-channel logout, as Back-Channel Logout 1.0 has them."""

import pytest
import requests
from flask import Flask, request
from joserfc import jwt
from joserfc.jwk import KeySet

from app.simulator.config import default_clients
from tests.helpers.servers import LiveServer
from tests.simulator.conftest import RelyingParty

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def receiver():
    """A relying party's back-channel endpoint that keeps what it is sent; status settable."""
    app = Flask("receiver")
    app.received, app.status = [], 200

    @app.post("/backchannel")
    def backchannel():
        app.received.append(request.form.to_dict())
        return "", app.status

    server = LiveServer(app)
    yield app, server
    server.shutdown()


@pytest.fixture
def sim(serve, receiver):
    _app, server = receiver
    clients = default_clients()
    clients[0]["backchannel_logout_uri"] = server.url + "/backchannel"
    return serve({"SIMULATOR_CLIENTS": clients})


def sid_of(rp, tokens) -> str:
    return rp.decode_id_token(tokens["id_token"]).claims["sid"]


def test_the_id_token_names_the_login_session(sim):
    rp = RelyingParty(sim[1].url)
    first = rp.tokens("asger.torring")
    claims = rp.decode_id_token(first["id_token"]).claims
    assert claims["sid"] and claims["neb_sid"] == claims["sid"]  # the Signaturgruppen name too
    again = rp.exchange(rp.callback(rp.authorize())["code"]).json()  # single sign-on
    assert sid_of(rp, again) == claims["sid"]
    other_browser = RelyingParty(sim[1].url)
    assert sid_of(other_browser, other_browser.tokens("asger.torring")) != claims["sid"]


def test_discovery_advertises_back_channel_logout(sim):
    metadata = requests.get(sim[1].url + "/.well-known/openid-configuration", timeout=10).json()
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True


def test_ending_the_sessions_sends_a_logout_token(sim, receiver):
    app, server = sim
    rp = RelyingParty(server.url)
    tokens = rp.tokens("asger.torring")
    sid = sid_of(rp, tokens)
    answer = requests.post(server.url + "/dev/sessions/end", json={"user_id": "asger.torring"},
                           timeout=10)
    assert answer.json() == {"ended": 1, "deliveries": {"klinikadgang-staff": "delivered"}}
    [sent] = receiver[0].received
    keys = KeySet.import_key_set(requests.get(server.url + "/jwks", timeout=10).json())
    token = jwt.decode(sent["logout_token"], keys, algorithms=["ES256"])
    assert token.header["typ"] == "logout+jwt"
    claims = token.claims
    assert claims["iss"] == app.config["SIMULATOR_ISSUER"] and claims["aud"] == "klinikadgang-staff"
    assert claims["events"] == {EVENT: {}} and "nonce" not in claims
    assert claims["sid"] == sid and claims["sub"] == rp.decode_id_token(tokens["id_token"]).claims["sub"]
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert "BRUGER-ID" in rp.authorize().text  # the session at the broker has ended


def test_each_logout_token_has_its_own_jti(sim, receiver):
    _app, server = sim
    for _ in range(2):
        RelyingParty(server.url).tokens("asger.torring")
    requests.post(server.url + "/dev/sessions/end", json={"user_id": "asger.torring"}, timeout=10)
    tokens = [jwt.decode(sent["logout_token"], KeySet.import_key_set(
        requests.get(server.url + "/jwks", timeout=10).json())).claims
        for sent in receiver[0].received]
    assert len(tokens) == 2 and tokens[0]["jti"] != tokens[1]["jti"]
    assert tokens[0]["sid"] != tokens[1]["sid"]


def test_a_refusing_client_is_reported(sim, receiver):
    receiver[0].status = 400
    _app, server = sim
    RelyingParty(server.url).tokens("asger.torring")
    answer = requests.post(server.url + "/dev/sessions/end", json={"user_id": "asger.torring"},
                           timeout=10)
    assert answer.json()["deliveries"] == {"klinikadgang-staff": "refused_400"}


def test_an_unknown_person_is_a_bad_request(sim):
    answer = requests.post(sim[1].url + "/dev/sessions/end", json={"user_id": "nobody"}, timeout=10)
    assert answer.status_code == 400
