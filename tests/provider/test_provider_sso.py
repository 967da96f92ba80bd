"""Single sign-on for the sister systems, driven by pyoidc (not authlib) as the client."""

from tests.helpers.sister import SisterSystem, give_consent, query_of, register
from tests.helpers.staff import login_as


def test_a_logged_in_person_comes_back_with_a_code_and_the_tokens_say_who_and_where(
        app, client, live_server):
    client_id, secret = register(app)
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path(scope="openid profile email clinic"))
    assert answer.status_code == 302
    response = sister.read_redirect(answer.location)
    assert query_of(answer.location)["iss"] == live_server.url  # RFC 9207
    tokens = sister.exchange(response["code"])
    id_token = tokens["id_token"]
    assert id_token["iss"] == live_server.url and id_token["aud"] == [client_id]
    assert id_token["acr"] == "mitid-substantial" and id_token["amr"] == ["mitid"]
    assert id_token["sid"] and id_token["auth_time"]
    info = sister.userinfo()
    assert info["sub"] == id_token["sub"] and info["name"] == "Jonas Holm"
    assert info["clinic"]["name"] == "Rygcenter Aarhus" and info["function"] == "sekretær"


import pytest  # noqa: E402
import requests  # noqa: E402
from oic.oauth2.message import ErrorResponse  # noqa: E402
from sqlmodel import select  # noqa: E402

from app.blueprints.auth import policy  # noqa: E402
from app.models import AuditEvent, OPToken  # noqa: E402
from tests.helpers.db import query_one  # noqa: E402
from tests.helpers.http import post_form  # noqa: E402
from tests.helpers.sister import REDIRECT_URI  # noqa: E402
from tests.helpers.staff import login_with_mitid  # noqa: E402


@pytest.fixture
def kirpacs(app, live_server):
    client_id, secret = register(app, scopes=("openid", "profile", "clinic", "offline_access"))
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _code(client, sister, **extra):
    answer = client.get(sister.authorization_path(**extra))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return sister.read_redirect(answer.location)["code"]


def _userinfo_status(live_server, access_token):
    return requests.get(live_server.url + "/oidc/userinfo",
                        headers={"Authorization": f"Bearer {access_token}"}, timeout=5).status_code


def test_without_a_session_the_person_logs_in_first_and_comes_back(client, kirpacs):
    answer = client.get(kirpacs.authorization_path())
    assert answer.status_code == 302 and answer.location == "/login"
    login_with_mitid(client, "jonas.holm")  # the function picker comes next
    answer = post_form(client, "/select/function", {"function": "clinician"})
    assert answer.location == "/"
    answer = client.get("/")  # the start page continues to the waiting login
    assert answer.status_code == 302 and answer.location.startswith("/oidc/authorize?")
    answer = client.get(answer.location)
    tokens = kirpacs.exchange(kirpacs.read_redirect(answer.location)["code"])
    assert kirpacs.userinfo()["function"] == "behandler"
    assert tokens["id_token"]["nonce"] == kirpacs.nonce


def test_prompt_none_without_a_session_answers_login_required(client, kirpacs):
    answer = client.get(kirpacs.authorization_path(prompt="none"))
    assert answer.status_code == 302
    assert query_of(answer.location)["error"] == "login_required"


