"""Token and userinfo endpoints: PKCE, single-use codes, client authentication."""

import secrets

from app.simulator.config import default_clients


def _error(response) -> str:
    return response.json()["error"]


def test_wrong_pkce_verifier_is_invalid_grant(rp):
    code = rp.login("asger.torring")["code"]
    response = rp.exchange(code, verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_missing_pkce_verifier_is_rejected(rp):
    code = rp.login("asger.torring")["code"]
    response = rp.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri},
        auth=(rp.client_id, rp.client_secret),
    )
    assert response.status_code == 400
    assert _error(response) == "invalid_request"


def test_code_reuse_is_invalid_grant_and_revokes_the_first_token(rp):
    code = rp.login("asger.torring")["code"]
    first = rp.exchange(code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert rp.userinfo(access_token).status_code == 200
    replay = rp.exchange(code)
    assert replay.status_code == 400
    assert _error(replay) == "invalid_grant"
    assert rp.userinfo(access_token).status_code == 401


def test_code_is_bound_to_the_redirect_uri(rp):
    code = rp.login("asger.torring")["code"]
    rp.redirect_uri = "http://localhost:5000/auth/mitid/callback"
    response = rp.exchange(code)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_code_is_bound_to_the_client(rp, rp_for, simulator):
    code = rp.login("asger.torring")["code"]
    citizen = rp_for(
        simulator[1],
        client=("klinikadgang-citizen", "dev-citizen-secret"),
        redirect_uri=rp.redirect_uri,
    )
    response = citizen.exchange(code, verifier=rp.verifier)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_expired_code_is_invalid_grant(serve, rp_for):
    _, server = serve({"SIMULATOR_CODE_LIFETIME": 0})
    rp = rp_for(server)
    response = rp.exchange(rp.login("asger.torring")["code"])
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(rp):
    code = rp.login("asger.torring")["code"]
    rp.client_secret = "not-the-secret"
    response = rp.exchange(code)
    assert response.status_code == 401
    assert _error(response) == "invalid_client"


def test_client_secret_post_is_accepted_from_a_client_registered_for_it(serve, rp_for):
    clients = default_clients()
    clients[0]["token_endpoint_auth_method"] = "client_secret_post"
    _app, server = serve({"SIMULATOR_CLIENTS": clients})
    rp = rp_for(server)
    response = rp.exchange(rp.login("asger.torring")["code"], auth="post")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert {"access_token", "id_token", "expires_in"} <= set(response.json())


def test_userinfo_requires_a_valid_bearer_token(rp):
    missing = rp.get("/userinfo")
    forged = rp.userinfo("forged-token")
    assert missing.status_code == 401
    assert forged.status_code == 401
    assert "Bearer" in forged.headers.get("WWW-Authenticate", "")


def test_userinfo_answers_post_too(rp):
    access_token = rp.tokens("asger.torring")["access_token"]
    response = rp.post("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200
    assert response.json()["mitid.identity_name"] == "Asger Tørring"


def test_expired_access_token_is_rejected(serve, rp_for):
    _, server = serve({"SIMULATOR_ACCESS_TOKEN_LIFETIME": 0})
    rp = rp_for(server)
    access_token = rp.tokens("asger.torring")["access_token"]
    assert rp.userinfo(access_token).status_code == 401
