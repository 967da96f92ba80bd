"""Periodic confirmation of staff contact details, with an injected clock."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import StaffUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import code_from
from tests.helpers.staff import login_with_mitid, onboard_until


@pytest.fixture
def asger(app, client, outbox, clock):
    """Asger, onboarded on the clock's day (e-mail asger.privat@example.dk), then logged out."""
    onboard_until(client, outbox, "asger.torring", "consent", email="asger.privat@example.dk")
    post_form(client, "/onboarding/consent", {})
    post_form(client, "/logout", {}, page="/")
    return client


def asger_row(app):
    return query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]


def test_not_asked_within_twelve_months(asger, clock):
    clock.now += timedelta(days=360)
    assert login_with_mitid(asger, "asger.torring").location == "/"
    assert asger.get("/").status_code == 200


def test_asked_after_twelve_months_and_confirming_keeps_the_details(app, asger, clock):
    clock.now += timedelta(days=370)
    login_with_mitid(asger, "asger.torring")
    assert asger.get("/").location == "/profile/confirm"
    page = asger.get("/profile/confirm").get_data(as_text=True)
    assert "rigtigheden af dine oplysninger" in page and 'value="asger.privat@example.dk"' in page
    answer = post_form(asger, "/profile/confirm", {"email": "asger.privat@example.dk",
                                                   "mobile": "20123456"})
    assert answer.location == "/"
    assert asger.get("/").status_code == 200
    assert asger_row(app).contact_confirmed_at == clock.now


def test_period_is_configurable(app, asger, clock):
    app.config["CONTACT_CONFIRM_MONTHS"] = 1
    clock.now += timedelta(days=40)
    login_with_mitid(asger, "asger.torring")
    assert asger.get("/").location == "/profile/confirm"


def test_changing_the_email_needs_a_code_to_the_new_address(app, asger, outbox, clock):
    clock.now += timedelta(days=400)
    login_with_mitid(asger, "asger.torring")
    answer = post_form(asger, "/profile/confirm", {"email": "ny.adresse@example.dk",
                                                   "mobile": "20123456"})
    assert answer.location == "/profile/confirm/email"
    assert outbox[-1].recipients == ["ny.adresse@example.dk"]
    assert asger_row(app).email == "asger.privat@example.dk"  # unchanged until verified
    wrong = post_form(asger, "/profile/confirm/email", {"code": "000000" if code_from(
        outbox[-1]) != "000000" else "111111"})
    assert wrong.status_code == 422
    right = post_form(asger, "/profile/confirm/email", {"code": code_from(outbox[-1])})
    assert right.location == "/"
    row = asger_row(app)
    assert (row.email, row.pending_email, row.email_verified_at) == (
        "ny.adresse@example.dk", None, clock.now)


def test_staff_pages_also_ask_first(app, asger, clock):
    clock.now += timedelta(days=400)
    login_with_mitid(asger, "asger.torring")
    assert asger.get("/clinic/patients/").location == "/profile/confirm"


def test_invalid_mobile_is_422(asger, clock):
    clock.now += timedelta(days=400)
    login_with_mitid(asger, "asger.torring")
    answer = post_form(asger, "/profile/confirm", {"email": "asger.privat@example.dk",
                                                   "mobile": "12"})
    assert answer.status_code == 422
    assert 'value="asger.privat@example.dk"' in answer.get_data(as_text=True)
