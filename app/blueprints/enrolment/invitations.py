"""Invitation links mailed to staff: single use, time-limited, only the token's hash is stored."""

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select, update

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, Invitation, Membership, MitIDLink, Onboarding, StaffUser
from app.security import new_token, token_hash

LIFETIMES = {"onboarding": timedelta(days=7), "set_password": timedelta(hours=72)}


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


def invited_clinic_names(invitation: Invitation) -> list[str]:
    """The names of the clinics the invited account is a member of."""
    return list(get_session().exec(
        select(Clinic.name).join(Membership, Membership.clinic_id == Clinic.id)
        .where(Membership.staff_user_id == invitation.staff_user_id)
        .distinct().order_by(Clinic.name)).all())


def _name_words(name: str) -> list[str]:
    return unicodedata.normalize("NFKC", name).casefold().split()


def names_match(account_name: str, mitid_name: str) -> bool:
    """Whether a MitID name is the account's: the same first and last name.

    Compared after NFKC (one spelling per letter), case-folding and collapsed whitespace; the
    middle names may differ, as MitID carries the full legal name and a clinic types fewer.
    """
    account, mitid = _name_words(account_name), _name_words(mitid_name)
    return bool(account and mitid) and (account[0], account[-1]) == (mitid[0], mitid[-1])


def open_invitation(invitation_id: int | None) -> Invitation | None:
    """A valid, unused onboarding invitation of an account without a MitID yet, else None."""
    db = get_session()
    invitation = db.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None or invitation.purpose != "onboarding" or _state(invitation) != "valid":
        return None
    linked = db.exec(select(MitIDLink.id).where(
        MitIDLink.staff_user_id == invitation.staff_user_id)).first()
    return None if linked is not None else invitation


def check_invitation_for(invitation_id: int, *, mitid_name: str) -> str:
    """Whether a MitID login may claim an invitation: "ok", "unusable" or "name_mismatch".

    A mismatch is audited (and committed); nothing else is written.
    """
    invitation = open_invitation(invitation_id)
    if invitation is None:
        return "unusable"
    if not names_match(invited_user(invitation).name, mitid_name):
        audit.record("invitation_name_mismatch", actor="anonymous", target_type="invitation",
                     target_id=invitation.id, purpose="onboarding")
        get_session().commit()
        return "name_mismatch"
    return "ok"


def claim_invitation_for_onboarding(invitation_id: int | None, onboarding_row: Onboarding) -> bool:
    """Attach the invited account to a MitID onboarding, so the legacy-password step is skipped.

    Returns False (and changes nothing) unless the invitation is a valid, unused onboarding
    invitation for an account that is not linked to a MitID yet and whose name is the MitID
    identity's. Commits.
    """
    db = get_session()
    invitation = open_invitation(invitation_id)
    if invitation is None or not names_match(invited_user(invitation).name, onboarding_row.name):
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
