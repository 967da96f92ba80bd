"""The app against an OpenID Provider nobody here wrote (issue 18): panva's oidc-provider,
OpenID Certified, configured as the Signaturgruppen broker documents itself
(tests/peers/broker.mjs), and the app pointed at it by configuration only.

OpenID Connect Core 1.0 (code flow, ID token validation §3.1.3.7, userinfo §5.3), Discovery 1.0,
RP-Initiated Logout 1.0 (§2, id_token_hint), RFC 6749 §2.3.1 (client_secret_basic with a secret
that needs form-encoding), RFC 7636 (PKCE S256).
"""

import base64
import json
import uuid

import pytest
import requests
from sqlmodel import select

from app.core.db import get_session
from app.models import LoginSession, MitIDLink, Onboarding, StaffUser
from tests.conftest import LIVE_PORT
from tests.helpers import broker as peer
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import app_path, post_form, query
from tests.helpers.mail import code_from

pytestmark = pytest.mark.skipif(peer.missing() is not None, reason=peer.missing() or "")

APP = f"http://127.0.0.1:{LIVE_PORT}"
CLIENT_ID = "klinikadgang-staff-interop"
CLIENT_SECRET = "Kl+nik/adgang=hemmelig+/="  # needs form-encoding in Basic (RFC 6749 §2.3.1)
SUBSTANTIAL = "https://data.gov.dk/concept/core/nsis/Substantial"
LOW = "https://data.gov.dk/concept/core/nsis/Low"

# The broker's accounts by sub, the broker's pseudonym of an identity (a UUID, as
# Signaturgruppen's), which is also what the person types at its login page; claims as mitid.html
# and mitid-erhverv.html list them.
SUBS = {who: str(uuid.uuid4()) for who in ("asger", "hanne", "lav", "mette.erhverv")}
ACCOUNTS = {
    SUBS["asger"]: {"idp": "mitid", "identity_type": "private",
                    "loa": SUBSTANTIAL, "ial": SUBSTANTIAL, "aal": SUBSTANTIAL,
                    "mitid.uuid": str(uuid.uuid4()), "mitid.identity_name": "Asger Tørring",
                    "mitid.age": "52", "mitid.date_of_birth": "1972-05-18"},
    SUBS["hanne"]: {"idp": "mitid", "identity_type": "private", "loa": SUBSTANTIAL,
                    "mitid.uuid": str(uuid.uuid4()), "mitid.identity_name": "Hanne Lund"},
    SUBS["lav"]: {"idp": "mitid", "identity_type": "private", "loa": LOW,
                  "mitid.uuid": str(uuid.uuid4()), "mitid.identity_name": "Hanne Lund"},
    SUBS["mette.erhverv"]: {"idp": "mitid_erhverv", "identity_type": "professional",
                            "loa": SUBSTANTIAL, "nemlogin.name": "Mette Kjær",
                            "nemlogin.given_name": "Mette", "nemlogin.family_name": "Kjær",
                            "nemlogin.cvr": "10000001",
                            "nemlogin.org_name": "Kiropraktisk Klinik Vejle",
                            "nemlogin.persistent_professional_id": str(uuid.uuid4())},
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """The broker with one confidential client: the app's staff broker registration."""
    client = {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "token_endpoint_auth_method": "client_secret_basic",
        "id_token_signed_response_alg": "ES256",
        "grant_types": ["authorization_code"], "response_types": ["code"],
        "scope": "openid mitid nemlogin",
        "redirect_uris": [f"{APP}/auth/mitid/callback"],
        "post_logout_redirect_uris": [f"{APP}/auth/logget-ud"],
        "backchannel_logout_uri": f"{APP}/auth/mitid/backchannel-logout",
        "backchannel_logout_session_required": True,
    }
    running = peer.Broker(tmp_path_factory.mktemp("broker"), clients=[client],
                          accounts=ACCOUNTS)
    yield running
    running.terminate()


@pytest.fixture
def app_config(app_config, broker):
    """The app's staff broker is the oidc-provider: configuration only, as the README says."""
    app_config.update({
        "STAFF_BROKER_METADATA_URL": broker.metadata_url,
        "STAFF_BROKER_CLIENT_ID": CLIENT_ID,
        "STAFF_BROKER_CLIENT_SECRET": CLIENT_SECRET,
        "STAFF_BROKER_PROFILE": "signaturgruppen",
        "STAFF_BROKER_REDIRECT_URI": f"{APP}/auth/mitid/callback",
        "STAFF_BROKER_POST_LOGOUT_REDIRECT_URI": f"{APP}/auth/logget-ud",
    })
    return app_config


@pytest.fixture
def browser():
    """The browser's cookies at the broker."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def hanne_linked(app):
    """Hanne Lund's account linked to her identity at this broker (as an onboarding leaves it)."""
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "hlu")).one()
        link = db.exec(select(MitIDLink).where(MitIDLink.staff_user_id == user.id)).one()
        link.sub = SUBS["hanne"]
        db.commit()


