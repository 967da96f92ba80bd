"""The app shell: configuration, security headers, language switch, error pages, dev outbox."""

import os

import pytest

from app import create_app
from tests.helpers.http import post_form
from tests.helpers.servers import TcpProxy
from tests.helpers.staff import login_as

# Brokers of a real deployment: production refuses the simulator's (see below).
REAL_BROKERS = {
    f"{prefix}_{name}": value for prefix in ("STAFF_BROKER", "CITIZEN_BROKER")
    for name, value in (("METADATA_URL", "https://broker.example/.well-known/openid-configuration"),
                        ("CLIENT_ID", f"clinic-{prefix.lower()}"),
                        ("CLIENT_SECRET", "from-the-vault"))}


@pytest.mark.parametrize("overrides", [
    {"SIMULATOR_ENABLED": True, "SECRET_KEY": "a-real-secret-from-the-vault"},
    {"SIMULATOR_ENABLED": False, "SECRET_KEY": None},
    {"SIMULATOR_ENABLED": False, "SECRET_KEY": "a-real-secret", "CPR_ENCRYPTION_KEYS": None},
])
def test_production_refuses_unsafe_settings(tmp_path, overrides):
    config = {"ENV_NAME": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
              "CPR_ENCRYPTION_KEYS": "x", "CPR_INDEX_KEY": "y", "SESSION_COOKIE_SECURE": True,
              **REAL_BROKERS, **overrides}
    with pytest.raises(RuntimeError):
        create_app(config)


def _production_config(database_url: str, **overrides) -> dict:
    from cryptography.fernet import Fernet

    return {"ENV_NAME": "production", "SIMULATOR_ENABLED": False, "SECRET_KEY": "a-real-secret",
            "DATABASE_URL": database_url, "CPR_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CPR_INDEX_KEY": "k", "SESSION_COOKIE_SECURE": True, "RATELIMIT_ENABLED": False,
            "OP_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "OP_ISSUER": "https://login.klinikadgang.example",
            **REAL_BROKERS, **overrides}


@pytest.mark.parametrize("overrides", [
    {"SESSION_COOKIE_SECURE": False},
    {"SESSION_COOKIE_DOMAIN": "klinikadgang.dk"},  # a __Host- cookie has no Domain
    {"SESSION_COOKIE_PATH": "/portal"},  # and Path=/
    {"SESSION_COOKIE_NAME": "klinikadgang"},
])
def test_production_refuses_a_session_cookie_that_could_travel_without_tls(tmp_path, overrides):
    with pytest.raises(RuntimeError, match="SESSION_COOKIE"):
        create_app(_production_config(f"sqlite:///{tmp_path}/p.db", **overrides))


def test_production_starts_with_safe_settings_and_no_dev_pages(database_url):
    app = create_app(_production_config(database_url))
    assert "dev.outbox" not in app.view_functions
    answer = app.test_client().get("/login", base_url="https://klinikadgang.example")
    cookie = answer.headers["Set-Cookie"]
    assert answer.status_code == 200 and cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert "; Path=/;" in cookie + ";" and "SameSite=Lax" in cookie
    app.extensions["db_engine"].dispose()


# Production: real brokers only, unless a test stack says it runs against the simulator.
def _production(tmp_path, **overrides) -> dict:
    return _production_config(f"sqlite:///{tmp_path}/p.db", **overrides)


@pytest.mark.parametrize("overrides", [
    {"STAFF_BROKER_METADATA_URL": "http://127.0.0.1:5001/.well-known/openid-configuration"},
    {"CITIZEN_BROKER_METADATA_URL": "http://localhost:5001/.well-known/openid-configuration"},
    {"STAFF_BROKER_CLIENT_ID": "klinikadgang-staff"},
    {"CITIZEN_BROKER_CLIENT_SECRET": "dev-citizen-secret"},
])
def test_production_refuses_a_broker_at_the_simulator(tmp_path, overrides):
    with pytest.raises(RuntimeError, match="Production refuses"):
        create_app(_production(tmp_path, **overrides))


