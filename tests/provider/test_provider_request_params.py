"""The authorization request's own parameters: acr_values, login_hint, prompt=none, max_age,
and `iss` on every answer, errors included (RFC 9207 §2)."""

import pytest
from sqlmodel import select

from app.models import LoginSession
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.sister import SisterSystem, give_consent, query_of, register
from tests.helpers.staff import login_as


@pytest.fixture
def kirpacs(app, live_server):
    client_id, secret = register(app)
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _answer(client, sister, **extra):
    answer = client.get(sister.authorization_path(**extra))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return query_of(answer.location)


def test_an_error_answer_names_the_issuer_too(client, kirpacs, live_server):
    found = _answer(client, kirpacs, prompt="none")
    assert found["error"] == "login_required" and found["iss"] == live_server.url


def test_acr_values_above_the_session_gives_a_page_or_unmet_requirements(app, client, kirpacs,
                                                                         live_server):
    login_as(client, "jonas.holm", function="secretary")  # MitID, substantial
    page = client.get(kirpacs.authorization_path(acr_values="mitid-high"))
    assert page.status_code == 403 and "sikringsniveau høj" in page.get_data(as_text=True)
    silent = _answer(client, kirpacs, acr_values="mitid-high", prompt="none")
    assert silent["error"] == "unmet_authentication_requirements"
    assert silent["iss"] == live_server.url and "code" not in silent
    # Any of the listed levels will do: the lowest one is what is needed.
    assert "code" in _answer(client, kirpacs, acr_values="mitid-high mitid-substantial")
    assert "code" in _answer(client, kirpacs, acr_values="unknown-level")


def test_acr_values_cannot_lower_the_clients_registered_minimum(app, client, live_server):
    client_id, secret = register(app, client_id="kircacs", required_acr="mitid-high")
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path(acr_values="password"))
    assert answer.status_code == 403


def test_login_hint_of_another_person_is_no_silent_answer(app, client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(kirpacs.authorization_path())
    first = kirpacs.exchange(kirpacs.read_redirect(answer.location)["code"])
    mine = first["id_token"]["sub"]
    assert "code" in _answer(client, kirpacs, prompt="none", login_hint=mine)
    other = _answer(client, kirpacs, prompt="none", login_hint="someone-else")
    assert other["error"] == "login_required"
    # Without prompt=none it is only a hint: the logged-in person answers, and stays logged in.
    assert "code" in _answer(client, kirpacs, login_hint="someone-else")
    assert client.get("/").status_code == 200


def test_prompt_none_without_consent_answers_consent_required(app, client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    post_form(client, "/profile/consent/withdraw", {}, page="/profile/")
    assert _answer(client, kirpacs, prompt="none")["error"] == "consent_required"


def test_max_age_with_prompt_none_leaves_the_session_alone(app, client, kirpacs):
    login_as(client, "jonas.holm", function="secretary")
    found = _answer(client, kirpacs, prompt="none", max_age="0")
    assert found["error"] == "login_required"
    [row] = query_one(app, select(LoginSession))
    assert row.ended_at is None and client.get("/").status_code == 200