def nemlog_in(client) -> str:
    """Click NEMLOG-IN: the authorization URL the app sends the browser to."""
    start = client.get("/auth/mitid/login")
    assert start.status_code == 302, start.status_code
    return start.location


def login_at_broker(client, broker, browser, who: str):
    """NEMLOG-IN, log in at the broker as one of SUBS, come back; the app's answer there."""
    back = peer.walk_broker(broker, nemlog_in(client), SUBS[who], browser)
    assert back.startswith(f"{APP}/auth/mitid/callback?"), back
    return client.get(app_path(back))


def test_the_app_asks_the_broker_in_its_own_terms(client, broker, browser):
    authorize = nemlog_in(client)
    assert authorize.startswith(broker.url + "/auth?")
    params = query(authorize)
    assert params["client_id"] == CLIENT_ID and params["scope"] == "openid mitid nemlogin"
    assert params["redirect_uri"] == f"{APP}/auth/mitid/callback"
    assert params["code_challenge_method"] == "S256" and params["nonce"] and params["state"]
    assert params["idp_values"] == "mitid mitid_erhverv"
    assert json.loads(params["idp_params"]) == {"mitid": {"loa_value": "substantial"}}
    # The broker takes the request, its own parameters included: its login page, no error.
    assert peer.login_form(broker, authorize, browser).startswith(broker.url + "/interaction/")


def test_a_first_private_mitid_login_runs_the_onboarding(app, client, broker, browser, outbox):
    answer = login_at_broker(client, broker, browser, "asger")
    assert (answer.status_code, answer.location) == (302, "/onboarding/")
    page = client.get("/onboarding/", follow_redirects=True).get_data(as_text=True)
    assert "Velkommen Asger Tørring" in page
    [row] = query_one(app, select(Onboarding))
    assert (row.name, row.idp, row.identity_type, row.loa) == (
        "Asger Tørring", "mitid", "private", "substantial")
    assert row.mitid_uuid == ACCOUNTS[SUBS["asger"]]["mitid.uuid"]  # read from the broker's claims

    linked = post_form(client, "/onboarding/link", {"user_id": "ato", "password": "Kirpacs2024"})
    assert linked.location == "/onboarding/contact"
    post_form(client, "/onboarding/contact", {"email": "asger@example.dk", "mobile": "20123456"})
    post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])})
    done = post_form(client, "/onboarding/consent", {})
    assert (done.status_code, done.location) == (303, "/?welcome=1")
    assert "Velkommen Asger Tørring" in client.get("/").get_data(as_text=True)
    [link] = query_one(app, select(MitIDLink).where(MitIDLink.sub == SUBS["asger"]))
    assert (link.idp, link.identity_type) == ("mitid", "private")


def test_a_linked_account_logs_in_at_once(app, client, broker, browser, hanne_linked):
    answer = login_at_broker(client, broker, browser, "hanne")
    assert (answer.status_code, answer.location) == (302, "/")
    assert "Velkommen Hanne Lund" in client.get("/").get_data(as_text=True)
    [row] = query_one(app, select(LoginSession))
    assert (row.method, row.idp, row.loa, row.broker_sub) == (
        "mitid", "mitid", "substantial", SUBS["hanne"])
    header = json.loads(base64.urlsafe_b64decode(row.id_token.split(".")[0] + "=="))
    assert header["alg"] == "ES256"  # the broker's ID token, kept for Log ud


def test_a_mitid_erhverv_login_reads_the_nemlogin_claims(app, client, broker, browser):
    answer = login_at_broker(client, broker, browser, "mette.erhverv")
    assert (answer.status_code, answer.location) == (302, "/onboarding/")
    page = client.get("/onboarding/", follow_redirects=True).get_data(as_text=True)
    assert "Velkommen Mette Kjær" in page
    assert "MitID Erhverv for Kiropraktisk Klinik Vejle (CVR 10000001)" in page
    [row] = query_one(app, select(Onboarding))
    assert (row.idp, row.identity_type, row.cvr, row.professional_id) == (
        "mitid_erhverv", "professional", "10000001",
        ACCOUNTS[SUBS["mette.erhverv"]]["nemlogin.persistent_professional_id"])


