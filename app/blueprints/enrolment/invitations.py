"""Invitation links mailed to staff: single use, time-limited, only the token's hash is stored."""

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select, update

from app import audit
from app.clock import utcnow
from app.db import get_session
from app.models import Invitation, MitIDLink, Onboarding, StaffUser
from app.security import new_token, token_hash

LIFETIMES = {"onboarding": timedelta(days=7), "set_password": timedelta(hours=72)}
SESSION_KEY = "invitation_id"  # the signed session holds only the invitation's row id


@dataclass
class FoundInvitation:
    """An invitation looked up by its token, and whether it may still be used."""

    invitation: Invitation | None
    state: str  # valid | used | expired | unknown

    @property
    def valid(self) -> bool:
        return self.state == "valid"


def issue_invitation(*, staff_user_id: int, purpose: str) -> str:
    """Add an invitation to the transaction and return its token (for the link only)."""
    now = utcnow()
    token = new_token()
    get_session().add(Invitation(token_hash=token_hash(token), staff_user_id=staff_user_id,
                                 purpose=purpose, created_at=now, expires_at=now + LIFETIMES[purpose]))
    return token


def _state(invitation: Invitation | None) -> str:
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "valid"


def find_invitation(token: str) -> FoundInvitation:
    """Look an invitation up by the hash of the token from the link."""
    invitation = get_session().exec(
        select(Invitation).where(Invitation.token_hash == token_hash(token))).first()
    return FoundInvitation(invitation, _state(invitation))


def mark_used(invitation: Invitation) -> bool:
    """Mark an invitation used, atomically: False when another request used it first."""
    now = utcnow()
    result = get_session().exec(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    invitation.used_at = now
    return True


def invited_user(invitation: Invitation) -> StaffUser:
    """The staff account an invitation was issued to."""
    return get_session().get(StaffUser, invitation.staff_user_id)


def claim_invitation_for_onboarding(invitation_id: int | None, onboarding_row: Onboarding) -> bool:
    """Attach the invited account to a MitID onboarding, so the legacy-password step is skipped.

    Returns False (and changes nothing) unless the invitation is a valid, unused onboarding
    invitation for an account that is not linked to a MitID yet. Commits.
    """
    db = get_session()
    invitation = db.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None or invitation.purpose != "onboarding" or _state(invitation) != "valid":
        return False
    linked = db.exec(select(MitIDLink).where(
        MitIDLink.staff_user_id == invitation.staff_user_id)).first()
    if linked is not None:
        return False
    if not mark_used(invitation):
        db.rollback()
        return False
    onboarding_row.staff_user_id = invitation.staff_user_id
    onboarding_row.step = "contact"
    onboarding_row.updated_at = utcnow()
    audit.record("invitation_used", actor=f"staff:{invitation.staff_user_id}",
                 target_type="invitation", target_id=invitation.id, purpose="onboarding")
    db.commit()
    return True
