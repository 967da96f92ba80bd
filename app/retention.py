"""Retention: personal data is kept only while a person uses the service (the consent promises it).

Staff without any membership and portal users without any clinic are deleted after a configurable
period without activity. The audit trail keeps its rows: they name people only by row ids
(staff:<id>, portal_user:<id>), which point at nothing once the person is gone. Half-finished
onboardings go once their lifetime (ONBOARDING_TTL_SECONDS) is over: the wizard refuses them.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, update
from sqlmodel import select

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import (
    AuditEvent,
    ClinicEnrolment,
    ConsentRecord,
    EmailCode,
    EnrolmentUser,
    Invitation,
    KioskDevice,
    LoginSession,
    Membership,
    MitIDLink,
    Onboarding,
    OPAuthorizationCode,
    OPLogoutDelivery,
    OPToken,
    PasswordExemption,
    PatientRecord,
    PortalSession,
    PortalUser,
    RegistrationRequest,
    RetentionRun,
    StaffUser,
)


@dataclass
class RetentionReport:
    """Who is (or would be) deleted: row ids only."""

    staff: list[int] = field(default_factory=list)
    portal_users: list[int] = field(default_factory=list)
    onboardings: list[int] = field(default_factory=list)


def _cutoff():
    return utcnow() - timedelta(days=current_app.config["RETENTION_DAYS"])


def _last_staff_activity(user: StaffUser):
    db = get_session()
    last_login = db.exec(select(func.max(LoginSession.created_at)).where(
        LoginSession.staff_user_id == user.id)).one()
    last_change = db.exec(select(func.max(AuditEvent.created_at)).where(
        AuditEvent.target_type == "staff_user", AuditEvent.target_id == str(user.id))).one()
    return max(t for t in (user.created_at, last_login, last_change) if t is not None)


def _last_portal_activity(user: PortalUser):
    db = get_session()
    last_login = db.exec(select(func.max(PortalSession.created_at)).where(
        PortalSession.portal_user_id == user.id)).one()
    last_request = db.exec(select(func.max(RegistrationRequest.created_at)).where(
        RegistrationRequest.portal_user_id == user.id)).one()
    return max(t for t in (user.created_at, last_login, last_request) if t is not None)


def due_for_deletion() -> RetentionReport:
    """Staff without membership and portal users without clinic, inactive past the period."""
    db = get_session()
    cutoff = _cutoff()
    report = RetentionReport()
    members = select(Membership.staff_user_id)
    for user in db.exec(select(StaffUser).where(StaffUser.id.not_in(members),
                                                StaffUser.is_operator.is_(False))):
        if _last_staff_activity(user) < cutoff:
            report.staff.append(user.id)
    linked = select(PatientRecord.portal_user_id).where(PatientRecord.portal_user_id.is_not(None))
    pending = select(RegistrationRequest.portal_user_id).where(
        RegistrationRequest.status == "pending")
    for user in db.exec(select(PortalUser).where(PortalUser.id.not_in(linked),
                                                 PortalUser.id.not_in(pending))):
        if _last_portal_activity(user) < cutoff:
            report.portal_users.append(user.id)
    expired = utcnow() - timedelta(seconds=current_app.config["ONBOARDING_TTL_SECONDS"])
    report.onboardings = list(db.exec(select(Onboarding.id).where(
        Onboarding.created_at <= expired).order_by(Onboarding.id)).all())
    return report


def _purge_onboardings(db, ids: list[int]) -> None:
    """Delete expired onboardings with their e-mail codes; give back the invitations they claimed.

    An invitation attached to an onboarding that never got as far as the MitID link is handed
    back (until it expires by itself): the invited person has no password to start over with.
    """
    accounts = set(db.exec(select(Onboarding.staff_user_id).where(
        Onboarding.id.in_(ids), Onboarding.staff_user_id.is_not(None))).all())
    db.exec(delete(EmailCode).where(EmailCode.onboarding_id.in_(ids)))
    db.exec(delete(Onboarding).where(Onboarding.id.in_(ids)))
    busy = set(db.exec(select(Onboarding.staff_user_id).where(
        Onboarding.staff_user_id.in_(accounts))).all())
    busy |= set(db.exec(select(MitIDLink.staff_user_id).where(
        MitIDLink.staff_user_id.in_(accounts))).all())
    for invitation in db.exec(select(Invitation).where(
            Invitation.staff_user_id.in_(accounts - busy), Invitation.purpose == "onboarding",
            Invitation.used_at.is_not(None), Invitation.expires_at > utcnow())):
        invitation.used_at = None
        audit.record("invitation_released", actor="system", target_type="invitation",
                     target_id=invitation.id, reason="onboarding_expired")


def _delete_staff(db, user: StaffUser) -> None:
    uid = user.id
    emails = [e for e in (user.email, user.pending_email) if e]
    sessions = select(LoginSession.id).where(LoginSession.staff_user_id == uid)
    # The provider's tokens and codes of the person's sessions go first (they point at them).
    db.exec(delete(OPToken).where(OPToken.login_session_id.in_(sessions)))
    db.exec(delete(OPLogoutDelivery).where(OPLogoutDelivery.login_session_id.in_(sessions)))
    db.exec(delete(OPAuthorizationCode).where(OPAuthorizationCode.login_session_id.in_(sessions)))
    # Then the login sessions: they name the MitID link they came through.
    for model, column in ((LoginSession, LoginSession.staff_user_id),
                          (MitIDLink, MitIDLink.staff_user_id),
                          (Onboarding, Onboarding.staff_user_id),
                          (Invitation, Invitation.staff_user_id),
                          (ConsentRecord, ConsentRecord.staff_user_id)):
        db.exec(delete(model).where(column == uid))
    if emails:
        db.exec(delete(EmailCode).where(EmailCode.email.in_(emails)))
    db.exec(update(EnrolmentUser).where(EnrolmentUser.staff_user_id == uid)
            .values(staff_user_id=None, name="[slettet]", email="[slettet]"))
    db.exec(update(PasswordExemption).where(PasswordExemption.staff_user_id == uid)
            .values(staff_user_id=None, external_name="[slettet]", external_email="[slettet]"))
    # Decisions and requests made by the person stay, without pointing at them.
    for model, column in ((PasswordExemption, "requested_by_id"),
                          (PasswordExemption, "decided_by_id"),
                          (ClinicEnrolment, "decided_by_id"),
                          (RegistrationRequest, "decided_by_id"),
                          (KioskDevice, "created_by_id")):
        db.exec(update(model).where(getattr(model, column) == uid).values({column: None}))
    db.delete(user)


def _delete_portal_user(db, user: PortalUser) -> None:
    db.exec(delete(PortalSession).where(PortalSession.portal_user_id == user.id))
    db.exec(delete(RegistrationRequest).where(RegistrationRequest.portal_user_id == user.id))
    db.exec(delete(EmailCode).where(EmailCode.email == user.email))
    db.delete(user)


def apply_retention(*, dry_run: bool) -> RetentionReport:
    """List (dry run) or delete, in one transaction, everyone past the retention period.

    Expired onboardings go first, so a person deleted below has none left.
    """
    db = get_session()
    report = due_for_deletion()
    if dry_run:
        return report
    run = RetentionRun()
    db.add(run)
    db.flush()  # consent records may be deleted while this row exists (see migration 0006)
    if report.onboardings:
        _purge_onboardings(db, report.onboardings)
    for uid in report.staff:
        _delete_staff(db, db.get(StaffUser, uid))
        audit.record("retention_deleted", actor="system", target_type="staff_user", target_id=uid)
    for uid in report.portal_users:
        _delete_portal_user(db, db.get(PortalUser, uid))
        audit.record("retention_deleted", actor="system", target_type="portal_user",
                     target_id=uid)
    db.delete(run)
    db.commit()
    return report