def test_production_at_the_simulator_starts_only_with_the_explicit_override(tmp_path):
    simulator = {"STAFF_BROKER_METADATA_URL": "http://127.0.0.1:5001/.well-known/x",
                 "STAFF_BROKER_CLIENT_ID": "klinikadgang-staff"}
    app = create_app(_production(tmp_path, ALLOW_SIMULATOR_BROKER_IN_PRODUCTION=True,
                                 **simulator))
    assert app.config["STAFF_BROKER_CLIENT_ID"] == "klinikadgang-staff"
    app.extensions["db_engine"].dispose()
    assert create_app(_production(tmp_path)).config["ENV_NAME"] == "production"


@pytest.mark.parametrize("overrides", [{"STAFF_BROKER_PROFILE": "criipto"},
                                       {"CITIZEN_BROKER_MIN_LOA": "Substantial"}])
def test_an_unknown_profile_or_level_stops_the_start(tmp_path, overrides):
    with pytest.raises(RuntimeError, match="Unknown"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/d.db", **overrides})


def test_development_keeps_a_plain_session_cookie_over_http(client):
    """`make run` serves http://127.0.0.1: a Secure or __Host- cookie would never come back."""
    cookie = client.get("/login").headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_secret_key_is_generated_into_instance_once(tmp_path):
    config = {"DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "SECRET_KEY": None}
    first = create_app(config)
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "x").exists() is False
    second = create_app(config)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    from app.core.config import Config, load_environment

    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1/db")
    config = {}
    load_environment(config)
    assert config["MAIL_PORT"] == 2525 and config["SESSION_COOKIE_SECURE"] is True
    assert config["DATABASE_URL"] == "postgresql://x@127.0.0.1/db"
    assert Config.MAIL_PORT == 8025


def test_security_headers(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_security_headers_keep_what_a_view_set_and_appear_once(app):
    from flask import Response

    from app.core.web import _security_headers

    with app.test_request_context("/login"):
        own = Response("x", headers={"Content-Security-Policy": "default-src 'none'",
                                     "Vary": "Accept-Language", "Cache-Control": "private"})
        headers = _security_headers(own).headers
        assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
        assert headers.getlist("Vary") == ["Accept-Language, HX-Request"]
        assert headers.getlist("Cache-Control") == ["no-store"]  # pages are never cached
        plain = _security_headers(Response("x")).headers
        names = [name.lower() for name, _value in plain.items()]
        assert len(names) == len(set(names))
        assert plain["Vary"] == "HX-Request" and plain["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in plain
        app.config["SESSION_COOKIE_SECURE"] = True
        try:
            assert "max-age=" in _security_headers(Response("x")).headers[
                "Strict-Transport-Security"]
        finally:
            app.config["SESSION_COOKIE_SECURE"] = False
    with app.test_request_context("/static/site.css"):
        assert "Cache-Control" not in _security_headers(Response("x")).headers


def test_pages_have_no_inline_script(client):
    body = client.get("/login").get_data(as_text=True)
    assert "<script>" not in body and " onclick=" not in body and "style=" not in body


def test_language_switch_to_english_and_back(client):
    switched = post_form(client, "/language", {"lang": "en", "next": "/login"}, page="/login")
    assert switched.location == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    post_form(client, "/language", {"lang": "da", "next": "/login"}, page="/login")
    assert '<html lang="da">' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    " //evil.example", "/\\evil.example", "/\\/evil.example", "https://evil.example/",
    "javascript:alert(1)", "/\x00/evil.example", "/\u00a0/evil.example", "login",
])
def test_language_switch_refuses_open_redirects(client, target):
    """Browsers drop tabs and newlines from a URL: "/<TAB>/evil.example" is //evil.example."""
    answer = post_form(client, "/language", {"lang": "en", "next": target}, page="/login")
    assert answer.status_code == 303 and answer.location == "/"


def test_language_switch_returns_to_a_local_page_with_its_query(client):
    answer = post_form(client, "/language", {"lang": "en", "next": "/portal/aarhus/?x=1"},
                       page="/login")
    assert answer.location == "/portal/aarhus/?x=1"


def test_unknown_page_is_a_danish_404(client):
    answer = client.get("/findes-ikke")
    assert answer.status_code == 404 and "Siden findes ikke" in answer.get_data(as_text=True)


def test_unexpected_error_is_a_500_page_without_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail 180572-1231")

    answer = client.get("/boom")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "Der opstod en fejl" in body
    assert "Traceback" not in body and "180572" not in body


def test_dev_outbox_lists_received_mail_newest_first(app, client, tmp_path):
    from app.blueprints.dev.mail import FilingHandler, start_smtp_sink
    from tests.helpers.servers import free_port

    port = free_port()
    sink = start_smtp_sink(FilingHandler(app.config["OUTBOX_DIR"]), port=port)
    try:
        import smtplib
        for subject in ("Første", "Anden"):
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.sendmail("a@example.dk", ["b@example.dk"],
                              f"Subject: {subject}\r\n\r\nKode 123456".encode())
    finally:
        sink.stop()
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert page.index("Anden") < page.index("Første") and "b@example.dk" in page
    assert "Kode 123456" in page


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "checks": {"database": "ok"}}


