"""Which clinics and functions a login may choose, and recording the choice on the session."""

from collections import OrderedDict

from flask import url_for
from sqlmodel import select

from app import audit
from app.db import get_session
from app.models import Clinic, LoginSession, Membership, StaffUser


def clinic_choices(user: StaffUser, login_session: LoginSession) -> "OrderedDict[int, tuple]":
    """Clinic id → (clinic, [functions]) this login may use; exempt logins get only `external`."""
    rows = get_session().exec(
        select(Membership, Clinic)
        .join(Clinic, Membership.clinic_id == Clinic.id)
        .where(Membership.staff_user_id == user.id)
        .order_by(Clinic.name, Membership.function)
    ).all()
    choices: OrderedDict[int, tuple] = OrderedDict()
    for membership, clinic in rows:
        if login_session.method == "exempt" and membership.function != "external":
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


def has_access(user: StaffUser) -> bool:
    """Operators, and staff with at least one membership, may log in."""
    if user.is_operator:
        return True
    return get_session().exec(
        select(Membership.id).where(Membership.staff_user_id == user.id)).first() is not None


def next_url(user: StaffUser, login_session: LoginSession) -> str:
    """Where a fresh login goes: pick clinic/function when there is a choice, else the start page."""
    choices = clinic_choices(user, login_session)
    if not choices:
        return url_for("main.index")  # operators, or nobody: the start page explains
    if len(choices) == 1:
        clinic_id, (_clinic, functions) = next(iter(choices.items()))
        choose_clinic(login_session, clinic_id, functions)
        if login_session.function is None:
            return url_for("selection.choose_function")
        return url_for("main.index")
    return url_for("selection.choose_clinic")
