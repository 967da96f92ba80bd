"""The profile page: see, withdraw and give again the consent; records are append-only."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from app.core.db import get_engine
from app.models import ConsentRecord
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import onboard_until


@pytest.fixture
def onboarded(client, outbox):
    """Asger, onboarded and logged in."""
    onboard_until(client, outbox, "asger.torring", "consent")
    post_form(client, "/onboarding/consent", {})
    return client


def test_profile_shows_consent_and_history(onboarded):
    page = onboarded.get("/profile/").get_data(as_text=True)
    assert "Du har givet samtykke." in page and "Træk samtykke tilbage" in page
    assert "2024-1" in page and "Onboarding" in page


def test_withdraw_and_give_again_append_records(app, onboarded):
    withdrawn = post_form(onboarded, "/profile/consent/withdraw", {}, page="/profile/")
    assert withdrawn.status_code == 303
    page = onboarded.get("/profile/").get_data(as_text=True)
    assert "Dit samtykke er trukket tilbage." in page and "Du har ikke givet samtykke." in page
    post_form(onboarded, "/profile/consent/give", {}, page="/profile/")
    rows = query_one(app, select(ConsentRecord).order_by(ConsentRecord.id))
    assert [(r.action, r.method) for r in rows] == [
        ("given", "onboarding_wizard"), ("withdrawn", "profile_page"), ("given", "profile_page")]


@pytest.mark.parametrize("statement", [
    "UPDATE consent_record SET action = 'given'",
    "DELETE FROM consent_record",
])
def test_consent_records_cannot_be_changed_or_deleted(app, onboarded, statement):
    with app.app_context(), pytest.raises(DatabaseError), get_engine().begin() as conn:
        conn.execute(text(statement))
    assert len(query_one(app, select(ConsentRecord))) == 1


def test_profile_needs_login(client):
    assert client.get("/profile/").status_code == 302
