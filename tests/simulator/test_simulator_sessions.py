"""The simulator's login session (SSO) and RP-initiated logout, as the real brokers have them."""

import time

from tests.simulator.conftest import STAFF_CLIENT, RelyingParty

POST_LOGOUT = "http://127.0.0.1:5000/auth/logget-ud"


def test_a_second_login_in_the_same_browser_is_answered_at_once(rp):
    first = rp.login("asger.torring")
    again = rp.authorize()
    back = rp.callback(again)  # a redirect with a code: no BRUGER-ID page
    assert back["state"] == rp.state and back["code"] != first["code"]
    claims = rp.decode_id_token(rp.exchange(back["code"]).json()["id_token"]).claims
    assert claims["nonce"] == rp.nonce


def test_another_browser_gets_the_login_page(rp, simulator):
    rp.login("asger.torring")
    other = RelyingParty(simulator[1].url)
    assert "BRUGER-ID" in other.authorize().text


def test_the_session_is_per_client(rp, simulator):
    rp.login("karen.jensen")
    citizen = RelyingParty(simulator[1].url, client=("klinikadgang-citizen", "dev-citizen-secret"),
                           redirect_uri="http://127.0.0.1:5000/portal/mitid/callback")
    citizen.http = rp.http  # the same browser
    assert "BRUGER-ID" in citizen.authorize().text


def test_prompt_login_asks_again_despite_the_session(rp):
    rp.login("asger.torring")
    page = rp.authorize(prompt="login")
    assert page.status_code == 200 and "BRUGER-ID" in page.text


def test_max_age_that_has_passed_asks_again(rp):
    rp.login("asger.torring")
    assert rp.authorize(max_age="3600").status_code == 302
    time.sleep(1.1)
    page = rp.authorize(max_age="0")
    assert page.status_code == 200 and "BRUGER-ID" in page.text


def test_sso_keeps_the_original_auth_time(rp):
    first = rp.tokens("asger.torring")
    auth_time = rp.decode_id_token(first["id_token"]).claims["auth_time"]
    time.sleep(1.1)
    code = rp.callback(rp.authorize(max_age="3600"))["code"]
    again = rp.decode_id_token(rp.exchange(code).json()["id_token"]).claims
    assert again["auth_time"] == auth_time


def test_prompt_none_without_a_session_is_login_required(rp):
    assert rp.callback(rp.authorize(prompt="none"))["error"] == "login_required"


def test_discovery_advertises_end_session(rp, simulator):
    metadata = rp.get("/.well-known/openid-configuration").json()
    assert metadata["end_session_endpoint"] == simulator[1].url + "/logout"


def _logout(rp, **params):
    return rp.get("/logout", params=params)


def test_logout_ends_the_session_and_returns_with_state(rp):
    id_token = rp.tokens("asger.torring")["id_token"]
    answer = _logout(rp, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT,
                     state="s-123", client_id=STAFF_CLIENT[0])
    assert answer.status_code == 302
    assert answer.headers["Location"] == POST_LOGOUT + "?state=s-123"
    page = rp.authorize()
    assert page.status_code == 200 and "BRUGER-ID" in page.text


def test_logout_refuses_an_unregistered_post_logout_uri(rp):
    id_token = rp.tokens("asger.torring")["id_token"]
    answer = _logout(rp, id_token_hint=id_token,
                     post_logout_redirect_uri="https://evil.example/logget-ud", state="x")
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "ikke registreret" in answer.text
    assert rp.authorize().status_code == 302  # refused: the session is still there


def test_logout_refuses_a_prefix_of_a_registered_uri(rp):
    id_token = rp.tokens("asger.torring")["id_token"]
    answer = _logout(rp, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT + "/x")
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_logout_refuses_a_client_id_that_is_not_the_audience(rp):
    id_token = rp.tokens("asger.torring")["id_token"]
    answer = _logout(rp, id_token_hint=id_token, client_id="klinikadgang-citizen",
                     post_logout_redirect_uri=POST_LOGOUT)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_logout_refuses_a_forged_id_token_hint(rp):
    id_token = rp.tokens("asger.torring")["id_token"]
    header, payload, signature = id_token.split(".")
    answer = _logout(rp, id_token_hint=f"{header}.{payload}.{signature[::-1]}",
                     post_logout_redirect_uri=POST_LOGOUT)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_logout_accepts_an_expired_id_token_hint(serve, rp_for):
    _app, server = serve({"ID_TOKEN_LIFETIME": 1})
    rp = rp_for(server)
    id_token = rp.tokens("asger.torring")["id_token"]
    time.sleep(2.1)
    answer = _logout(rp, id_token_hint=id_token, post_logout_redirect_uri=POST_LOGOUT)
    assert answer.status_code == 302 and answer.headers["Location"] == POST_LOGOUT


def test_without_end_session_there_is_none(serve, rp_for):
    _app, server = serve({"SIMULATOR_END_SESSION": False})
    rp = rp_for(server)
    assert "end_session_endpoint" not in rp.get("/.well-known/openid-configuration").json()
    assert rp.get("/logout").status_code == 404