def test_prompt_login_asks_for_a_new_login_even_with_a_session(client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(kirpacs.authorization_path(prompt="login"))
    assert answer.location == "/login"
    assert client.get("/").status_code == 302  # the old session is gone


def test_an_unregistered_redirect_uri_is_never_redirected_to(client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    path = kirpacs.authorization_path().replace("127.0.0.1%3A9", "evil.example")
    answer = client.get(path)
    assert answer.status_code == 400 and "Login-forespørgslen er ugyldig" in answer.get_data(True)


def test_a_scope_the_client_may_not_have_is_refused(client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(kirpacs.authorization_path(scope="openid email"))  # email: not allowed
    assert query_of(answer.location)["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_tokens(client, kirpacs, live_server):
    login_as(client, "jonas.holm", function="secretary")
    code = _code(client, kirpacs)
    answer = requests.post(live_server.url + "/oidc/token", timeout=5, auth=("kirpacs", "wrong"),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT_URI})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_code_is_for_its_own_client_only(app, client, kirpacs, live_server):
    other_id, other_secret = register(app, client_id="kircacs")
    login_as(client, "jonas.holm", function="secretary")
    code = _code(client, kirpacs)
    answer = requests.post(live_server.url + "/oidc/token", timeout=5,
                           auth=(other_id, other_secret),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT_URI})
    assert answer.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_what_it_issued(client, kirpacs, live_server):
    login_as(client, "jonas.holm", function="secretary")
    code = _code(client, kirpacs)
    tokens = kirpacs.exchange(code)
    assert _userinfo_status(live_server, tokens["access_token"]) == 200
    again = kirpacs.exchange(code)
    assert isinstance(again, ErrorResponse) and again["error"] == "invalid_grant"
    assert _userinfo_status(live_server, tokens["access_token"]) == 401


def test_an_expired_code_is_refused(app, client, kirpacs, clock):
    login_as(client, "jonas.holm", function="secretary")
    code = _code(client, kirpacs)
    from datetime import timedelta

    clock.now += timedelta(seconds=app.config["OP_CODE_SECONDS"] + 1)
    answer = kirpacs.exchange(code)
    assert isinstance(answer, ErrorResponse) and answer["error"] == "invalid_grant"


def test_a_public_client_must_use_pkce_s256(app, client, live_server):
    client_id, _ = register(app, client_id="kiroviden", auth_method="none")
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, None, auth_method="none")
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path())
    assert query_of(answer.location)["error"] == "invalid_request"
    plain = client.get(sister.authorization_path(code_challenge="a" * 43,
                                                 code_challenge_method="plain"))
    assert query_of(plain.location)["error"] == "invalid_request"
    pkce, verifier = sister.rp.add_code_challenge()
    code = sister.read_redirect(client.get(sister.authorization_path(**pkce)).location)["code"]
    wrong = sister.exchange(code, code_verifier="b" * 43)
    assert isinstance(wrong, ErrorResponse) and wrong["error"] == "invalid_grant"
    code = sister.read_redirect(client.get(sister.authorization_path(**pkce)).location)["code"]
    assert "id_token" in sister.exchange(code, code_verifier=verifier)


def test_a_client_requiring_mitid_refuses_a_password_fallback_session(app, client, live_server):
    client_id, secret = register(app, client_id="kircacs", required_acr="mitid-substantial")
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, secret)
    with app.app_context():
        policy.switch_fallback(on=True, reason="MitID nede", actor="test")
    answer = post_form(client, "/login/password", {"user_id": "jho", "password": "Sekretaer2024"},
                       page="/login")
    post_form(client, "/select/function", {"function": "secretary"})
    answer = client.get(sister.authorization_path())
    assert answer.status_code == 403 and "kræver login med MitID" in answer.get_data(True)
    [event] = query_one(app, select(AuditEvent).where(AuditEvent.action == "op_login_refused_acr"))
    assert "password" in event.detail


