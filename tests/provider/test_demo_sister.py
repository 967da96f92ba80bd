"""The demo sister systems (KirPACS, KirCACS): authlib clients of the provider, over real HTTP.

The person's browser is two test clients (the demo's and Klinikadgang's); the demo talks to the
provider's token, userinfo and JWKS endpoints on the live server, as a sister system would.
"""

import json
import secrets
import time
from urllib.parse import urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlmodel import select

from app.blueprints.dev import sisters
from app.demo_sister import EVENT
from app.models import AuditEvent, OIDCClient
from app.provider import backchannel, clients, keys
from tests.helpers.db import query_one
from tests.helpers.http import app_path, csrf_from
from tests.helpers.sister import Demo, give_consent
from tests.helpers.staff import login_as


def sign_in(demo: Demo, klinikadgang) -> None:
    """Log ind at the demo: to Klinikadgang (logged in already), back with a code."""
    answer = klinikadgang.get(app_path(demo.browser.get("/login").location))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    back = demo.browser.get(demo.path_of(answer.location))
    assert back.status_code == 302 and back.location == "/"


def test_a_demo_shows_who_is_logged_in_with_which_clinic_and_function(app, demos):
    klinikadgang = login_as(app.test_client(), "jonas.holm", function="clinician")
    give_consent(app, "jho")
    sign_in(demos["kirpacs"], klinikadgang)
    page = demos["kirpacs"].page()
    assert 'data-testid="name">Jonas Holm<' in page
    assert "Rygcenter Aarhus" in page and 'data-testid="function">behandler<' in page
    assert "mitid" in page and "Log ud" in page


def test_the_second_demo_gets_in_without_a_new_login(app, demos):
    klinikadgang = login_as(app.test_client(), "jonas.holm", function="secretary")
    give_consent(app, "jho")
    sign_in(demos["kirpacs"], klinikadgang)
    sign_in(demos["kircacs"], klinikadgang)  # the same Klinikadgang session: straight back
    assert 'data-testid="function">sekretær<' in demos["kircacs"].page()


def test_log_ud_in_one_demo_logs_the_person_out_of_the_other(app, demos):
    klinikadgang = login_as(app.test_client(), "jonas.holm", function="secretary")
    give_consent(app, "jho")
    kirpacs, kircacs = demos["kirpacs"], demos["kircacs"]
    sign_in(kirpacs, klinikadgang)
    sign_in(kircacs, klinikadgang)
    page = kircacs.page()
    logout = kircacs.browser.post("/logout", data={"csrf_token": csrf_from(page)})
    end_session = urlsplit(logout.location)
    assert end_session.path == "/oidc/logout" and "id_token_hint=" in end_session.query
    back = klinikadgang.get(end_session.path + "?" + end_session.query)
    assert back.status_code == 302
    assert "Du er logget ud" in kircacs.browser.get(kircacs.path_of(back.location)).get_data(
        as_text=True)
    assert klinikadgang.get("/").status_code == 302  # logged out at Klinikadgang too
    with app.app_context():
        assert backchannel.deliver_due()["delivered"] == 2  # both demos held a token of it
    assert "Din session er afsluttet" in kirpacs.page()
    assert "Du er ikke logget ind" in kirpacs.page()


def test_the_logout_form_is_protected_and_its_redirect_allowed_by_the_csp(app, demos):
    kirpacs = demos["kirpacs"]
    assert kirpacs.browser.post("/logout").status_code == 400  # no CSRF token
    csp = kirpacs.browser.get("/").headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:" in csp and "script-src" not in csp


def _logout_token(app, live_server, **changes):
    with app.app_context():
        row = keys.current_key()
        claims = {"iss": live_server.url, "aud": "kirpacs", "iat": int(time.time()),
                  "jti": secrets.token_hex(8), "events": {EVENT: {}}, "sid": "sid-1", **changes}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": row.alg, "kid": row.kid, "typ": "logout+jwt"}, claims,
                          keys.private_key(row))


@pytest.mark.parametrize("changes", [
    {"iss": "http://127.0.0.1:9"}, {"aud": "kircacs"}, {"events": None},
    {"events": {"other": {}}}, {"nonce": "n"}, {"jti": None}, {"sid": None},
    {"iat": None}, {"iat": 4_102_444_800},  # in 2100
], ids=["iss", "aud", "no-events", "other-event", "nonce", "no-jti", "neither-sid-nor-sub",
        "no-iat", "iat-ahead"])
