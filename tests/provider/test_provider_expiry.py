"""Sessions that run out unseen end too, and their sister systems are told (issue 19).

A person who closes the browser never sends the cookie again: the delivery worker's round ends
such sessions (idle or past their absolute expiry), which queues their back-channel logout.
A sister system's refresh counts as work, so the Klinikadgang session does not go idle while
the person works there.
"""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlmodel import select

from app.models import LoginSession, OPLogoutDelivery
from app.provider import backchannel
from tests.helpers.db import query_one
from tests.helpers.sister import SisterSystem, give_consent, register
from tests.helpers.staff import login_as


@pytest.fixture
def kirpacs(app, live_server, receiver):
    client_id, secret = register(app, backchannel_logout_uri=receiver.uri,
                                 scopes=("openid", "profile", "clinic", "offline_access"))
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _tokens(client, sister):
    answer = client.get(sister.authorization_path(scope="openid profile offline_access"))
    return sister.exchange(sister.read_redirect(answer.location)["code"])


def _refresh(live_server, sister, token):
    return requests.post(live_server.url + "/oidc/token", timeout=5,
                         auth=(sister.rp.client_id, sister.rp.client_secret),
                         data={"grant_type": "refresh_token", "refresh_token": token})


def frozen_now(request):
    """The app's clock, frozen at the real now only after the tokens (pyoidc checks real time)."""
    clock = request.getfixturevalue("clock")
    clock.now = datetime.now(UTC)
    return clock


def _round(app):
    with app.app_context():
        return backchannel.run_round()


def test_an_idle_session_nobody_comes_back_to_is_ended_and_its_systems_told(
        app, client, kirpacs, receiver, live_server, request):
    login_as(client, "jonas.holm", function="secretary")
    tokens = _tokens(client, kirpacs)
    clock = frozen_now(request)
    assert _round(app) == {"delivered": 0, "failed": 0}  # still live: nothing happens
    clock.now += timedelta(minutes=app.config["STAFF_IDLE_MINUTES"] + 1)
    assert _refresh(live_server, kirpacs, tokens["refresh_token"]).json()["error"] == \
        "invalid_grant"  # idle already, before any round
    assert _round(app) == {"delivered": 1, "failed": 0}
    [row] = query_one(app, select(LoginSession))
    assert row.ended_reason == "idle"
    assert len(receiver.tokens) == 1
    [delivery] = query_one(app, select(OPLogoutDelivery))
    assert delivery.client_id == kirpacs.rp.client_id


def test_a_session_past_its_absolute_expiry_is_ended_by_the_round(app, client, kirpacs, receiver,
                                                                  request):
    login_as(client, "jonas.holm", function="secretary")
    _tokens(client, kirpacs)
    clock = frozen_now(request)
    app.config["STAFF_IDLE_MINUTES"] = 24 * 60  # not idle: only the absolute expiry applies
    clock.now += timedelta(hours=app.config["STAFF_SESSION_HOURS"], minutes=1)
    assert _round(app)["delivered"] == 1
    [row] = query_one(app, select(LoginSession))
    assert row.ended_reason == "expired"


def test_refreshing_in_a_sister_system_keeps_the_klinikadgang_session(app, client, kirpacs,
                                                                      live_server, request):
    login_as(client, "jonas.holm", function="secretary")
    refresh_token = _tokens(client, kirpacs)["refresh_token"]
    clock = frozen_now(request)
    step = timedelta(minutes=app.config["STAFF_IDLE_MINUTES"] * 2 // 3)
    for _ in range(3):  # 2 × the idle limit in all, a refresh every 2/3 of it
        clock.now += step
        answer = _refresh(live_server, kirpacs, refresh_token)
        assert answer.status_code == 200, answer.text
        refresh_token = answer.json()["refresh_token"]
        assert _round(app) == {"delivered": 0, "failed": 0}
    assert client.get("/").status_code == 200  # and the person is still logged in here

