"""Staff authentication: legacy credentials with lockout, and MitID identities."""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload
from sqlmodel import select

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Membership, MitIDLink, StaffUser
from app.security import hash_password, password_needs_rehash, verify_password


@dataclass
class MitIDIdentity:
    """What the app keeps of a verified MitID login."""

    sub: str
    idp: str
    identity_type: str
    mitid_uuid: str | None
    name: str
    cvr: str | None = None
    org_name: str | None = None
    professional_id: str | None = None
    loa: str | None = None  # low | substantial | high
    sid: str | None = None  # the broker's session id, when its ID token has one
    id_token: str | None = None  # the broker's raw ID token: the hint of Log ud at the broker


def identity_from_claims(claims: dict) -> MitIDIdentity:
    """Build the identity from the broker profile's reading of a verified login."""
    return MitIDIdentity(
        sub=claims["sub"],
        idp=claims["idp"],
        identity_type="professional" if claims["idp"] == "mitid_erhverv" else "private",
        mitid_uuid=claims["mitid_uuid"],
        name=claims["name"],
        cvr=claims["cvr"],
        org_name=claims["org_name"],
        professional_id=claims["professional_id"],
        loa=claims["loa"],
        sid=claims["sid"],
    )


# An account with what a login reads next: its memberships and their clinics.
WITH_MEMBERSHIPS = joinedload(StaffUser.memberships).joinedload(Membership.clinic)


def used_link(link: MitIDLink) -> None:
    """Note a login through this link (shown on Min profil); rides on the login's commit."""
    link.last_used_at = utcnow()


def find_link(sub: str) -> MitIDLink | None:
    """The link of a MitID identity, with its account and the account's memberships (one SELECT)."""
    return get_session().exec(
        select(MitIDLink).join(MitIDLink.staff_user).where(MitIDLink.sub == sub)
        .options(contains_eager(MitIDLink.staff_user).joinedload(StaffUser.memberships)
                 .joinedload(Membership.clinic))).unique().first()


def lock_seconds(failures: int) -> int:
    """Growing wait after failed logins (staff and patients): free tries, then doubling to a cap."""
    cfg = current_app.config
    over = failures - cfg["LEGACY_LOGIN_FREE_FAILURES"]
    if over <= 0:
        return 0
    return min(cfg["LEGACY_LOGIN_BASE_LOCK"] * 2 ** (over - 1), cfg["LEGACY_LOGIN_MAX_LOCK"])


def check_legacy_credentials(user_id: str, password: str) -> StaffUser | None:
    """Return the account for a correct user ID + password; count failures and lock.

    A failure is committed at once; on success the reset counter (and a rehash) ride on the
    caller's commit, so a login is one transaction.
    """
    db = get_session()
    now = utcnow()
    user = db.exec(
        select(StaffUser).where(StaffUser.legacy_user_id == user_id.strip().lower())
        # The onboarding's link check reads the MitID links; the login, the memberships.
        .options(joinedload(StaffUser.mitid_links), WITH_MEMBERSHIPS)
    ).unique().first()
    # Verify even for unknown users and locked accounts so every answer takes the same time.
    correct = verify_password(user.legacy_password_hash if user else None, password)
    if user is None:
        return None
    if user.locked_until is not None and user.locked_until > now:
        audit.record("legacy_login_refused_locked", actor="anonymous",
                     target_type="staff_user", target_id=user.id)
        db.commit()
        return None
    if not correct:
        user.failed_login_count += 1
        wait = lock_seconds(user.failed_login_count)
        user.locked_until = now + timedelta(seconds=wait) if wait else None
        audit.record("legacy_login_failed", actor="anonymous", target_type="staff_user",
                     target_id=user.id, failures=user.failed_login_count, locked_seconds=wait)
        db.commit()
        return None
    if user.failed_login_count:
        user.failed_login_count = 0
    if user.locked_until is not None:
        user.locked_until = None
    if password_needs_rehash(user.legacy_password_hash):
        user.legacy_password_hash = hash_password(password)
    return user
