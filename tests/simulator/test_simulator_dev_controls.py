"""Outage switch, ID token faults, signing key persistence and response headers."""

import time

import pytest
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from joserfc.jws import extract_compact

from app.simulator import create_simulator_app, set_fault, set_outage


def test_outage_answers_503_on_authorize_and_token(rp, simulator):
    app, _ = simulator
    code = rp.login("asger.torring")["code"]
    switched = rp.post("/dev/outage", json={"on": True})
    assert switched.json() == {"on": True}
    page = rp.authorize()
    assert page.status_code == 503
    assert "MitID er midlertidigt utilgængelig" in page.text
    token = rp.exchange(code)
    assert token.status_code == 503
    assert token.json()["error"] == "temporarily_unavailable"
    assert rp.get("/jwks").status_code == 503
    assert rp.get("/dev/outage").json() == {"on": True}
    set_outage(app, False)
    # The login page again (prompt=login: this browser is still logged in at the simulator).
    assert rp.authorize(prompt="login").status_code == 200


def test_outage_switch_accepts_form_fields_and_rejects_junk(rp):
    assert rp.post("/dev/outage", data={"on": "1"}).json() == {"on": True}
    assert rp.get("/.well-known/openid-configuration").status_code == 503
    assert rp.post("/dev/outage", data={"on": "0"}).json() == {"on": False}
    assert rp.get("/.well-known/openid-configuration").status_code == 200
    assert rp.post("/dev/outage", json={"on": "yes"}).status_code == 400


def _faulty_token(rp, simulator, fault):
    app, _ = simulator
    set_fault(app, fault)
    return rp.tokens("asger.torring")["id_token"]


def test_bad_signature_fault_keeps_kid_but_fails_verification(rp, simulator):
    id_token = _faulty_token(rp, simulator, "bad_signature")
    kid = rp.get("/jwks").json()["keys"][0]["kid"]
    with pytest.raises(BadSignatureError):
        rp.decode_id_token(id_token)
    assert extract_compact(id_token.encode()).headers()["kid"] == kid


@pytest.mark.parametrize(
    ("fault", "claim"),
    [("wrong_audience", "aud"), ("wrong_issuer", "iss"), ("wrong_nonce", "nonce")],
)
def test_claim_faults_are_caught_by_claim_validation(rp, simulator, fault, claim):
    token = rp.decode_id_token(_faulty_token(rp, simulator, fault))
    with pytest.raises(InvalidClaimError) as caught:
        rp.validate_claims(token.claims, issuer=simulator[1].url)
    assert caught.value.claim == claim


def test_expired_fault_issues_an_already_expired_token(rp, simulator):
    token = rp.decode_id_token(_faulty_token(rp, simulator, "expired"))
    assert token.claims["exp"] < time.time()
    with pytest.raises(ExpiredTokenError):
        rp.validate_claims(token.claims, issuer=simulator[1].url)


def test_faults_are_switched_over_http_and_reset_with_null(rp, simulator):
    assert rp.post("/dev/faults", json={"id_token": "wrong_issuer"}).json() == {
        "id_token": "wrong_issuer"
    }
    assert rp.get("/dev/faults").json() == {"id_token": "wrong_issuer"}
    assert rp.post("/dev/faults", json={"id_token": "nonsense"}).status_code == 400
    rp.post("/dev/faults", json={"id_token": None})
    token = rp.decode_id_token(rp.tokens("asger.torring")["id_token"])
    rp.validate_claims(token.claims, issuer=simulator[1].url)
    assert token.claims["iss"] == simulator[1].url


def test_signing_key_file_survives_restarts(tmp_path, serve, rp_for):
    key_file = tmp_path / "keys" / "simulator.pem"
    _, first_server = serve({"SIMULATOR_KEY_FILE": str(key_file)})
    id_token = rp_for(first_server).tokens("asger.torring")["id_token"]
    assert key_file.exists()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    _, second_server = serve({"SIMULATOR_KEY_FILE": str(key_file)})
    token = rp_for(second_server).decode_id_token(id_token)
    assert token.claims["sub"]


def test_every_response_is_no_store_and_sealed(rp):
    for response in (rp.authorize(), rp.get("/jwks"), rp.get("/dev/outage"), rp.get("/nope")):
        assert response.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_session_cookie_name_cannot_collide_with_the_app():
    app = create_simulator_app({"SESSION_COOKIE_NAME": "session"})
    assert app.config["SESSION_COOKIE_NAME"] == "mitid_simulator_session"


def test_explicit_issuer_is_kept_when_served(serve, rp_for):
    _, server = serve({"SIMULATOR_ISSUER": "https://mitid.example"})
    metadata = rp_for(server).get("/.well-known/openid-configuration").json()
    assert metadata["issuer"] == "https://mitid.example"
    assert metadata["token_endpoint"] == "https://mitid.example/token"


def test_nothing_personal_is_logged(rp, caplog):
    caplog.set_level("INFO", logger="app.simulator")
    rp.tokens("asger.torring")
    rp.submit(rp.authorize(prompt="login"), "/authorize/login", user_id="nobody.here")
    logged = caplog.text
    assert "client_id=klinikadgang-staff" in logged
    for personal in ("Asger", "asger.torring", "180572", "nobody.here"):
        assert personal not in logged