def test_the_demo_refuses_logout_tokens_the_spec_refuses(app, live_server, demos, changes):
    kirpacs = demos["kirpacs"]
    answer = kirpacs.browser.post("/backchannel-logout",
                                  data={"logout_token": _logout_token(app, live_server, **changes)})
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_the_demo_refuses_a_token_not_signed_by_the_provider_and_a_replay(app, live_server,
                                                                           demos):
    kirpacs = demos["kirpacs"]
    stranger = ECKey.generate_key("P-256")
    forged = jwt.encode({"alg": "ES256", "typ": "logout+jwt"},
                        {"iss": live_server.url, "aud": "kirpacs", "iat": 1, "jti": "x",
                         "events": {EVENT: {}}, "sid": "s"}, stranger)
    assert kirpacs.browser.post("/backchannel-logout",
                                data={"logout_token": forged}).status_code == 400
    token = _logout_token(app, live_server)
    assert kirpacs.browser.post("/backchannel-logout", data={"logout_token": token}).status_code \
        == 200
    assert kirpacs.browser.post("/backchannel-logout", data={"logout_token": token}).status_code \
        == 400  # the same jti again


def test_a_refused_login_comes_back_to_the_demo_as_an_error_page(app, demos):
    klinikadgang = login_as(app.test_client(), "jonas.holm", function="secretary")  # no consent
    kirpacs = demos["kirpacs"]
    start = app_path(kirpacs.browser.get("/login").location)
    assert klinikadgang.get(start).status_code == 403  # the page explaining the missing consent
    declined = klinikadgang.get(start + "&uden_samtykke=1")
    back = kirpacs.browser.get(kirpacs.path_of(declined.location))
    assert back.status_code == 403 and "access_denied" in back.get_data(as_text=True)


def test_kliniske_systemer_links_to_the_registered_systems(app, demos):
    clinician = login_as(app.test_client(), "jonas.holm", function="clinician")
    page = clinician.get("/clinic/clinical").get_data(as_text=True)
    for demo in demos.values():
        assert f'href="{demo.url}/login"' in page
    with app.app_context():
        clients.disable_client("kircacs", actor="test")
    assert demos["kircacs"].url not in clinician.get("/clinic/clinical").get_data(as_text=True)


def test_without_systems_the_page_says_so(app):
    clinician = login_as(app.test_client(), "jonas.holm", function="clinician")
    assert "Der er endnu ingen kliniske systemer" in clinician.get("/clinic/clinical").get_data(
        as_text=True)


def test_a_waiting_login_lets_the_last_form_end_at_that_system_only(app, demos):
    browser = app.test_client()
    kirpacs = demos["kirpacs"]
    start = app_path(kirpacs.browser.get("/login").location)
    assert browser.get(start).location == "/login"
    csp = browser.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {kirpacs.url};" in csp
    other = app.test_client()  # no waiting login: our own origin only
    assert "form-action 'self';" in other.get("/login").headers["Content-Security-Policy"]
    forged = start.replace("127.0.0.1%3A", "evil.example%3A")  # an unregistered redirect URI
    third = app.test_client()
    assert third.get(forged).status_code == 400
    assert "form-action 'self';" in third.get("/login").headers["Content-Security-Policy"]


def test_make_run_registers_the_systems_once_and_keeps_the_secrets(app, tmp_path):
    """Idempotent; a lost secrets file gives fresh secrets; another PORT moves the addresses."""
    kept = tmp_path / "demo_sister_clients.json"
    with app.app_context():
        first = sisters.seed_sister_systems(5000, kept)
        again = sisters.seed_sister_systems(5000, kept)
        assert first == again and oct(kept.stat().st_mode & 0o777) == "0o600"
        for client_id, secret in first.items():
            assert clients.check_secret(clients.find_client(client_id), secret)
        kept.unlink()  # the file lost: fresh secrets, the same registrations
        fresh = sisters.seed_sister_systems(5000, kept)
        assert fresh.keys() == first.keys() and fresh["kirpacs"] != first["kirpacs"]
        assert json.loads(kept.read_text()) == fresh
        moved = sisters.seed_sister_systems(6000, kept)  # `PORT=6000 make run`
        assert moved == fresh
        assert clients.uris(clients.find_client("kirpacs"), "redirect_uris") == [
            "http://127.0.0.1:6002/callback"]
        assert clients.find_client("kircacs").login_url == "http://127.0.0.1:6003/login"
    rows = query_one(app, select(OIDCClient))
    assert sorted(r.client_id for r in rows) == ["kircacs", "kiroviden", "kirpacs"]
    changed = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "oidc_client_addresses_changed"))
    assert sorted(e.target_id for e in changed) == ["kircacs", "kirpacs"]


def test_a_callback_with_a_foreign_state_is_a_page_not_a_crash(app, demos):
    kirpacs = demos["kirpacs"]
    answer = kirpacs.browser.get("/callback?code=abc&state=not-ours")
    assert answer.status_code == 400 and "Login blev afvist" in answer.get_data(as_text=True)
    assert "Du er ikke logget ind" in kirpacs.page()
