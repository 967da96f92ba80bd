"""Which clinics and functions a login may choose, and recording the choice on the session."""

from collections import OrderedDict

from flask import url_for
from sqlmodel import select

from app import audit
from app.blueprints.auth.sessions import enter_login_session, new_login_session
from app.core.db import get_session
from app.models import Clinic, LoginSession, Membership, StaffUser
from app.oidc import BrokerLogin


def memberships_of(user: StaffUser) -> list[tuple[Membership, Clinic]]:
    """The account's memberships with their clinics, by clinic name and function (one query)."""
    return list(get_session().exec(
        select(Membership, Clinic)
        .join(Clinic, Membership.clinic_id == Clinic.id)
        .where(Membership.staff_user_id == user.id)
        .order_by(Clinic.name, Membership.function)
    ).all())


def loaded_memberships(user: StaffUser) -> list[tuple[Membership, Clinic]]:
    """memberships_of for an account read with its memberships and clinics (WITH_MEMBERSHIPS)."""
    return sorted(((m, m.clinic) for m in user.memberships),
                  key=lambda pair: (pair[1].name, pair[0].function))


def clinic_choices(user: StaffUser, login_session: LoginSession, rows=None
                   ) -> "OrderedDict[int, tuple]":
    """Clinic id → (clinic, [functions]) this login may use; exempt logins get only `external`."""
    return _choices(memberships_of(user) if rows is None else rows, login_session.method)


def _choices(rows, method: str) -> "OrderedDict[int, tuple]":
    choices: OrderedDict[int, tuple] = OrderedDict()
    for membership, clinic in rows:
        if method == "exempt" and membership.function != "external":
            continue
        choices.setdefault(clinic.id, (clinic, []))[1].append(membership.function)
    return choices


def choose_clinic(login_session: LoginSession, clinic_id: int, functions: list[str]) -> None:
    """Set the clinic; with a single function, set that too; commits."""
    login_session.clinic_id = clinic_id
    login_session.function = functions[0] if len(functions) == 1 else None
    _audit_choice(login_session)
    get_session().commit()


def choose_function(login_session: LoginSession, function: str) -> None:
    """Set the function at the chosen clinic; commits."""
    login_session.function = function
    _audit_choice(login_session)
    get_session().commit()


def _audit_choice(login_session: LoginSession) -> None:
    audit.record("session_context_chosen", actor=f"staff:{login_session.staff_user_id}",
                 target_type="login_session", target_id=login_session.id,
                 clinic_id=login_session.clinic_id, function=login_session.function)


def has_access(user: StaffUser, rows=None) -> bool:
    """Operators, and staff with at least one membership, may log in (rows: memberships_of)."""
    if user.is_operator:
        return True
    if rows is not None:
        return bool(rows)
    return get_session().exec(
        select(Membership.id).where(Membership.staff_user_id == user.id)).first() is not None


def log_in(user: StaffUser, *, method: str, rows, preselect_cvr: str | None = None,
           broker: BrokerLogin | None = None, mitid_link_id: int | None = None) -> str:
    """Log in and say where to go: the clinic picker, the function picker or the start page."""
    # rows: memberships_of(user), read by the caller. One commit for the login session, its
    # audit event and what the caller changed before (a reset failure count, an onboarding).
    # broker: what the session keeps of a MitID login (Log ud and back-channel logout there).
    choices = _choices(rows, method)
    clinic_id = function = None
    if len(choices) == 1:
        clinic_id, (_clinic, functions) = next(iter(choices.items()))
        function = functions[0] if len(functions) == 1 else None
    db = get_session()
    row, token = new_login_session(user, method=method, clinic_id=clinic_id, function=function,
                                   broker=broker, mitid_link_id=mitid_link_id)
    db.add(row)
    if clinic_id is not None:
        db.flush()  # the audit event names the session's id
        _audit_choice(row)
    db.commit()  # before the cookie session rotates: a refused write leaves it be
    enter_login_session(user, row, token, preselect_cvr=preselect_cvr)
    if not choices:
        return url_for("main.index")  # operators, or nobody: the start page explains
    if clinic_id is None:
        return url_for("selection.choose_clinic")
    if function is None:
        return url_for("selection.choose_function")
    return url_for("main.index")
