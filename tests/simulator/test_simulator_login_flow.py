"""The authorization code flow end to end, as the app walks it."""

import re

import pytest
from joserfc.errors import InvalidKeyIdError


def test_discovery_points_at_the_live_server(rp, simulator):
    _, server = simulator
    response = rp.get("/.well-known/openid-configuration")
    metadata = response.json()
    assert response.status_code == 200
    assert metadata["issuer"] == server.url
    assert metadata["authorization_endpoint"] == f"{server.url}/authorize"
    assert metadata["token_endpoint"] == f"{server.url}/token"
    assert metadata["jwks_uri"] == f"{server.url}/jwks"
    assert metadata["userinfo_endpoint"] == f"{server.url}/userinfo"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256"]  # the default
    assert metadata["response_types_supported"] == ["code"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert {"openid", "ssn"} <= set(metadata["scopes_supported"])
    assert "mitid.age" in metadata["claims_supported"]


def test_login_page_looks_like_mitid(rp):
    page = rp.authorize()
    assert page.status_code == 200
    assert "Log på hos via SEB" in page.text
    assert re.search(r'<label for="user-id">BRUGER-ID</label>', page.text)
    assert 'id="user-id"' in page.text
    assert "FORTSÆT" in page.text
    assert "Afbryd" in page.text
    assert "<script" not in page.text
    assert "https://" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    stylesheet = rp.get("/static/simulator.css")
    assert stylesheet.status_code == 200
    assert "text/css" in stylesheet.headers["Content-Type"]


def test_asger_logs_in_and_gets_a_verified_id_token(rp, simulator):
    app, server = simulator
    tokens = rp.tokens("asger.torring")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300
    token = rp.decode_id_token(tokens["id_token"])
    rp.validate_claims(token.claims, issuer=server.url)
    assert token.header["kid"] == rp.get("/jwks").json()["keys"][0]["kid"]
    assert token.claims["exp"] - token.claims["iat"] == app.config["ID_TOKEN_LIFETIME"]
    assert token.claims["idp"] == "mitid"
    assert token.claims["identity_type"] == "private"
    assert token.claims["loa"] == "https://data.gov.dk/concept/core/nsis/Substantial"
    assert token.claims["auth_time"] <= token.claims["iat"] + 1


def test_userinfo_with_ssn_scope_includes_cpr(rp):
    tokens = rp.tokens("asger.torring", scope="openid mitid ssn")
    claims = rp.userinfo(tokens["access_token"]).json()
    sub = rp.decode_id_token(tokens["id_token"]).claims["sub"]
    assert claims["sub"] == sub
    assert claims["dk.cpr"] == "1805721231"
    assert claims["mitid.identity_name"] == "Asger Tørring"
    assert claims["mitid.date_of_birth"] == "1972-05-18"
    assert claims["mitid.age"].isdigit()
    assert claims["idp"] == "mitid"
    assert claims["identity_type"] == "private"
    assert "nemlogin.cvr" not in claims


def test_userinfo_without_ssn_scope_has_no_cpr(rp):
    code = rp.login("asger.torring", scope="openid mitid")["code"]
    tokens = rp.exchange(code).json()
    claims = rp.userinfo(tokens["access_token"]).json()
    assert "dk.cpr" not in claims
    assert claims["mitid.identity_name"] == "Asger Tørring"


def test_sub_is_stable_across_simulator_restarts(rp, serve, rp_for):
    first = rp.decode_id_token(rp.tokens("asger.torring")["id_token"]).claims["sub"]
    _, other_server = serve()
    other = rp_for(other_server)
    assert other.decode_id_token(other.tokens("asger.torring")["id_token"]).claims["sub"] == first


def test_unknown_user_id_is_rejected_on_the_login_page(rp):
    page = rp.submit(rp.authorize(), "/authorize/login", user_id="nobody.here")
    assert page.status_code == 422
    assert "Ukendt bruger-ID" in page.text
    assert 'value="nobody.here"' in page.text
    assert 'aria-describedby="user-id-error"' in page.text


def test_cancel_redirects_with_access_denied_and_state(rp):
    params = rp.callback(rp.submit(rp.authorize(), "/authorize/cancel"))
    assert params["error"] == "access_denied"
    assert params["state"] == rp.state
    assert "code" not in params


def test_cancel_on_the_approval_screen_denies_access(rp):
    page = rp.submit(rp.authorize(), "/authorize/login", user_id="asger.torring")
    assert "Godkend" in page.text
    assert "Asger Tørring" in page.text
    params = rp.callback(rp.submit(page, "/authorize/cancel"))
    assert params["error"] == "access_denied"
    assert params["state"] == rp.state


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "http://evil.example/callback"},
        {"redirect_uri": "http://127.0.0.1:5000/auth/mitid/callback/extra"},
        {"client_id": "unknown-client"},
        {"redirect_uri": None},
    ],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_without_redirect(rp, overrides):
    response = rp.authorize(**overrides)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Login kan ikke gennemføres" in response.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"state": None}, "invalid_request"),
        ({"scope": "mitid ssn"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_invalid_requests_are_redirected_back_with_an_error(rp, overrides, error):
    response = rp.authorize(**overrides)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(rp.redirect_uri + "?")
    assert rp.callback(response)["error"] == error


def test_prompt_login_always_shows_the_login_page(rp):
    page = rp.authorize(prompt="login")
    assert page.status_code == 200
    assert "BRUGER-ID" in page.text


def test_approving_an_unknown_request_id_fails_cleanly(rp):
    response = rp.post("/authorize/approve", data={"request_id": "forged"})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_another_simulator_instance_does_not_know_the_signing_key(rp, serve, rp_for):
    id_token = rp.tokens("asger.torring")["id_token"]
    _, other_server = serve()
    with pytest.raises(InvalidKeyIdError):
        rp_for(other_server).decode_id_token(id_token)
