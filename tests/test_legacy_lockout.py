"""Legacy user ID + password at the onboarding: repeated failures lock with a growing wait."""

from datetime import timedelta

from sqlmodel import select

from app.models import AuditEvent, StaffUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_with_mitid

WRONG = {"user_id": "ato", "password": "forkert"}
RIGHT = {"user_id": "ato", "password": "Kirpacs2024"}
MESSAGE = "Forkert bruger ID eller kodeord."


def fail(client, times: int) -> None:
    for _ in range(times):
        answer = post_form(client, "/onboarding/link", WRONG)
        assert answer.status_code == 422 and MESSAGE in answer.get_data(as_text=True)


def test_lock_after_three_failures_answers_like_a_wrong_password(app, client, clock):
    login_with_mitid(client, "asger.torring")
    fail(client, 4)  # three free failures, the fourth locks for 30 s
    locked = post_form(client, "/onboarding/link", RIGHT)
    assert locked.status_code == 422 and MESSAGE in locked.get_data(as_text=True)
    clock.now += timedelta(seconds=31)
    assert post_form(client, "/onboarding/link", RIGHT).location == "/onboarding/contact"
    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]
    assert (user.failed_login_count, user.locked_until) == (0, None)


def test_the_wait_grows_with_each_failure(app, client, clock):
    login_with_mitid(client, "asger.torring")
    waits = []
    for _ in range(6):
        fail(client, 1)
        user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]
        waits.append(0 if user.locked_until is None else
                     round((user.locked_until - clock.now).total_seconds()))
        clock.now += timedelta(seconds=waits[-1] + 1)
    assert waits == [0, 0, 0, 30, 60, 120]


def test_failures_are_audited_without_the_password(app, client, clock):
    login_with_mitid(client, "asger.torring")
    fail(client, 2)
    events = query_one(app, select(AuditEvent).where(AuditEvent.action == "legacy_login_failed"))
    assert len(events) == 2 and all("forkert" not in (e.detail or "") for e in events)


def test_user_id_is_case_insensitive(client):
    login_with_mitid(client, "asger.torring")
    answer = post_form(client, "/onboarding/link", {"user_id": " ATO ", "password": "Kirpacs2024"})
    assert answer.location == "/onboarding/contact"
