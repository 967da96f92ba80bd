"""E-mail codes of the onboarding: random, hashed, 10 minutes, single use, 5 tries, resend cooldown."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import EmailCode
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import code_from
from tests.helpers.staff import onboard_until


def wrong(code: str) -> str:
    """A code that is not this one."""
    return "000000" if code != "000000" else "111111"


def test_code_is_stored_hashed_and_never_in_plain(app, client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    code = code_from(outbox[-1])
    rows = query_one(app, select(EmailCode))
    assert len(rows) == 1 and code not in rows[0].code_hash and len(rows[0].code_hash) == 64
    assert rows[0].expires_at - rows[0].created_at == timedelta(minutes=10)


def test_code_expires_after_ten_minutes(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    clock.now += timedelta(minutes=10, seconds=1)
    answer = post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])})
    assert answer.status_code == 422 and "udløbet" in answer.get_data(as_text=True)


def test_code_within_ten_minutes_works(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    clock.now += timedelta(minutes=9, seconds=59)
    answer = post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])})
    assert answer.location == "/onboarding/consent"


def test_five_wrong_tries_lock_the_address_even_for_the_right_code(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    code = code_from(outbox[-1])
    for _ in range(4):
        assert "Koden er forkert" in post_form(
            client, "/onboarding/verify", {"code": wrong(code)}).get_data(as_text=True)
    fifth = post_form(client, "/onboarding/verify", {"code": wrong(code)})
    assert "For mange forkerte forsøg" in fifth.get_data(as_text=True)
    right = post_form(client, "/onboarding/verify", {"code": code})
    assert right.status_code == 422 and "For mange forkerte forsøg" in right.get_data(as_text=True)


def test_a_new_code_does_not_reset_the_failure_count(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    for _ in range(4):
        post_form(client, "/onboarding/verify", {"code": wrong(code_from(outbox[-1]))})
    clock.now += timedelta(minutes=2)
    post_form(client, "/onboarding/verify/resend", {}, page="/onboarding/verify")
    assert len(outbox) == 2
    post_form(client, "/onboarding/verify", {"code": wrong(code_from(outbox[-1]))})
    locked = post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])})
    assert "For mange forkerte forsøg" in locked.get_data(as_text=True)
    blocked_resend = post_form(client, "/onboarding/verify/resend", {}, page="/onboarding/verify")
    assert blocked_resend.status_code == 422 and len(outbox) == 2


def test_resend_has_a_cooldown_and_voids_the_previous_code(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    too_soon = post_form(client, "/onboarding/verify/resend", {}, page="/onboarding/verify")
    assert too_soon.status_code == 422 and "Vent 60 sekunder" in too_soon.get_data(as_text=True)
    assert len(outbox) == 1
    clock.now += timedelta(seconds=61)
    resent = post_form(client, "/onboarding/verify/resend", {}, page="/onboarding/verify")
    assert resent.location == "/onboarding/verify" and len(outbox) == 2
    old, new = code_from(outbox[0]), code_from(outbox[1])
    if old != new:
        assert post_form(client, "/onboarding/verify", {"code": old}).status_code == 422
    assert post_form(client, "/onboarding/verify",
                     {"code": new}).location == "/onboarding/consent"


def test_a_code_works_only_once(app, outbox, clock):
    first = app.test_client()
    onboard_until(first, outbox, "asger.torring", "verify")
    code = code_from(outbox[-1])
    assert post_form(first, "/onboarding/verify", {"code": code}).status_code == 303
    rows = query_one(app, select(EmailCode))
    assert rows[0].used_at is not None


def test_codes_are_six_random_digits(app):
    from app.security import new_numeric_code

    codes = {new_numeric_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190  # random, not a counter or a constant


@pytest.mark.ratelimit
def test_resend_is_rate_limited_per_client(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify")
    statuses = []
    for _ in range(12):
        clock.now += timedelta(seconds=61)
        statuses.append(post_form(client, "/onboarding/verify/resend", {},
                                  page="/onboarding/verify").status_code)
    assert 429 in statuses


def test_the_same_address_again_voids_the_code_sent_before(app, client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "verify", email="privat@example.dk")
    post_form(client, "/onboarding/verify/other-email", {}, page="/onboarding/verify")
    clock.now += timedelta(seconds=61)
    assert post_form(client, "/onboarding/contact", {"email": "privat@example.dk",
                                                     "mobile": "20123456"}).status_code == 303
    old, new = code_from(outbox[0]), code_from(outbox[1])
    if old != new:
        assert post_form(client, "/onboarding/verify", {"code": old}).status_code == 422
    assert post_form(client, "/onboarding/verify", {"code": new}).location == "/onboarding/consent"
    assert len(query_one(app, select(EmailCode))) == 2
