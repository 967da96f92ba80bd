"""Memberships of one clinic: list, add and remove functions, end a person's access; all audited."""

from collections import OrderedDict

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from app import audit
from app.blueprints.selection.services import has_access
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, LoginSession, Membership, StaffUser


class MembershipError(Exception):
    """A change was refused; the message is shown next to `field` or above the list."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def clinic_members(clinic_id: int) -> "OrderedDict[int, tuple[StaffUser, list[Membership]]]":
    """Staff user id → (account, memberships) at this clinic, ordered by name."""
    rows = get_session().exec(
        select(Membership, StaffUser).join(StaffUser, Membership.staff_user_id == StaffUser.id)
        .where(Membership.clinic_id == clinic_id)
        .order_by(StaffUser.name, StaffUser.id, Membership.function)).all()
    members: OrderedDict[int, tuple] = OrderedDict()
    for membership, user in rows:
        members.setdefault(user.id, (user, []))[1].append(membership)
    return members


def administrator_count(clinic_id: int) -> int:
    """How many administrator memberships the clinic has."""
    return get_session().exec(select(func.count()).select_from(Membership).where(
        Membership.clinic_id == clinic_id, Membership.function == "administrator")).one()


def get_member(clinic_id: int, staff_user_id: int) -> StaffUser | None:
    """An account with at least one membership at this clinic, else None."""
    found = get_session().exec(select(Membership.id).where(
        Membership.clinic_id == clinic_id, Membership.staff_user_id == staff_user_id)).first()
    return get_session().get(StaffUser, staff_user_id) if found else None


def get_membership(clinic_id: int, membership_id: int) -> Membership | None:
    """One membership of this clinic (another clinic's id gives None)."""
    row = get_session().get(Membership, membership_id)
    return row if row is not None and row.clinic_id == clinic_id else None


def _add(clinic_id: int, user: StaffUser, function: str, actor_id: int) -> Membership:
    db = get_session()
    exists = db.exec(select(Membership.id).where(
        Membership.clinic_id == clinic_id, Membership.staff_user_id == user.id,
        Membership.function == function)).first()
    if exists:
        raise MembershipError(_("Brugeren har allerede denne funktion."), field="function")
    row = Membership(staff_user_id=user.id, clinic_id=clinic_id, function=function)
    db.add(row)
    audit.record("membership_added", actor=f"staff:{actor_id}", target_type="staff_user",
                 target_id=user.id, clinic_id=clinic_id, function=function)
    try:
        db.commit()
    except IntegrityError:  # the same function added by a concurrent request
        db.rollback()
        raise MembershipError(_("Brugeren har allerede denne funktion."), field="function") from None
    return row


def add_function(*, clinic_id: int, staff_user: StaffUser, function: str, actor_id: int) -> Membership:
    """Give a member of this clinic one more function; commits."""
    return _add(clinic_id, staff_user, function, actor_id)


def add_member(*, clinic_id: int, legacy_user_id: str, function: str, actor_id: int) -> StaffUser:
    """Give an existing account (found by its user ID) a function at this clinic; commits."""
    user = get_session().exec(select(StaffUser).where(
        StaffUser.legacy_user_id == legacy_user_id.strip().lower())).first()
    if user is None:
        raise MembershipError(_("Der findes ingen bruger med dette bruger ID."), field="user_id")
    _add(clinic_id, user, function, actor_id)
    return user


def _refuse_last_administrator(clinic_id: int, removing: int) -> None:
    """Refuse a change that would leave the clinic without an administrator."""
    # Lock the clinic row first (PostgreSQL), so two administrators removing each other at the
    # same moment cannot both pass the count.
    get_session().exec(select(Clinic.id).where(Clinic.id == clinic_id).with_for_update()).first()
    if removing and administrator_count(clinic_id) - removing < 1:
        raise MembershipError(_("Klinikken skal have mindst én administrator. Giv en anden bruger "
                                "funktionen administrator først."))


def _detach_sessions(staff_user_id: int, clinic_id: int, function: str | None) -> None:
    """Open sessions using the removed access must choose again (the picker re-checks)."""
    query = select(LoginSession).where(
        LoginSession.staff_user_id == staff_user_id, LoginSession.clinic_id == clinic_id,
        LoginSession.ended_at.is_(None))
    if function is not None:
        query = query.where(LoginSession.function == function)
    for row in get_session().exec(query):
        row.function = None
        if function is None:
            # Offboarding: the session at this clinic ends (noticed at its next request).
            row.ended_at = utcnow()
            row.ended_reason = "membership_ended"


def remove_function(*, membership: Membership, actor_id: int) -> None:
    """Remove one function of a member (never the clinic's last administrator); commits."""
    db = get_session()
    _refuse_last_administrator(membership.clinic_id, membership.function == "administrator")
    audit.record("membership_removed", actor=f"staff:{actor_id}", target_type="staff_user",
                 target_id=membership.staff_user_id, clinic_id=membership.clinic_id,
                 function=membership.function)
    _detach_sessions(membership.staff_user_id, membership.clinic_id, membership.function)
    db.delete(membership)
    db.commit()


def end_memberships(*, clinic_id: int, staff_user: StaffUser, actor_id: int) -> int:
    """End all of a person's functions at this clinic (not the last administrator); commits."""
    db = get_session()
    rows = db.exec(select(Membership).where(
        Membership.clinic_id == clinic_id, Membership.staff_user_id == staff_user.id)).all()
    _refuse_last_administrator(clinic_id, sum(row.function == "administrator" for row in rows))
    for row in rows:
        db.delete(row)
    audit.record("memberships_ended", actor=f"staff:{actor_id}", target_type="staff_user",
                 target_id=staff_user.id, clinic_id=clinic_id,
                 functions=sorted(row.function for row in rows))
    _detach_sessions(staff_user.id, clinic_id, None)
    db.flush()
    if not has_access(staff_user):
        # No clinic left: any open session ends too (e.g. one still at the clinic picker).
        for session_row in db.exec(select(LoginSession).where(
                LoginSession.staff_user_id == staff_user.id, LoginSession.ended_at.is_(None))):
            session_row.ended_at = utcnow()
            session_row.ended_reason = "membership_ended"
    db.commit()
    return len(rows)
