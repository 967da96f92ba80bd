"""Which requests the rate limiter counts: POSTs by default, and GETs only where a view says so."""

import logging
import time

import pytest

from tests.helpers.http import csrf_from, post_form
from tests.helpers.portal import CPR, PASSWORD, assert_no_cpr, start_code_login
from tests.helpers.servers import RedisServer


@pytest.mark.ratelimit
def test_a_get_route_with_its_own_limit_is_still_limited(app):
    """The MitID start (30 a minute per client) costs a round trip to the broker: its GETs count."""
    statuses = [app.test_client().get("/auth/mitid/login").status_code for _ in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


@pytest.mark.ratelimit
def test_a_view_limited_for_posts_only_serves_any_number_of_page_views(client):
    """Glemt adgangskode: 5 POSTs a minute; reading the form is never refused."""
    statuses = {client.get("/portal/aarhus/glemt-adgangskode").status_code for _ in range(40)}
    assert statuses == {200}


@pytest.mark.ratelimit
def test_a_view_limited_for_posts_counts_its_posts_and_not_the_page_views_between(client):
    """Glemt adgangskode: the sixth POST in a minute is refused; the form still opens after."""
    path = "/portal/aarhus/glemt-adgangskode"
    statuses = [post_form(client, path, {"cpr": "", "email": ""}).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]  # post_form opens the page before each POST
    assert client.get(path).status_code == 200


def _password_login(app):
    """Bente logs in with bruger ID and kodeord (an external user with an exemption)."""
    return post_form(app.test_client(), "/login/password",
                     {"user_id": "bente.ext", "password": "Bogholder2024"}, page="/login")


@pytest.fixture
def redis_server(tmp_path):
    """A throwaway Redis with a password (which must never reach a log); not started yet."""
    server = RedisServer(tmp_path, password="redis-secret-4711")
    yield server
    server.stop()


def _until_redis_counts(client, redis_server, csrf: str) -> None:
    """POST until the limiter's counts are in Redis again.

    Flask-Limiter looks for a lost storage again after 1, 2, 4... (at most 32) seconds.
    """
    deadline = time.monotonic() + 70
    while redis_server.key_count() == 0:
        answer = client.post("/language", data={"csrf_token": csrf, "lang": "da", "next": "/"})
        assert answer.status_code == 303
        assert time.monotonic() < deadline, "the limiter never came back to Redis"
        time.sleep(0.25)


@pytest.mark.ratelimit
def test_logins_work_while_redis_is_unreachable_and_the_limits_hold_per_process(
        app_config, request, redis_server):
    app_config["REDIS_URL"] = redis_server.url  # nothing listens there yet
    app = request.getfixturevalue("app")
    client = app.test_client()
    start = client.get("/auth/mitid/login")
    assert start.status_code == 302 and "/authorize" in start.location
    assert _password_login(app).status_code == 303
    wrong = [post_form(client, "/login/password", {"user_id": "bente.ext", "password": "forkert"},
                       page="/login").status_code for _ in range(20)]
    assert wrong[:19] == [422] * 19 and wrong[19] == 429  # 20 a minute, counted here instead
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {
        "status": "degraded", "checks": {"database": "ok", "redis": "down"},
        "rate_limits": "per process"}

    redis_server.start()  # Redis arrives: the limiter moves its counts there
    _until_redis_counts(client, redis_server, csrf_from(client.get("/login").get_data(
        as_text=True)))
    assert client.get("/readyz").get_json()["status"] == "ready"


@pytest.mark.ratelimit
def test_redis_going_away_mid_run_logs_once_and_the_limiter_comes_back_to_it(
        app_config, request, redis_server, caplog, outbox):
    redis_server.start()
    app_config["REDIS_URL"] = redis_server.url
    app = request.getfixturevalue("app")
    client = app.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    _until_redis_counts(client, redis_server, csrf)  # an earlier test may have left it on memory
    assert client.get("/readyz").get_json()["status"] == "ready"

    caplog.clear()
    caplog.set_level(logging.INFO)
    redis_server.stop()
    assert client.get("/auth/mitid/login").status_code == 302
    assert _password_login(app).status_code == 303
    patient = app.test_client()
    for _ in range(3):  # a patient's CPR and password reach the limited view
        answer = start_code_login(patient, "aarhus", CPR["ole.hansen"])
        assert answer.status_code == 422
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["redis"] == "down"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "redis-secret-4711" not in logged and "Bogholder2024" not in logged
    assert PASSWORD not in logged
    assert_no_cpr(logged, CPR["ole.hansen"])

    redis_server.start()  # empty: it kept nothing
    _until_redis_counts(client, redis_server, csrf)
    assert client.get("/readyz").get_json() == {
        "status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    assert _password_login(app).status_code == 303
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