def test_after_withdrawing_consent_the_system_gets_access_denied_and_the_person_a_page(
        app, client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    post_form(client, "/profile/consent/withdraw", {}, page="/profile/")
    answer = client.get(kirpacs.authorization_path())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "trukket dit samtykke tilbage" in page
    decline = page.split('href="')[-1].split('"')[0].replace("&amp;", "&")
    refused = client.get(decline)
    assert query_of(refused.location)["error"] == "access_denied"
    # Giving consent again on the page continues to the system with a code.
    client.get(kirpacs.authorization_path())
    again = post_form(client, "/oidc/authorize/samtykke", {}, page="/profile/")
    answer = client.get(again.location)
    assert "code" in query_of(answer.location)


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_chain(client, kirpacs, live_server):
    login_as(client, "jonas.holm", function="secretary")
    tokens = kirpacs.exchange(_code(client, kirpacs, scope="openid profile offline_access"))
    first = tokens["refresh_token"]

    def refresh(token):
        return requests.post(live_server.url + "/oidc/token", timeout=5,
                             auth=("kirpacs", kirpacs.rp.client_secret),
                             data={"grant_type": "refresh_token", "refresh_token": token})
    second = refresh(first)
    assert second.status_code == 200 and second.json()["refresh_token"] != first
    reused = refresh(first)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # The reuse ended the family: the newest refresh and access tokens stop too.
    assert refresh(second.json()["refresh_token"]).status_code == 400
    assert _userinfo_status(live_server, second.json()["access_token"]) == 401


def test_after_log_ud_tokens_and_refresh_stop_at_once(app, client, kirpacs, live_server):
    login_as(client, "jonas.holm", function="secretary")
    tokens = kirpacs.exchange(_code(client, kirpacs, scope="openid profile offline_access"))
    post_form(client, "/logout", {}, page="/")
    assert _userinfo_status(live_server, tokens["access_token"]) == 401
    answer = requests.post(live_server.url + "/oidc/token", timeout=5,
                           auth=("kirpacs", kirpacs.rp.client_secret),
                           data={"grant_type": "refresh_token",
                                 "refresh_token": tokens["refresh_token"]})
    assert answer.json()["error"] == "invalid_grant"
    assert query_one(app, select(OPToken))[0].revoked_at is None  # it follows the session


POST_LOGOUT = "https://kirpacs.example/logged-out"


@pytest.fixture
def kirpacs_logout(app, live_server):
    client_id, secret = register(app, client_id="kirpacs",
                                 post_logout_redirect_uris=[POST_LOGOUT])
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _logout_path(**params):
    from urllib.parse import urlencode

    return "/oidc/logout?" + urlencode(params)


def test_log_ud_in_a_sister_system_ends_the_session_here_and_returns(client, kirpacs_logout):
    login_as(client, "jonas.holm", function="secretary")
    tokens = kirpacs_logout.exchange(_code(client, kirpacs_logout))
    answer = client.get(_logout_path(id_token_hint=tokens["id_token"].jwt,
                                     post_logout_redirect_uri=POST_LOGOUT, state="s1"))
    assert answer.status_code == 302 and answer.location == POST_LOGOUT + "?state=s1"
    assert client.get("/").location.startswith("/login")


def test_an_unregistered_post_logout_uri_is_not_redirected_to(client, kirpacs_logout):
    login_as(client, "jonas.holm", function="secretary")
    tokens = kirpacs_logout.exchange(_code(client, kirpacs_logout))
    answer = client.get(_logout_path(id_token_hint=tokens["id_token"].jwt,
                                     post_logout_redirect_uri="https://evil.example/"))
    assert "evil.example" not in (answer.location or "")


def test_a_logout_without_a_hint_asks_the_person_first(client, kirpacs_logout):
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(_logout_path(client_id="kirpacs"))
    assert answer.status_code == 200 and "Log ud af Klinikadgang?" in answer.get_data(True)
    assert client.get("/").status_code == 200  # still logged in
    assert client.post(_logout_path(client_id="kirpacs"), data={"confirm": "1"}).status_code \
        == 400  # the confirmation needs its CSRF token
    post_form(client, _logout_path(client_id="kirpacs"), {"confirm": "1"})
    assert client.get("/").location.startswith("/login")


def test_a_hint_of_another_person_does_not_log_this_one_out(app, client, kirpacs_logout):
    other = app.test_client()
    give_consent(app, "mkj")
    login_as(other, "mette.kjaer", clinic="aarhus")
    mettes = kirpacs_logout.exchange(_code(other, kirpacs_logout))
    login_as(client, "jonas.holm", function="secretary")
    client.get(_logout_path(id_token_hint=mettes["id_token"].jwt))
    assert client.get("/").status_code == 200