class DatabaseSwitch:
    """The test database behind a switch, for a real outage: PostgreSQL behind a TCP proxy whose
    port closes, SQLite as a file opened read-write only if it exists (moved away: down)."""

    def __init__(self, database_url: str):
        from sqlalchemy.engine import make_url

        self._proxy = self._path = None
        if database_url.startswith("postgresql"):
            url = make_url(database_url)
            self._proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            self.url = url.set(port=self._proxy.port).render_as_string(hide_password=False)
        else:
            self._path = database_url.removeprefix("sqlite:///")
            self.url = f"sqlite:///file:{self._path}?mode=rw&uri=true"
        self._is_up = True
        self.down()

    def down(self) -> None:
        if self._is_up:
            self._proxy.stop() if self._proxy else os.rename(self._path, self._path + ".away")
        self._is_up = False

    def up(self) -> None:
        if not self._is_up:
            self._proxy.start() if self._proxy else os.rename(self._path + ".away", self._path)
        self._is_up = True


@pytest.fixture
def database_switch(database_url):
    """The test database, down until the test calls up()."""
    switch = DatabaseSwitch(database_url)
    yield switch
    switch.up()
    if switch._proxy:
        switch._proxy.stop()


def test_a_database_outage_is_a_danish_503_and_the_same_request_works_once_it_is_back(
        app_config, database_switch, caplog):
    app = create_app({**app_config, "DATABASE_URL": database_switch.url})
    client = app.test_client()
    for headers in ({}, {"HX-Request": "true"}):
        answer = client.get("/login", headers=headers)
        body = answer.get_data(as_text=True)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
        assert "Klinikadgang er midlertidigt utilgængelig" in body
        assert "Prøv igen om lidt" in body and "Fejlen er registreret" not in body
        assert ("<html" in body) == (not headers)
    # The page's own language switch works without the database.
    assert post_form(client, "/language", {"lang": "en", "next": "/login"}).status_code == 303
    assert "temporarily unavailable" in client.get("/login").get_data(as_text=True)
    post_form(client, "/language", {"lang": "da", "next": "/login"}, page="/login")

    live = client.get("/healthz")  # the process is up: no dependency is asked
    assert live.status_code == 200 and live.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "30"
    assert ready.get_json() == {"status": "unavailable", "checks": {"database": "down"}}
    assert "Traceback" not in caplog.text

    database_switch.up()
    page = client.get("/login")
    assert page.status_code == 200 and "NEMLOG-IN" in page.get_data(as_text=True)
    assert client.get("/readyz").get_json() == {"status": "ready", "checks": {"database": "ok"}}
    app.extensions["db_engine"].dispose()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="an outage after a connection was made needs a database server")
