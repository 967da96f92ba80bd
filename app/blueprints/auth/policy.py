"""The MitID-first login policy: the cut-over date, the outage fallback, who may use a password."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlmodel import select

from app import audit
from app.core.clock import today, utcnow
from app.core.db import get_session
from app.models import LoginSession, OutageFallbackSwitch, StaffUser


def cutover_date() -> date:
    """From this day on MitID is the only way in for ordinary staff."""
    return current_app.config["CUTOVER_DATE"]


def mitid_only() -> bool:
    """Whether the cut-over has passed (in Danish time)."""
    return today() >= cutover_date()


def fallback_state() -> OutageFallbackSwitch | None:
    """The newest switch of the outage fallback, or None if it was never switched."""
    return get_session().exec(
        select(OutageFallbackSwitch).order_by(OutageFallbackSwitch.switched_at.desc(),
                                              OutageFallbackSwitch.id.desc())
    ).first()


def fallback_on() -> bool:
    """Whether password login is open to everyone because MitID is down."""
    state = fallback_state()
    return bool(state and state.on)


def switch_fallback(*, on: bool, reason: str, actor: str) -> OutageFallbackSwitch:
    """Switch the outage fallback on or off, with a reason; audited; commits."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required")
    db = get_session()
    row = OutageFallbackSwitch(on=on, reason=reason, switched_by=actor, switched_at=utcnow())
    db.add(row)
    if not on:
        # Fallback sessions end now; each one notices at its next request too.
        for session_row in db.exec(select(LoginSession).where(
                LoginSession.method == "fallback", LoginSession.ended_at.is_(None))):
            session_row.ended_at = row.switched_at
            session_row.ended_reason = "fallback_off"
    audit.record("outage_fallback_on" if on else "outage_fallback_off", actor=actor,
                 reason=reason)
    db.commit()
    return row


@dataclass
class PasswordDecision:
    """May this account log in with user ID + password now, and as what kind of session?"""

    allowed: bool
    method: str | None = None  # password | fallback | exempt
    refusal: str | None = None  # mitid_only | not_linked


def decide_password_login(user: StaffUser) -> PasswordDecision:
    """Apply the policy to an account whose password was just verified."""
    if not mitid_only():
        return PasswordDecision(True, "password")
    if user.password_exempt:
        return PasswordDecision(True, "exempt")
    if fallback_on():
        return PasswordDecision(True, "fallback")
    return PasswordDecision(False, refusal="mitid_only" if user.mitid_links else "not_linked")
