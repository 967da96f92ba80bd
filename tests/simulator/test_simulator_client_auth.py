"""The simulator authenticates clients as strictly as a conformant broker: each client its one
registered method, Basic form-decoded (RFC 6749 §2.3.1), private_key_jwt with one-time jtis."""

import base64
import time
from urllib.parse import quote

import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from flask import Flask, jsonify
from joserfc.jwk import ECKey

from app.simulator.config import default_clients
from tests.helpers.servers import LiveServer
from tests.simulator.conftest import RelyingParty

TRICKY_SECRET = "a+b/c=d e%f"


def _form(rp, code) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier}


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture
def tricky(serve):
    clients = default_clients()
    clients[0]["client_secret"] = TRICKY_SECRET
    _app, server = serve({"SIMULATOR_CLIENTS": clients})
    return RelyingParty(server.url, client=("klinikadgang-staff", TRICKY_SECRET))


def test_basic_with_the_secret_form_encoded_is_accepted(tricky):
    code = tricky.login("asger.torring")["code"]
    encoded = quote(TRICKY_SECRET, safe="")
    answer = tricky.post("/token", data=_form(tricky, code),
                         headers=_basic("klinikadgang-staff", encoded))
    assert answer.status_code == 200, answer.text


def test_basic_with_the_secret_not_encoded_is_refused(tricky):
    """What authlib's own client sends: `+` reads as a space at a conformant broker."""
    code = tricky.login("asger.torring")["code"]
    answer = tricky.post("/token", data=_form(tricky, code),
                         headers=_basic("klinikadgang-staff", TRICKY_SECRET))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_client_may_use_only_its_registered_method(rp):
    answer = rp.exchange(rp.login("asger.torring")["code"], auth="post")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


@pytest.fixture
def keyed(serve):
    """A simulator whose staff client uses private_key_jwt with its keys at a jwks_uri."""
    key = ECKey.generate_key("P-256", parameters={"kid": "app-key-1"})
    jwks = Flask("jwks")
    jwks.get("/jwks")(lambda: jsonify(keys=[key.as_dict(private=False)]))
    keys_server = LiveServer(jwks)
    clients = default_clients()
    clients[0].update(token_endpoint_auth_method="private_key_jwt",
                      jwks_uri=keys_server.url + "/jwks")
    _app, server = serve({"SIMULATOR_CLIENTS": clients})
    yield RelyingParty(server.url), key, server.url
    keys_server.shutdown()


def _assertion(key, audience, **claims):
    return private_key_jwt_sign(key, client_id="klinikadgang-staff", token_endpoint=audience,
                                alg="ES256", header={"kid": key.kid}, claims=claims or None,
                                expires_in=60)


def _with_assertion(rp, assertion):
    rp = RelyingParty(rp.base_url)  # a new browser: no single sign-on answer
    code = rp.login("asger.torring")["code"]
    return rp.post("/token", data={**_form(rp, code), "client_id": "klinikadgang-staff",
                                   "client_assertion_type":
                                       "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                   "client_assertion": assertion})


def test_private_key_jwt_is_accepted(keyed):
    rp, key, base = keyed
    answer = _with_assertion(rp, _assertion(key, base + "/token"))
    assert answer.status_code == 200, answer.text


def test_a_replayed_assertion_is_refused(keyed):
    rp, key, base = keyed
    assertion = _assertion(key, base + "/token")
    assert _with_assertion(rp, assertion).status_code == 200
    replay = _with_assertion(rp, assertion)
    assert replay.json()["error"] == "invalid_client"  # 400: no Authorization header was tried


@pytest.mark.parametrize("case", ["another key", "another audience", "expired", "secret instead"])
def test_a_wrong_assertion_is_refused(keyed, case):
    rp, key, base = keyed
    if case == "secret instead":
        answer = rp.exchange(rp.login("asger.torring")["code"])
    else:
        signer = ECKey.generate_key("P-256", parameters={"kid": key.kid}) \
            if case == "another key" else key
        audience = "https://elsewhere.example/token" if case == "another audience" \
            else base + "/token"
        extra = {"exp": int(time.time()) - 600} if case == "expired" else {}
        answer = _with_assertion(rp, _assertion(signer, audience, **extra))
    assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"