def test_a_logged_in_secretary_gets_the_503_page_while_postgresql_is_away_and_stays_logged_in(
        app_config, database_switch, request):
    database_switch.up()
    app_config["DATABASE_URL"] = database_switch.url
    app = request.getfixturevalue("app")
    client = login_as(app.test_client(), "jonas.holm", function="secretary")
    assert client.get("/clinic/patients/").status_code == 200
    database_switch.down()  # every open connection is cut, and new ones are refused
    for _ in range(2):
        answer = client.get("/clinic/patients/")
        body = answer.get_data(as_text=True)
        assert answer.status_code == 503 and "Klinikadgang er midlertidigt utilgængelig" in body
        assert answer.headers["Retry-After"] == "30"
    assert client.get("/readyz").status_code == 503
    database_switch.up()
    answer = client.get("/clinic/patients/")
    assert answer.status_code == 200 and "Jonas Holm" in answer.get_data(as_text=True)


def test_demo_patients_are_fictitious_and_loaded_once(app):
    from sqlmodel import func, select

    from app import cpr
    from app.blueprints.dev.demo import load_personas, seed_demo_data
    from app.core.db import get_session
    from app.models import PatientRecord

    personas = load_personas()
    with app.app_context():
        persona_indexes = {cpr.index_of(p["cpr"]) for g in ("staff", "citizens")
                           for p in personas[g] if p.get("cpr")}
        first = seed_demo_data(personas, patients_per_clinic=10)
        again = seed_demo_data(personas, patients_per_clinic=10)
        indexes = set(get_session().exec(select(PatientRecord.cpr_index)).all())
        total = get_session().exec(select(func.count()).select_from(PatientRecord)).one()
    assert first["patients"] == total == 30 and again["patients"] == 0
    assert not indexes & persona_indexes


def test_access_log_lines_are_redacted():
    import logging

    from app.core.logfilter import RedactSecretsFilter

    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - "%s" %s', (
        "127.0.0.1", "GET /auth/mitid/callback?code=abc123&state=xyz HTTP/1.1", "302"), None)
    RedactSecretsFilter().filter(record)
    assert "abc123" not in record.msg and "xyz" not in record.msg
    token = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg"
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, f"GET /invitation/{token} 200",
                               None, None)
    RedactSecretsFilter().filter(record)
    assert token not in record.msg and "/invitation/[redacted]" in record.msg


def test_staff_help_is_linked_from_the_login_page_and_covers_the_questions(client):
    assert 'href="/help/"' in client.get("/login").get_data(as_text=True)
    page = client.get("/help/").get_data(as_text=True)
    for heading in ("MitID Erhverv", "Ansat i flere klinikker", "Flere funktioner i samme klinik",
                    "Når MitID ikke virker", "Glemt telefonen?", "Eksterne brugere"):
        assert heading in page


def test_cpr_shaped_numbers_are_redacted_from_access_logs():
    from app.core.logfilter import redact

    for line in ('"GET /clinic/patients/?q=030344-1357 HTTP/1.1"',
                 '"GET /clinic/patients/?q=0303441357 HTTP/1.1"',
                 '"GET /clinic/patients/?q=030344%2D1357 HTTP/1.1"'):
        assert "1357" not in redact(line) and "[cpr]" in redact(line)
    assert redact("GET /clinic/patients/?page=2 200") == "GET /clinic/patients/?page=2 200"


@pytest.mark.parametrize("missing", ["OP_KEY_ENCRYPTION_KEYS", "OP_ISSUER"])
def test_production_needs_the_providers_key_encryption_and_issuer(tmp_path, missing):
    with pytest.raises(RuntimeError, match=missing):
        create_app(_production_config(f"sqlite:///{tmp_path}/p.db", **{missing: None}))
