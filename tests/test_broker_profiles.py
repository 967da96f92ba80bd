"""The app against each broker profile (Signaturgruppen, Idura) of the MitID simulator.

Each test runs once per profile: the simulator's clients answer with that broker's claim names
and honour its request parameters, and the app is configured with the same profile.
"""

import json

import pytest
import requests
from sqlmodel import select

from app.models import LoginSession, Onboarding, PortalSession
from app.simulator import add_identity, create_simulator_app, serve_simulator, set_assurance, set_fault
from tests.conftest import LIVE_PORT, TEST_PERSONAS
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import app_path, post_form, query
from tests.helpers.mitid import answered_at_once, simulator_browser
from tests.helpers.portal import CPR, logout, portal_mitid, register
from tests.helpers.staff import CLINIC_IDS, link_erhverv, login_with_mitid

PROFILES = ("signaturgruppen", "idura")
ORIGINS = ("http://localhost",)


def _clients(profile: str) -> list[dict]:
    def client(client_id, secret, area, callback, logged_out, scope):
        return {"client_id": client_id, "client_secret": secret, "profile": profile,
                "redirect_uris": [o + callback for o in ORIGINS],
                "post_logout_redirect_uris": [o + logged_out for o in ORIGINS], "scope": scope,
                "backchannel_logout_uri":
                    f"http://127.0.0.1:{LIVE_PORT}/{area}/mitid/backchannel-logout"}

    return [client("klinikadgang-staff", "test-staff-secret", "auth", "/auth/mitid/callback",
                   "/auth/logget-ud", "openid mitid ssn nemlogin"),
            client("klinikadgang-citizen", "test-citizen-secret", "portal",
                   "/portal/mitid/callback", "/portal/mitid/logget-ud", "openid mitid ssn")]


def _serve(profile: str, **config):
    sim_app = create_simulator_app({"SIMULATOR_IDENTITIES_FILE": TEST_PERSONAS,
                                    "SIMULATOR_CLIENTS": _clients(profile), **config})
    return serve_simulator(sim_app), sim_app


@pytest.fixture(scope="module", params=PROFILES)
def profiled_simulator(request):
    """A simulator whose clients answer as one broker profile: (profile, server, app)."""
    server, sim_app = _serve(request.param)
    yield request.param, server, sim_app
    server.shutdown()


@pytest.fixture(autouse=True)
def profile(profiled_simulator, app_config):
    """Point both brokers of the app at the profiled simulator, with the same profile."""
    name, server, sim_app = profiled_simulator
    _point_at(app_config, server, name)
    yield name
    set_assurance(sim_app, None)
    set_fault(sim_app, None)


def _point_at(app_config: dict, server, profile: str) -> None:
    for prefix in ("STAFF_BROKER", "CITIZEN_BROKER"):
        app_config[f"{prefix}_METADATA_URL"] = server.url + "/.well-known/openid-configuration"
        app_config[f"{prefix}_PROFILE"] = profile


@pytest.fixture
def sim(profiled_simulator):
    """The profiled simulator's app (for its dev controls)."""
    return profiled_simulator[2]


EXPECTED_PARAMS = {
    ("signaturgruppen", "staff"): {"idp_values": "mitid mitid_erhverv",
                                   "idp_params": {"mitid": {"loa_value": "substantial"}}},
    ("signaturgruppen", "citizen"): {"idp_values": "mitid",
                                     "idp_params": {"mitid": {"loa_value": "substantial"}}},
    ("idura", "staff"): {"acr_values": "urn:grn:authn:dk:mitid:substantial "
                                       "urn:grn:authn:dk:mitid:business"},
    ("idura", "citizen"): {"acr_values": "urn:grn:authn:dk:mitid:substantial"},
}


def _profile_params(url: str) -> dict:
    params = query(url)
    found = {name: params[name] for name in ("idp_values", "acr_values") if name in params}
    if "idp_params" in params:
        found["idp_params"] = json.loads(params["idp_params"])
    return found


def test_the_authorization_requests_carry_the_profiles_parameters(client, profile):
    staff = client.get("/auth/mitid/login").location
    citizen = client.get("/portal/aarhus/mitid").location
    assert _profile_params(staff) == EXPECTED_PARAMS[profile, "staff"]
    assert _profile_params(citizen) == EXPECTED_PARAMS[profile, "citizen"]


