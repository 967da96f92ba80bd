"""Passwords hashed with other argon2 parameters are rehashed at the next successful login."""

from datetime import UTC, date, datetime

from argon2 import PasswordHasher
from sqlmodel import select

from app.blueprints.portal import services as portal
from app.core.db import get_session
from app.models import PortalUser, StaffUser
from app.security import cpr_index, encrypt_cpr, password_hasher, password_needs_rehash
from tests.helpers.http import post_form

OLD = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)  # weaker, older parameters


def _staff_hash(app, user_id: str) -> str:
    with app.app_context():
        return get_session().exec(select(StaffUser).where(
            StaffUser.legacy_user_id == user_id)).one().legacy_password_hash


def _set_staff_hash(app, user_id: str, value: str) -> None:
    with app.app_context():
        db = get_session()
        db.exec(select(StaffUser).where(StaffUser.legacy_user_id == user_id)).one() \
            .legacy_password_hash = value
        db.commit()


def test_staff_password_with_old_parameters_is_rehashed_at_login(app, client, clock):
    clock.now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    old = OLD.hash("Bogholder2024")
    _set_staff_hash(app, "bente.ext", old)
    assert password_needs_rehash(old)
    answer = post_form(client, "/login/password",
                       {"user_id": "bente.ext", "password": "Bogholder2024"}, page="/login")
    assert answer.status_code == 303
    new = _staff_hash(app, "bente.ext")
    assert new != old and not password_needs_rehash(new)
    assert "m=19456,t=2,p=1" in new and password_hasher.verify(new, "Bogholder2024")


def test_staff_wrong_password_does_not_rehash(app, client, clock):
    clock.now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    old = OLD.hash("Bogholder2024")
    _set_staff_hash(app, "bente.ext", old)
    post_form(client, "/login/password", {"user_id": "bente.ext", "password": "forkert"},
              page="/login")
    assert _staff_hash(app, "bente.ext") == old


def test_staff_hash_with_current_parameters_is_kept(app, client, clock):
    clock.now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    before = _staff_hash(app, "bente.ext")
    post_form(client, "/login/password", {"user_id": "bente.ext", "password": "Bogholder2024"},
              page="/login")
    assert _staff_hash(app, "bente.ext") == before


def test_portal_password_with_old_parameters_is_rehashed_at_login(app):
    number = "071198-3014"
    with app.app_context():
        db = get_session()
        db.add(PortalUser(cpr_encrypted=encrypt_cpr(number), cpr_index=cpr_index(number),
                          birth_date=date(1998, 11, 7), first_name="Sofie", last_name="Nielsen",
                          email="sofie@example.dk", password_hash=OLD.hash("Solskin2026x"),
                          created_by="staff:1"))
        db.commit()
        assert portal.check_password(cpr_index(number), "forkert") is None
        kept = db.exec(select(PortalUser)).one().password_hash
        assert password_needs_rehash(kept)  # a wrong password changes nothing
        user = portal.check_password(cpr_index(number), "Solskin2026x")
        assert user is not None
    with app.app_context():
        stored = get_session().exec(select(PortalUser)).one().password_hash
    assert stored != kept and not password_needs_rehash(stored)
    assert password_hasher.verify(stored, "Solskin2026x")
