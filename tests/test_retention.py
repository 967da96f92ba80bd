"""Retention with an injected clock: who goes, when, and what stays (pseudonymous audit rows)."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from app import cpr
from app.core.db import get_session
from app.models import (
    AuditEvent,
    ConsentRecord,
    LoginSession,
    MitIDLink,
    PatientRecord,
    PortalUser,
    StaffUser,
)
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_as, onboard_until


def later(clock, days: int) -> None:
    """Move the clock `days` past the later of its frozen time and now (the demo data is seeded
    before the clock is frozen, so its rows carry the real date)."""
    clock.now = max(clock.now, datetime.now(UTC)) + timedelta(days=days)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["retention", *args])


def offboard_asger(app, client, outbox):
    """Asger onboards (consent given), then Vejle ends his only membership."""
    onboard_until(client, outbox, "asger.torring", "consent")
    post_form(client, "/onboarding/consent", {})
    with app.app_context():
        from app.blueprints.memberships.services import end_memberships

        db = get_session()
        asger = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "ato")).one()
        end_memberships(clinic_id=1, staff_user=asger, actor_id=asger.id)  # nobody else: test
        return asger.id


def add_portal_user(app, *, linked: bool) -> int:
    with app.app_context():
        db = get_session()
        encrypted, index = cpr.protect("150381-2346")
        user = PortalUser(cpr_encrypted=encrypted, cpr_index=index, birth_date=date(1981, 3, 15),
                          first_name="Karen", last_name="Jensen", email="karen@example.dk",
                          created_by="self")
        db.add(user)
        db.flush()
        if linked:
            db.add(PatientRecord(clinic_id=2, cpr_encrypted=encrypted, cpr_index=index,
                                 first_name="Karen", last_name="Jensen",
                                 search_name="karen jensen", portal_user_id=user.id))
        db.commit()
        return user.id


def test_nothing_is_due_within_the_period(app, client, outbox, clock):
    offboard_asger(app, client, outbox)
    later(clock, 179)
    result = run(app, "--dry-run")
    assert result.exit_code == 0 and "Would delete 0 staff and 0 portal users." in result.output


def test_dry_run_lists_and_deletes_nothing(app, client, outbox, clock):
    uid = offboard_asger(app, client, outbox)
    later(clock, 181)
    result = run(app, "--dry-run")
    assert f"staff_user {uid}" in result.output
    assert query_one(app, select(StaffUser).where(StaffUser.id == uid))


def test_staff_without_membership_is_deleted_with_their_data(app, client, outbox, clock):
    uid = offboard_asger(app, client, outbox)
    later(clock, 181)
    result = run(app)
    assert result.exit_code == 0 and "Deleted 1 staff" in result.output
    assert query_one(app, select(StaffUser).where(StaffUser.id == uid)) == []
    for model, column in ((MitIDLink, MitIDLink.staff_user_id),
                          (LoginSession, LoginSession.staff_user_id),
                          (ConsentRecord, ConsentRecord.staff_user_id)):
        assert query_one(app, select(model).where(column == uid)) == []
    events = query_one(app, select(AuditEvent))
    assert any(e.action == "retention_deleted" and e.target_id == str(uid) for e in events)
    assert not any("asger" in (e.detail or "").lower() or "privat@" in (e.detail or "")
                   for e in events)


def test_staff_with_membership_and_operators_stay(app, clock):
    later(clock, 400)
    result = run(app, "--dry-run")
    assert "Would delete 0 staff" in result.output  # everyone has a membership or is operator


def test_portal_user_without_clinic_goes_and_with_clinic_stays(app, clock):
    lonely = add_portal_user(app, linked=False)
    later(clock, 181)
    result = run(app)
    assert f"portal_user {lonely}" in result.output
    assert query_one(app, select(PortalUser)) == []


def test_linked_portal_user_stays(app, clock):
    add_portal_user(app, linked=True)
    later(clock, 400)
    assert "0 portal users" in run(app).output
    assert len(query_one(app, select(PortalUser))) == 1


def test_consent_records_still_refuse_deletion_outside_retention(app, client, outbox):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from app.core.db import get_engine

    onboard_until(client, outbox, "asger.torring", "consent")
    post_form(client, "/onboarding/consent", {})
    with app.app_context(), pytest.raises(DatabaseError), get_engine().begin() as conn:
        conn.execute(text("DELETE FROM consent_record"))


def test_hanne_is_kept_after_using_the_service(app, clock):
    login_as(app.test_client(), "hanne.lund")
    later(clock, 400)
    assert "0 staff" in run(app, "--dry-run").output