def test_a_higher_minimum_is_asked_for_and_reached(app_config, request, profile):
    app_config["STAFF_BROKER_MIN_LOA"] = "high"
    client = request.getfixturevalue("client")
    start = client.get("/auth/mitid/login").location
    assert "high" in json.dumps(_profile_params(start))
    assert login_with_mitid(client, "hanne.lund").location == "/"
    assert [row.loa for row in query_one(request.getfixturevalue("app"),
                                         select(LoginSession))] == ["high"]


def test_private_mitid_staff_login_keeps_how_it_was_made(app, client):
    answer = login_with_mitid(client, "hanne.lund")
    assert (answer.status_code, answer.location) == (302, "/")
    assert "Velkommen Hanne Lund" in client.get("/").get_data(as_text=True)
    rows = query_one(app, select(LoginSession))
    assert [(r.method, r.idp, r.loa, r.broker_sub is not None) for r in rows] == [
        ("mitid", "mitid", "substantial", True)]


def test_a_mitid_erhverv_login_is_named_from_the_profiles_claims(app, client, sim):
    add_identity(sim, mitid_user_id="erhverv.ny", name="Birgitte Erhvervsen", cpr="010170-1234",
                 erhverv=[{"cvr": "10000002", "org_name": "Rygcenter Aarhus"}])
    answer = login_with_mitid(client, "erhverv.ny", login_as="10000002")
    assert answer.status_code == 302
    page = client.get(answer.location, follow_redirects=True).get_data(as_text=True)
    assert "Velkommen Birgitte Erhvervsen" in page
    [row] = query_one(app, select(Onboarding))
    assert (row.name, row.idp, row.identity_type, row.loa) == (
        "Birgitte Erhvervsen", "mitid_erhverv", "professional", "substantial")
    assert (row.cvr, row.org_name) == ("10000002", "Rygcenter Aarhus")
    assert row.professional_id


def test_citizen_portal_mitid_login_reads_the_cpr(app, client):
    # Registration compares the CPR typed with the one MitID confirms: the profile's CPR claim.
    assert register(client, "aarhus").location == "/portal/aarhus/hjem"
    logout(client, "aarhus")
    back = portal_mitid(client, "aarhus", "sofie.nielsen")
    assert (back.status_code, back.location) == (302, "/portal/aarhus/hjem")
    rows = query_one(app, select(PortalSession).order_by(PortalSession.id))
    assert [(r.idp, r.loa) for r in rows] == [("mitid", "substantial")] * 2


def test_a_typed_cpr_that_mitid_does_not_confirm_is_refused(client):
    answer = register(client, "aarhus", mitid_as="karen.jensen")
    assert "CPR-nummeret passer ikke" in answer.get_data(as_text=True)
    assert CPR["karen.jensen"] not in answer.get_data(as_text=True)


def _assert_refused(app, client, answer, title: str, reason: str, *, broker: str):
    body = answer.get_data(as_text=True)
    assert answer.status_code == 403 and title in body
    events = audit_events(app, "mitid_login_refused_assurance")
    assert [(json.loads(e.detail)["reason"], json.loads(e.detail)["broker"]) for e in events] \
        == [(reason, broker)]
    detail = events[0].detail
    for personal in ("Hanne", "Sofie", "Nielsen", CPR["sofie.nielsen"].replace("-", "")):
        assert personal not in detail  # how the login was made, never who
    assert query_one(app, select(LoginSession)) == []
    assert query_one(app, select(PortalSession)) == []


def test_a_login_below_the_minimum_level_is_refused(app, client, sim):
    set_assurance(sim, "low")  # the simulator answers low, whatever was asked
    answer = login_with_mitid(client, "hanne.lund")
    _assert_refused(app, client, answer, "Sikringsniveauet er for lavt", "low_assurance",
                    broker="staff")
    assert json.loads(audit_events(app, "mitid_login_refused_assurance")[0].detail) == {
        "broker": "staff", "reason": "low_assurance", "idp": "mitid", "loa": "low",
        "required": "substantial"}
    assert client.get("/").status_code == 302  # not logged in


def test_a_low_level_is_accepted_where_configured(app_config, request, sim):
    app_config["STAFF_BROKER_MIN_LOA"] = "low"
    set_assurance(sim, "low")
    client = request.getfixturevalue("client")
    assert login_with_mitid(client, "hanne.lund").location == "/"


