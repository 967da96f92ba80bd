"""The app as OpenID Connect relying party of the staff broker, against the MitID simulator."""

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from app.blueprints.auth.sessions import USER_ID_KEY
from app.models import LoginSession, Onboarding
from app.simulator import set_fault, set_outage
from tests.helpers.db import query_one
from tests.helpers.http import app_path, post_form, query
from tests.helpers.mitid import walk_simulator
from tests.helpers.staff import link_erhverv, login_with_mitid


def test_login_page_offers_nemlog_in(client):
    page = client.get("/login").get_data(as_text=True)
    assert "NEMLOG-IN" in page and 'href="/auth/mitid/login"' in page


def test_authorization_request_has_state_nonce_and_pkce_s256(client):
    start = client.get("/auth/mitid/login")
    params = query(start.location)
    assert params["response_type"] == "code" and params["client_id"] == "klinikadgang-staff"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert "openid" in params["scope"].split()


def test_onboarded_persona_goes_straight_in(app, client):
    answer = login_with_mitid(client, "hanne.lund")
    assert (answer.status_code, answer.location) == (302, "/")
    assert "Velkommen Hanne Lund" in client.get("/").get_data(as_text=True)
    sessions = query_one(app, select(LoginSession))
    assert [(s.method, s.ended_at) for s in sessions] == [("mitid", None)]


def test_the_login_page_sends_a_logged_in_member_on_to_the_front_page(client):
    assert login_with_mitid(client, "hanne.lund").location == "/"
    answer = client.get("/login")
    assert (answer.status_code, answer.location) == (302, "/")
    post_form(client, "/logout", {}, page="/")
    assert client.get("/login").status_code == 200


def test_cancel_at_mitid_explains_and_offers_to_try_again(client):
    start = client.get("/auth/mitid/login")
    back = walk_simulator(start.location, "asger.torring", cancel=True)
    assert query(back)["error"] == "access_denied"
    answer = client.get(app_path(back))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Login med MitID blev afbrudt" in body
    assert 'href="/auth/mitid/login"' in body
    assert client.get("/").status_code == 302  # not logged in


def test_outage_before_login_shows_mitid_unreachable(client, simulator):
    set_outage(simulator, True)
    answer = client.get("/auth/mitid/login")
    assert answer.status_code == 503
    assert "MitID svarer ikke lige nu" in answer.get_data(as_text=True)


def test_outage_during_login_shows_mitid_unreachable(client, simulator):
    start = client.get("/auth/mitid/login")
    back = walk_simulator(start.location, "asger.torring")
    set_outage(simulator, True)
    answer = client.get(app_path(back))
    assert answer.status_code == 503
    assert "MitID svarer ikke lige nu" in answer.get_data(as_text=True)


def test_replayed_state_is_refused(client):
    start = client.get("/auth/mitid/login")
    back = walk_simulator(start.location, "hanne.lund")
    assert client.get(app_path(back)).location == "/"
    post_form(client, "/logout", {}, page="/")
    replay = client.get(app_path(back))
    assert replay.status_code == 400
    assert "Login-forsøget er udløbet" in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_state_from_another_browser_is_refused(app, client):
    start = client.get("/auth/mitid/login")
    back = walk_simulator(start.location, "hanne.lund")
    stranger = app.test_client()
    answer = stranger.get(app_path(back))
    assert answer.status_code == 400 and stranger.get("/").status_code == 302


@pytest.mark.parametrize("fault", ["bad_signature", "wrong_audience", "wrong_issuer",
                                   "wrong_nonce", "expired"])
def test_defective_id_tokens_are_rejected(app, client, simulator, fault, caplog):
    set_fault(simulator, fault)
    with caplog.at_level(logging.INFO):
        answer = login_with_mitid(client, "hanne.lund")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Login kunne ikke bekræftes" in body
    assert client.get("/").status_code == 302
    assert query_one(app, select(LoginSession)) == []
    assert query_one(app, select(Onboarding)) == []
    assert "Hanne" not in caplog.text and "090976" not in caplog.text


def test_mitid_erhverv_login_of_an_onboarded_person(client):
    """A MitID Erhverv identity has a sub of its own: linked once, then it logs straight in."""
    assert link_erhverv(client, "mette.kjaer", "10000002").location == "/select/clinic"
    post_form(client, "/logout", {}, page="/select/clinic")
    answer = login_with_mitid(client, "mette.kjaer", login_as="10000002")
    assert answer.location == "/select/clinic"


def test_logout_ends_the_session_on_the_server(app, client):
    login_with_mitid(client, "hanne.lund")
    cookie = client.get_cookie("session").value
    post_form(client, "/logout", {}, page="/")
    assert client.get("/").status_code == 302
    row = query_one(app, select(LoginSession))[0]
    assert row.ended_at is not None and row.ended_reason == "logout"
    client.set_cookie("session", cookie)  # a copied cookie is useless after log ud
    assert client.get("/").status_code == 302


def test_session_is_rotated_at_login(app, client):
    with client.session_transaction() as session:
        session["planted"] = "by-someone-else"
    login_with_mitid(client, "hanne.lund")
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session[USER_ID_KEY]
    post_form(client, "/logout", {}, page="/")
    login_with_mitid(client, "hanne.lund")
    with client.session_transaction() as session:
        assert session[USER_ID_KEY] != first


def test_two_computers_can_be_logged_in_at_once(app):
    one, two = app.test_client(), app.test_client()
    login_with_mitid(one, "hanne.lund")
    login_with_mitid(two, "hanne.lund")
    assert one.get("/").status_code == two.get("/").status_code == 200


def test_session_expires_after_its_lifetime(app, client, clock):
    login_with_mitid(client, "hanne.lund")
    clock.now += timedelta(hours=8, minutes=1)
    assert client.get("/").status_code == 302
