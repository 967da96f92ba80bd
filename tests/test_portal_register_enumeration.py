"""Opret bruger tells nobody whether a CPR number has a portal user, and an anonymous submit never
replaces somebody's pending registration."""

from sqlmodel import select

from app.models import AuditEvent, PortalUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form, session_of
from tests.helpers.portal import mitid_back, portal_mitid, portal_user, register, registration_data


def _submit(app, persona: str, **overrides):
    """Opret ny bruger in a fresh browser; the response and that browser's MitID reference."""
    client = app.test_client()
    answer = post_form(client, "/portal/aarhus/opret", registration_data(persona, **overrides))
    return client, answer, session_of(app, client)["portal_mitid"]["ref"]


def test_existing_and_new_cpr_numbers_get_the_same_answer_and_a_fresh_reference(app, client):
    register(client, "aarhus")  # Sofie is a user
    answers, refs = [], []
    for persona in ("sofie.nielsen", "sofie.nielsen", "karen.jensen"):
        _client, answer, ref = _submit(app, persona)
        answers.append((answer.status_code, answer.location))
        refs.append(ref)
    assert len(set(answers)) == 1, answers
    assert len(set(refs)) == 3, "each attempt has its own reference"
    assert len({len(ref) for ref in refs}) == 1, "nor does its length tell"


def test_an_anonymous_submit_never_replaces_a_pending_registration(app):
    sofie, _answer, _ref = _submit(app, "sofie.nielsen")  # she has not gone on to MitID yet
    before = portal_user(app, "sofie.nielsen")
    _submit(app, "sofie.nielsen", email="fremmed@example.net",
            email_confirm="fremmed@example.net")
    after = portal_user(app, "sofie.nielsen")
    assert (after.id, after.email, after.password_hash) == (before.id, before.email,
                                                             before.password_hash)
    start = sofie.get("/portal/aarhus/mitid/fortsaet")
    back = mitid_back(sofie, start.location, "sofie.nielsen")
    assert back.location == "/portal/aarhus/hjem"
    assert portal_user(app, "sofie.nielsen").email == "sofie.nielsen@example.dk"


def test_the_stranger_who_waited_gets_nothing_from_the_owners_mitid(app):
    """A pending registration someone else typed is dropped once MitID shows whose CPR it is."""
    _submit(app, "sofie.nielsen", email="fremmed@example.net", email_confirm="fremmed@example.net")
    sofie = app.test_client()
    back = register(sofie, "aarhus")
    assert back.location == "/portal/aarhus/oprettelse/unconfirmed"
    page = sofie.get(back.location).get_data(as_text=True)
    assert "Opret dig igen" in page and "slettet" in page
    assert portal_user(app, "sofie.nielsen") is None
    [event] = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "portal_registration_unconfirmed_discarded"))
    assert event.actor == "anonymous"
    again = register(sofie, "aarhus")
    assert again.location == "/portal/aarhus/hjem"
    user = portal_user(app, "sofie.nielsen")
    assert user.email == "sofie.nielsen@example.dk" and user.mitid_verified_at is not None


def test_mitid_login_of_an_unconfirmed_registration_drops_it(app, client):
    _submit(app, "sofie.nielsen", email="fremmed@example.net", email_confirm="fremmed@example.net")
    back = portal_mitid(client, "aarhus", "sofie.nielsen")
    assert back.location == "/portal/aarhus/oprettelse/unconfirmed"
    assert query_one(app, select(PortalUser)) == []