def test_a_portal_login_below_the_minimum_level_is_refused(app, client, sim):
    set_assurance(sim, "low")
    answer = portal_mitid(client, "aarhus", "sofie.nielsen")
    _assert_refused(app, client, answer, "Sikringsniveauet er for lavt", "low_assurance",
                    broker="citizen")
    assert 'href="/portal/aarhus"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("fault", ["missing_idp", "missing_loa"])
def test_an_answer_that_does_not_say_how_the_person_logged_in_is_refused(app, client, sim, fault):
    set_fault(sim, fault)
    answer = login_with_mitid(client, "hanne.lund")
    title, reason = {"missing_idp": ("Login-typen kunne ikke genkendes", "unknown_idp"),
                     "missing_loa": ("Sikringsniveauet er for lavt", "low_assurance")}[fault]
    _assert_refused(app, client, answer, title, reason, broker="staff")


def test_a_portal_answer_without_idp_is_refused(app, client, sim):
    set_fault(sim, "missing_idp")
    answer = portal_mitid(client, "aarhus", "sofie.nielsen")
    _assert_refused(app, client, answer, "Log ind med dit private MitID", "unknown_idp",
                    broker="citizen")


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_id_tokens_signed_with_either_algorithm_verify(app_config, request, profile, alg):
    server, _sim_app = _serve(profile, SIMULATOR_SIGNING_ALG=alg)
    try:
        _point_at(app_config, server, profile)
        client = request.getfixturevalue("client")
        assert server.url in client.get("/auth/mitid/login").location
        assert login_with_mitid(client, "hanne.lund").location == "/"
    finally:
        server.shutdown()


def _log_ud(client, page="/"):
    assert post_form(client, "/logout", {}, page=page).status_code in (302, 303)


def _preselected(client) -> list[str]:
    page = client.get("/select/clinic").get_data(as_text=True)
    return [key for key, clinic_id in CLINIC_IDS.items() if f'value="{clinic_id}" checked' in page]


def test_mette_private_and_erhverv_at_two_clinics(app, client):
    """One person, three identities: private MitID and MitID Erhverv for Vejle and for Aarhus."""
    for cvr in ("10000002", "10000001"):  # each linked by confirming with the private MitID
        assert link_erhverv(client, "mette.kjaer", cvr).location == "/select/clinic"
        _log_ud(client, "/select/clinic")
    for login_as, clinic in (("10000002", "aarhus"), ("10000001", "vejle"), (None, None)):
        answer = login_with_mitid(client, "mette.kjaer", login_as=login_as)
        assert answer.location == "/select/clinic"
        assert _preselected(client) == ([clinic] if clinic else [])
        _log_ud(client, "/select/clinic")
    rows = query_one(app, select(LoginSession).order_by(LoginSession.id))
    kinds = [(row.idp, row.mitid_link_id) for row in rows if row.method == "mitid"][-3:]
    assert [idp for idp, _link in kinds] == ["mitid_erhverv", "mitid_erhverv", "mitid"]
    assert len({link for _idp, link in kinds}) == 3  # three links, one per identity


def test_log_ud_then_nemlog_in_asks_for_credentials_again(client, profiled_simulator):
    _name, server, _sim = profiled_simulator
    assert login_with_mitid(client, "hanne.lund").location == "/"
    answer = post_form(client, "/logout", {}, page="/", htmx=True)
    to_broker = client.get(answer.headers["HX-Redirect"])
    assert to_broker.location.startswith(server.url + "/logout?")
    back = simulator_browser(client).get(to_broker.location, allow_redirects=False, timeout=10)
    assert client.get(app_path(back.headers["Location"])).status_code == 200
    start = client.get("/auth/mitid/login").location
    assert answered_at_once(start, simulator_browser(client)) is None  # the BRUGER-ID page


def test_the_brokers_back_channel_logout_ends_the_session(app, client, live_server,
                                                          profiled_simulator):
    _name, server, _sim = profiled_simulator
    assert login_with_mitid(client, "hanne.lund").location == "/"
    answer = requests.post(server.url + "/dev/sessions/end", json={"user_id": "hanne.lund"},
                           timeout=10)
    assert answer.json()["deliveries"] == {"klinikadgang-staff": "delivered"}
    assert client.get("/").location.startswith("/login")
    assert [row.ended_reason for row in query_one(app, select(LoginSession))] == ["broker_logout"]