def test_a_low_assurance_login_is_refused(app, client, broker, browser):
    answer = login_at_broker(client, broker, browser, "lav")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "Sikringsniveauet er for lavt" in body
    assert [json.loads(e.detail) for e in audit_events(app, "mitid_login_refused_assurance")] \
        == [{"broker": "staff", "reason": "low_assurance", "idp": "mitid", "loa": "low",
             "required": "substantial"}]
    assert query_one(app, select(LoginSession)) == []
    assert client.get("/").status_code == 302  # not logged in


def test_a_login_cancelled_at_the_broker_is_refused(app, client, broker, browser):
    back = peer.abort_at_broker(broker, nemlog_in(client), browser)
    assert query(back)["error"] == "access_denied"
    answer = client.get(app_path(back))
    assert answer.status_code == 400
    assert "Login med MitID blev afbrudt" in answer.get_data(as_text=True)
    assert query_one(app, select(LoginSession)) == []


def test_a_wrong_client_secret_is_refused_by_the_broker(app_config, request, broker, browser):
    app_config["STAFF_BROKER_CLIENT_SECRET"] = CLIENT_SECRET + "x"
    client = request.getfixturevalue("client")
    answer = login_at_broker(client, broker, browser, "hanne")  # token endpoint: invalid_client
    assert answer.status_code == 400
    assert "Login kunne ikke bekræftes" in answer.get_data(as_text=True)
    assert query_one(request.getfixturevalue("app"), select(LoginSession)) == []


def test_log_ud_ends_the_session_at_the_broker(app, client, broker, browser, hanne_linked,
                                               live_server):
    login_at_broker(client, broker, browser, "hanne")
    delivered = len(broker.deliveries())
    [row] = query_one(app, select(LoginSession))
    id_token = row.id_token
    answer = post_form(client, "/logout", {}, page="/", htmx=True)
    assert answer.headers["HX-Redirect"] == "/auth/log-ud/mitid"
    to_broker = client.get("/auth/log-ud/mitid")
    assert to_broker.status_code == 302
    assert to_broker.location.startswith(broker.url + "/session/end?")
    params = query(to_broker.location)
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == f"{APP}/auth/logget-ud"

    back = peer.end_session_at_broker(broker, to_broker.location, browser)  # broker accepts
    # It also tells the app by back-channel; the session has ended here already: 200 all the same.
    assert broker.deliveries()[delivered:] == [f"backchannel.success {CLIENT_ID}"]
    assert back.startswith(f"{APP}/auth/logget-ud?") and query(back)["state"] == params["state"]
    page = client.get(app_path(back))
    assert "Du er logget ud af Klinikadgang og MitID." in page.get_data(as_text=True)
    authorize = nemlog_in(client)
    assert "prompt" not in query(authorize)  # the broker said its session has ended
    peer.login_form(broker, authorize, browser)  # and it asks who you are again


def test_the_broker_refuses_a_logout_hint_it_did_not_issue(app, client, broker, browser,
                                                           hanne_linked):
    login_at_broker(client, broker, browser, "hanne")
    post_form(client, "/logout", {}, page="/", htmx=True)
    to_broker = client.get("/auth/log-ud/mitid").location
    header, payload, _signature = query(to_broker)["id_token_hint"].split(".")
    forged = to_broker.replace(query(to_broker)["id_token_hint"], f"{header}.{payload}.AAAA")
    refused = browser.get(forged, allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and "id_token_hint" in refused.text


def test_a_session_ended_at_the_broker_ends_here(app, client, broker, browser, hanne_linked,
                                                 live_server):
    login_at_broker(client, broker, browser, "hanne")
    assert client.get("/").status_code == 200
    delivered = len(broker.deliveries())
    # The person logs out at the broker itself, not through the app: no id_token_hint here.
    peer.end_session_at_broker(broker, f"{broker.url}/session/end?client_id={CLIENT_ID}",
                               browser)
    assert broker.deliveries()[delivered:] == [f"backchannel.success {CLIENT_ID}"]
    [row] = query_one(app, select(LoginSession))
    assert (row.ended_at is not None, row.ended_reason) == (True, "broker_logout")
    assert [(e.actor, e.target_id) for e in audit_events(app, "session_ended_by_broker")] == [
        ("broker:staff", str(row.id))]
    assert client.get("/").status_code == 302  # logged out here too
