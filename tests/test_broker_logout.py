"""Log ud ends the MitID broker's session too (issue 18): staff and patient portal, with the
simulator's real login session (SSO), RP-initiated logout, prompt=login and max_age."""

import pytest
from sqlmodel import select

from app.models import LoginSession, PortalSession
from app.simulator import create_simulator_app, serve_simulator
from tests.conftest import TEST_PERSONAS
from tests.helpers.db import query_one
from tests.helpers.http import app_path, post_form, query, raw_session_cookie
from tests.helpers.mitid import answered_at_once, log_out_at_simulator, simulator_browser
from tests.helpers.portal import logout as portal_logout
from tests.helpers.portal import portal_mitid, register
from tests.helpers.staff import login_with_mitid


def nemlog_in(client):
    """Click NEMLOG-IN: the authorization URL the app sends the browser to."""
    start = client.get("/auth/mitid/login")
    assert start.status_code == 302, start.status_code
    return start.location


def staff_log_out_with_js(client):
    """Log ud as htmx sends it: HX-Redirect to our GET, which redirects to the broker."""
    answer = post_form(client, "/logout", {}, page="/", htmx=True)
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/auth/log-ud/mitid"
    return client.get("/auth/log-ud/mitid")


def follow_at_simulator(client, to_broker):
    """The browser at the broker's end-session URL, and back at the app."""
    assert to_broker.status_code == 302, to_broker.status_code
    back = simulator_browser(client).get(to_broker.location, allow_redirects=False, timeout=10)
    assert back.status_code == 302, (back.status_code, back.text[:300])
    return client.get(app_path(back.headers["Location"]))


def test_without_log_ud_the_simulator_answers_at_once(client):
    assert login_with_mitid(client, "hanne.lund").location == "/"
    back = answered_at_once(nemlog_in(client), simulator_browser(client))
    assert back is not None and query(back)["code"]  # the SSO is real: no BRUGER-ID page


def test_log_ud_ends_the_session_at_the_broker(app, client, simulator_server):
    server, _sim = simulator_server
    login_with_mitid(client, "hanne.lund")
    to_broker = staff_log_out_with_js(client)
    assert to_broker.location.startswith(server.url + "/logout?")
    params = query(to_broker.location)
    assert params["post_logout_redirect_uri"] == "http://localhost/auth/logget-ud"
    assert params["client_id"] == "klinikadgang-staff" and len(params["state"]) >= 20
    [row] = query_one(app, select(LoginSession))
    assert params["id_token_hint"].count(".") == 2 and row.id_token is None  # used once
    page = follow_at_simulator(client, to_broker)
    assert page.status_code == 200
    assert "Du er logget ud af Klinikadgang og MitID." in page.get_data(as_text=True)
    authorize = nemlog_in(client)
    assert "prompt" not in query(authorize)  # the broker's session has ended: no need
    assert answered_at_once(authorize, simulator_browser(client)) is None  # BRUGER-ID page


def test_the_next_person_logs_in_as_themselves(client):
    login_with_mitid(client, "hanne.lund")
    follow_at_simulator(client, staff_log_out_with_js(client))
    assert login_with_mitid(client, "jonas.holm").location == "/select/function"
    assert "Jonas Holm" in client.get("/select/function").get_data(as_text=True)


def test_the_id_token_is_kept_on_the_server_not_in_the_cookie(app, client):
    login_with_mitid(client, "hanne.lund")
    [row] = query_one(app, select(LoginSession))
    assert row.id_token and row.id_token.count(".") == 2
    assert "eyJ" not in raw_session_cookie(app, client)  # nor any JWT in the signed cookie


def test_log_ud_without_js_links_to_mitid(client):
    login_with_mitid(client, "hanne.lund")
    answer = post_form(client, "/logout", {}, page="/")
    assert (answer.status_code, answer.location) == (303, "/auth/logget-ud")
    page = client.get(answer.location)
    assert 'href="/auth/log-ud/mitid"' in page.get_data(as_text=True)
    done = log_out_at_simulator(client, page)
    assert "Du er logget ud af Klinikadgang og MitID." in done.get_data(as_text=True)
    assert answered_at_once(nemlog_in(client), simulator_browser(client)) is None


def test_log_ud_without_going_on_to_mitid_still_asks_for_credentials(client):
    login_with_mitid(client, "hanne.lund")
    post_form(client, "/logout", {}, page="/")
    authorize = nemlog_in(client)
    assert query(authorize)["prompt"] == "login"
    assert answered_at_once(authorize, simulator_browser(client)) is None  # BRUGER-ID page
    assert login_with_mitid(client, "hanne.lund").location == "/"
    post_form(client, "/logout", {}, page="/")  # Log ud again, not on to MitID: asks again
    assert query(nemlog_in(client))["prompt"] == "login"


def test_a_forged_state_does_not_count_as_logged_out_at_the_broker(client):
    login_with_mitid(client, "hanne.lund")
    staff_log_out_with_js(client)
    client.get("/auth/logget-ud?state=forged")
    assert query(nemlog_in(client))["prompt"] == "login"


def test_password_logins_log_out_here_only(client):
    from tests.helpers.staff import open_session

    open_session(client.application, client, "bente.ext", "vejle", "external")
    answer = post_form(client, "/logout", {}, page="/")
    assert (answer.status_code, answer.location) == (303, "/login")
    assert "prompt" not in query(nemlog_in(client))


