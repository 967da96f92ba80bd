"""Two production-mode app instances (gunicorn) on one PostgreSQL and one Redis, on loopback.

The scale tests run in the PostgreSQL pass of `make test` (DATABASE_URL is a PostgreSQL URL) or
when SCALE_DATABASE_URL is set. They use their own database on that server, made for the run and
dropped after it, and their own key prefix in Redis (SCALE_REDIS_URL, else REDIS_URL, else
127.0.0.1:6379/0). Missing PostgreSQL or Redis skips them, unless REQUIRE_POSTGRES=1: then it fails.
"""

import os
import secrets

import pytest

from app import create_app
from app.blueprints.dev.demo import load_personas, seed_demo_data
from app.blueprints.dev.mail import start_smtp_sink
from app.core.migrate import upgrade
from app.simulator import create_simulator_app, serve_simulator, subject_for
from bench import stack
from tests.helpers.servers import RecordingHandler

PERSONAS = os.path.join(os.path.dirname(__file__), "..", "..", "app", "data", "personas.json")


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(reason)


def _server_url() -> str | None:
    if os.environ.get("SCALE_DATABASE_URL"):
        return os.environ["SCALE_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def scale_services():
    """The PostgreSQL server URL and Redis URL of the scale tests, or a skip."""
    server = _server_url()
    if server is None:
        pytest.skip("the scale tests run in the PostgreSQL pass (or set SCALE_DATABASE_URL)")
    redis_url = os.environ.get("SCALE_REDIS_URL") or os.environ.get("REDIS_URL") \
        or stack.DEFAULT_REDIS
    if not stack.postgres_reachable(server):
        _unavailable(f"PostgreSQL is not reachable at {server}")
    if not stack.redis_reachable(redis_url):
        _unavailable(f"Redis is not reachable at {redis_url}")
    return server, redis_url


class Stack:
    """What a scale test talks to: two instances, the simulator, the mail sink, the database."""

    def __init__(self, instances, simulator, sim_app, mail, database_url, redis_url, prefix):
        self.instances = instances
        self.simulator = simulator
        self.sim_app = sim_app
        self.mail = mail
        self.database_url = database_url
        self.redis_url = redis_url
        self.prefix = prefix

    @property
    def urls(self) -> list[str]:
        return [instance.url for instance in self.instances]

    def app(self):
        """An in-process app on the same database and keys, for checking what was stored."""
        return create_app({"ENV_NAME": "test", "DATABASE_URL": self.database_url,
                           "SECRET_KEY": stack.STACK_SECRET_KEY,
                           "CPR_ENCRYPTION_KEYS": stack.STACK_CPR_KEY,
                           "CPR_INDEX_KEY": stack.STACK_CPR_INDEX_KEY, "RATELIMIT_ENABLED": False,
                           "OP_KEY_ENCRYPTION_KEYS": stack.STACK_OP_KEY,
                           "OP_ISSUER": "http://127.0.0.1"})


@pytest.fixture(scope="session")
def two_instances(scale_services, tmp_path_factory):
    """Migrated database with the demo data, mail sink, simulator and two gunicorn instances."""
    server, redis_url = scale_services
    run = secrets.token_hex(4)
    database_url = stack.with_database(server, f"klinikadgang_scale_{run}")
    prefix = f"klinikadgang-scale-{run}"
    stack.create_database(database_url, fresh=True)
    handler = RecordingHandler()
    sink = start_smtp_sink(handler, port=stack.free_port())
    ports = [stack.free_port(), stack.free_port()]
    uris = [f"http://127.0.0.1:{port}" for port in ports]
    sim_app = create_simulator_app({
        "SIMULATOR_IDENTITIES_FILE": PERSONAS,
        "SIMULATOR_CLIENTS": [
            {"client_id": "klinikadgang-staff", "client_secret": "dev-staff-secret",
             "redirect_uris": [u + "/auth/mitid/callback" for u in uris],
             "scope": "openid mitid ssn nemlogin"},
            {"client_id": "klinikadgang-citizen", "client_secret": "dev-citizen-secret",
             "redirect_uris": [u + "/portal/mitid/callback" for u in uris],
             "scope": "openid mitid ssn"},
        ],
    })
    simulator = serve_simulator(sim_app)
    instances = []
    try:
        upgrade(database_url)
        app = Stack(None, None, None, None, database_url, redis_url, prefix).app()
        with app.app_context():
            seed_demo_data(load_personas(PERSONAS), subject_for=subject_for,
                           patients_per_clinic=0)
        app.extensions["db_engine"].dispose()
        env = stack.app_environment(database_url=database_url, redis_url=redis_url,
                                    mail_port=sink.port, broker_url=simulator.url,
                                    key_prefix=prefix, TRUSTED_PROXIES=1)
        logs = tmp_path_factory.mktemp("instances")
        for name, port in zip("ab", ports, strict=True):
            instances.append(stack.Gunicorn("wsgi:app", env, port=port, workers=1, threads=8,
                                            log_path=logs / f"{name}.log"))
        for instance in instances:
            instance.start()
        yield Stack(instances, simulator, sim_app, handler.messages, database_url, redis_url,
                    prefix)
    finally:
        for instance in instances:
            instance.stop()
        simulator.shutdown()
        sink.stop()
        stack.delete_redis_prefix(redis_url, prefix)
        stack.drop_database(database_url)
