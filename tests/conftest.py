"""Fixtures: a migrated database (SQLite or PostgreSQL), the MitID simulator, SMTP, the app."""

import os
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app import create_app
from app.blueprints.dev.demo import load_personas, seed_demo_data
from app.blueprints.dev.mail import start_smtp_sink
from app.core.db import make_engine
from app.core.migrate import upgrade
from app.simulator import (
    create_simulator_app,
    serve_simulator,
    set_assurance,
    set_fault,
    set_outage,
    subject_for,
)
from tests.helpers.servers import LiveServer, RecordingHandler, free_port
from tests.helpers.sister import serve_demo_sisters

TEST_PERSONAS = os.path.join(os.path.dirname(__file__), "..", "app", "data", "personas.json")
CPR_KEY = "mT0m0rV0v1Y4y0Q2ZrJkUoJkq6o2yGJx1Xc0mI3b8nQ="
LIVE_PORT = free_port()


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    pg = _postgres_url()
    if pg:
        engine = make_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(pg)
        return pg
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(database_template, tmp_path):
    """A clean, migrated database for one test."""
    pg = _postgres_url()
    if pg:
        engine = make_engine(pg)
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'")).scalars().all()
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return pg
    path = tmp_path / "test.sqlite"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback that records what it receives."""
    handler = RecordingHandler()
    controller = start_smtp_sink(handler, port=free_port())
    yield controller, handler
    controller.stop()


@pytest.fixture
def outbox(smtp_server):
    """The messages received by SMTP during this test."""
    _controller, handler = smtp_server
    handler.messages.clear()
    return handler.messages


@pytest.fixture(scope="session")
def simulator_server():
    """The MitID simulator as a live OIDC provider on loopback."""
    live = f"http://127.0.0.1:{LIVE_PORT}"  # the app's live_server, for back-channel logout
    callbacks = ["http://localhost/auth/mitid/callback",
                 f"http://127.0.0.1:{LIVE_PORT}/auth/mitid/callback"]
    portal = ["http://localhost/portal/mitid/callback",
              f"http://127.0.0.1:{LIVE_PORT}/portal/mitid/callback"]
    staff_logout = ["http://localhost/auth/logget-ud", f"http://127.0.0.1:{LIVE_PORT}/auth/logget-ud"]
    portal_logout = ["http://localhost/portal/mitid/logget-ud",
                     f"http://127.0.0.1:{LIVE_PORT}/portal/mitid/logget-ud"]
    sim_app = create_simulator_app({
        "SIMULATOR_IDENTITIES_FILE": TEST_PERSONAS,
        "SIMULATOR_CLIENTS": [
            {"client_id": "klinikadgang-staff", "client_secret": "test-staff-secret",
             "redirect_uris": callbacks, "post_logout_redirect_uris": staff_logout,
             "scope": "openid mitid ssn nemlogin",
             "backchannel_logout_uri": f"{live}/auth/mitid/backchannel-logout"},
            {"client_id": "klinikadgang-citizen", "client_secret": "test-citizen-secret",
             "redirect_uris": portal, "post_logout_redirect_uris": portal_logout,
             "scope": "openid mitid ssn",
             "backchannel_logout_uri": f"{live}/portal/mitid/backchannel-logout"},
        ],
    })
    server = serve_simulator(sim_app)
    yield server, sim_app
    server.shutdown()


@pytest.fixture
def simulator(simulator_server):
    """The simulator for one test; outage, faults and assurance are reset afterwards."""
    _server, sim_app = simulator_server
    yield sim_app
    set_outage(sim_app, False)
    set_fault(sim_app, None)
    set_assurance(sim_app, None)


@pytest.fixture
def app_config(database_url, smtp_server, simulator_server, tmp_path):
    """The test configuration; tests may change it before asking for `app`."""
    controller, _handler = smtp_server
    server, _sim_app = simulator_server
    return {
        "ENV_NAME": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "CPR_ENCRYPTION_KEYS": CPR_KEY,
        "CPR_INDEX_KEY": "test-cpr-index-key",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SUPPRESS_SEND": False,  # real SMTP to the loopback server, also under TESTING
        "STAFF_BROKER_METADATA_URL": server.url + "/.well-known/openid-configuration",
        "STAFF_BROKER_CLIENT_SECRET": "test-staff-secret",
        "CITIZEN_BROKER_METADATA_URL": server.url + "/.well-known/openid-configuration",
        "CITIZEN_BROKER_CLIENT_SECRET": "test-citizen-secret",
        "RATELIMIT_ENABLED": False,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }


@pytest.fixture
def app(app_config, request):
    """The app, with the demo clinics and staff loaded."""
    if request.node.get_closest_marker("ratelimit"):
        app_config["RATELIMIT_ENABLED"] = True
    application = create_app(app_config)
    with application.app_context():
        seed_demo_data(load_personas(TEST_PERSONAS), subject_for=subject_for,
                       patients_per_clinic=0)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served on loopback (for the browser)."""
    server = LiveServer(app, port=LIVE_PORT)
    yield server
    server.shutdown()


@pytest.fixture
def demos(app, live_server):
    """KirPACS and KirCACS demo apps, registered as `make run` registers them; the provider's
    issuer must be the live server (OP_ISSUER, as tests/provider/conftest.py sets it)."""
    found = serve_demo_sisters(app, live_server.url)
    yield found
    for demo in found.values():
        demo.server.shutdown()


class Clock:
    """A settable clock for config CLOCK."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app):
    """Freeze the app's clock; move it with clock.now = ... ."""
    frozen = Clock(datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC))
    app.config["CLOCK"] = frozen
    return frozen