@pytest.fixture
def staff_post_logout(app_config):
    """The app names a post-logout URI the broker has not registered."""
    app_config["STAFF_BROKER_POST_LOGOUT_REDIRECT_URI"] = "http://localhost/somewhere-else"


def test_the_simulator_refuses_an_unregistered_post_logout_uri(staff_post_logout, client):
    login_with_mitid(client, "hanne.lund")
    to_broker = staff_log_out_with_js(client)
    refused = simulator_browser(client).get(to_broker.location, allow_redirects=False,
                                            timeout=10)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "ikke registreret" in refused.text
    authorize = nemlog_in(client)  # not confirmed: the next login asks for credentials
    assert query(authorize)["prompt"] == "login"
    assert answered_at_once(authorize, simulator_browser(client)) is None


@pytest.fixture
def broker_without_end_session(app_config):
    """A broker that advertises no end_session_endpoint (the simulator switched so)."""
    sim_app = create_simulator_app({
        "SIMULATOR_IDENTITIES_FILE": TEST_PERSONAS, "SIMULATOR_END_SESSION": False,
        "SIMULATOR_CLIENTS": [{"client_id": "klinikadgang-staff",
                               "client_secret": "test-staff-secret",
                               "redirect_uris": ["http://localhost/auth/mitid/callback"],
                               "scope": "openid mitid nemlogin"}]})
    server = serve_simulator(sim_app)
    app_config["STAFF_BROKER_METADATA_URL"] = server.url + "/.well-known/openid-configuration"
    yield server
    server.shutdown()


def test_prompt_login_after_log_ud_where_the_broker_has_no_end_session(
        broker_without_end_session, client):
    login_with_mitid(client, "hanne.lund")
    assert answered_at_once(nemlog_in(client), simulator_browser(client)) is not None
    to_page = staff_log_out_with_js(client)
    assert to_page.location == "/auth/logget-ud"  # nowhere to go at the broker
    body = client.get(to_page.location).get_data(as_text=True)
    assert "beder om dit MitID igen" in body
    authorize = nemlog_in(client)
    assert query(authorize)["prompt"] == "login"
    assert answered_at_once(authorize, simulator_browser(client)) is None  # BRUGER-ID page
    assert login_with_mitid(client, "hanne.lund").location == "/"
    assert "prompt" not in query(nemlog_in(client))  # asked once, after that Log ud


def test_max_age_is_sent_when_configured(app, client):
    app.config["STAFF_BROKER_MAX_AGE"] = 600
    assert query(nemlog_in(client))["max_age"] == "600"
    assert login_with_mitid(client, "hanne.lund").location == "/"  # auth_time checked


def test_max_age_is_not_sent_by_default(client):
    assert "max_age" not in query(nemlog_in(client))


@pytest.fixture
def karen(client, outbox):
    """Karen registered at Rygcenter Aarhus with MitID, logged in."""
    assert register(client, "aarhus", "karen.jensen").status_code == 302
    return client


def test_portal_without_log_ud_the_simulator_answers_at_once(karen):
    start = karen.get("/portal/aarhus/mitid")
    assert answered_at_once(start.location, simulator_browser(karen)) is not None


def test_portal_log_ud_ends_the_session_at_the_citizen_broker(app, karen, simulator_server):
    server, _sim = simulator_server
    answer = post_form(karen, "/portal/aarhus/log-ud", {}, page="/portal/aarhus/hjaelp",
                       htmx=True)
    assert answer.headers["HX-Redirect"] == "/portal/aarhus/log-ud/mitid"
    to_broker = karen.get("/portal/aarhus/log-ud/mitid")
    assert to_broker.location.startswith(server.url + "/logout?")
    params = query(to_broker.location)
    assert params["client_id"] == "klinikadgang-citizen"
    assert params["post_logout_redirect_uri"] == "http://localhost/portal/mitid/logget-ud"
    assert all(row.id_token is None for row in query_one(app, select(PortalSession)))
    front = follow_at_simulator(karen, to_broker)
    assert front.location == "/portal/aarhus"
    assert "Du er logget ud." in karen.get("/portal/aarhus").get_data(as_text=True)
    start = karen.get("/portal/aarhus/mitid")
    assert "prompt" not in query(start.location)
    assert answered_at_once(start.location, simulator_browser(karen)) is None  # BRUGER-ID page


def test_portal_log_ud_without_js(karen):
    answer = portal_logout(karen, "aarhus")
    assert answer.location == "/portal/aarhus/logget-ud"
    page = karen.get(answer.location)
    assert 'href="/portal/aarhus/log-ud/mitid"' in page.get_data(as_text=True)
    start = karen.get("/portal/aarhus/mitid")  # not gone on to MitID: prompt=login
    assert query(start.location)["prompt"] == "login"
    assert answered_at_once(start.location, simulator_browser(karen)) is None
    assert portal_mitid(karen, "aarhus", "karen.jensen").location == "/portal/aarhus/hjem"


def test_portal_log_ud_follows_the_link_to_mitid(karen):
    page = karen.get(portal_logout(karen, "aarhus").location)
    front = log_out_at_simulator(karen, page)
    assert front.location == "/portal/aarhus"
    start = karen.get("/portal/aarhus/mitid")
    assert "prompt" not in query(start.location)
    assert answered_at_once(start.location, simulator_browser(karen)) is None
