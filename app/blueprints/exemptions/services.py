"""Password exemptions for external users: request, decide, withdraw, and set the password."""

from flask import url_for
from flask_babel import gettext as _
from sqlmodel import func, select

from app import audit
from app.blueprints.enrolment import invitations
from app.blueprints.enrolment.accounts import find_staff_by_email, unique_legacy_user_id
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.mailer import send_email
from app.models import Clinic, Invitation, LoginSession, Membership, PasswordExemption, StaffUser
from app.security import hash_password


class ExemptionError(Exception):
    """A request or decision could not be carried out; shown next to `field` or above the form."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def request_exemption(*, clinic_id: int, requested_by_id: int, name: str, email: str,
                      organisation: str, role: str, reason: str) -> PasswordExemption:
    """Store the clinic's request for the operator; commits."""
    db = get_session()
    open_request = db.exec(select(PasswordExemption.id).where(
        PasswordExemption.clinic_id == clinic_id,
        func.lower(PasswordExemption.external_email) == email.lower(),
        PasswordExemption.status.in_(("pending", "approved")))).first()
    if open_request:
        raise ExemptionError(_("Der er allerede en anmodning eller undtagelse for denne "
                               "e-mailadresse."), field="email")
    row = PasswordExemption(clinic_id=clinic_id, requested_by_id=requested_by_id,
                            external_name=name, external_email=email, organisation=organisation,
                            role=role, reason=reason)
    db.add(row)
    db.flush()
    audit.record("password_exemption_requested", actor=f"staff:{requested_by_id}",
                 target_type="password_exemption", target_id=row.id, clinic_id=clinic_id,
                 role=role)
    db.commit()
    return row


def clinic_exemptions(clinic_id: int) -> list[tuple[PasswordExemption, StaffUser | None]]:
    """The clinic's requests, newest first, with the external account once there is one."""
    return list(get_session().exec(
        select(PasswordExemption, StaffUser)
        .join(StaffUser, PasswordExemption.staff_user_id == StaffUser.id, isouter=True)
        .where(PasswordExemption.clinic_id == clinic_id)
        .order_by(PasswordExemption.created_at.desc(), PasswordExemption.id.desc())).all())


def get_clinic_exemption(clinic_id: int, exemption_id: int) -> PasswordExemption | None:
    """One request of this clinic (another clinic's id gives None)."""
    row = get_session().get(PasswordExemption, exemption_id)
    return row if row is not None and row.clinic_id == clinic_id else None


def pending_exemptions() -> list[tuple[PasswordExemption, Clinic]]:
    """Requests waiting for the operator, oldest first."""
    return list(get_session().exec(
        select(PasswordExemption, Clinic).join(Clinic, PasswordExemption.clinic_id == Clinic.id)
        .where(PasswordExemption.status == "pending")
        .order_by(PasswordExemption.created_at, PasswordExemption.id)).all())


def get_exemption(exemption_id: int) -> PasswordExemption | None:
    """One request by id (for the operator)."""
    return get_session().get(PasswordExemption, exemption_id)


def existing_account(row: PasswordExemption) -> StaffUser | None:
    """The account approval would reuse: one with the same e-mail address."""
    return find_staff_by_email(row.external_email)


def _decide(row: PasswordExemption, status: str, operator_id: int, note: str | None) -> None:
    if row.status != "pending":
        raise ExemptionError(_("Anmodningen er allerede behandlet."))
    row.status = status
    row.decided_by_id = operator_id
    row.decided_at = utcnow()
    row.decision_note = note or None


def _requester(row: PasswordExemption) -> StaffUser | None:
    return get_session().get(StaffUser, row.requested_by_id) if row.requested_by_id else None


def approve_exemption(row: PasswordExemption, *, operator_id: int, note: str | None) -> StaffUser:
    """Create or reuse the external account, exempt it, and mail a set-password link; one transaction."""
    db = get_session()
    actor = f"operator:{operator_id}"
    _decide(row, "approved", operator_id, note)
    user = existing_account(row)
    if user is None:
        user = StaffUser(name=row.external_name, email=row.external_email,
                         legacy_user_id=unique_legacy_user_id(row.external_name))
        db.add(user)
        db.flush()
        audit.record("staff_user_created", actor=actor, target_type="staff_user", target_id=user.id,
                     clinic_id=row.clinic_id, source="password_exemption")
    row.staff_user_id = user.id
    user.password_exempt = True
    has_membership = db.exec(select(Membership.id).where(
        Membership.staff_user_id == user.id, Membership.clinic_id == row.clinic_id,
        Membership.function == "external")).first()
    if not has_membership:
        db.add(Membership(staff_user_id=user.id, clinic_id=row.clinic_id, function="external"))
        audit.record("membership_added", actor=actor, target_type="staff_user", target_id=user.id,
                     clinic_id=row.clinic_id, function="external")
    token = invitations.issue_invitation(staff_user_id=user.id, purpose="set_password")
    audit.record("password_exemption_approved", actor=actor, target_type="password_exemption",
                 target_id=row.id, clinic_id=row.clinic_id, staff_user_id=user.id)
    audit.record("invitation_issued", actor=actor, target_type="staff_user", target_id=user.id,
                 clinic_id=row.clinic_id, purpose="set_password")
    db.flush()
    clinic = db.get(Clinic, row.clinic_id)
    # Mail inside the transaction: an SMTP error propagates and nothing is committed.
    send_email(to=row.external_email, subject=_("Dit bruger ID til Klinikadgang"),
               template="exemption_set_password", name=user.name, clinic=clinic.name,
               user_id=user.legacy_user_id,
               link=url_for("enrolment.invitation", token=token, _external=True),
               hours=int(invitations.LIFETIMES["set_password"].total_seconds() // 3600))
    _mail_requester(row, clinic)
    db.commit()
    return user


def reject_exemption(row: PasswordExemption, *, operator_id: int, note: str | None) -> None:
    """Reject a request and tell the requesting administrator; one transaction."""
    db = get_session()
    _decide(row, "rejected", operator_id, note)
    audit.record("password_exemption_rejected", actor=f"operator:{operator_id}",
                 target_type="password_exemption", target_id=row.id, clinic_id=row.clinic_id)
    db.flush()
    _mail_requester(row, db.get(Clinic, row.clinic_id))
    db.commit()


def _mail_requester(row: PasswordExemption, clinic: Clinic) -> None:
    """Tell the administrator who asked how it went (when we know their e-mail address)."""
    requester = _requester(row)
    if requester is None or not requester.email:
        return
    subject = (_("Undtagelsen for %(name)s er godkendt", name=row.external_name)
               if row.status == "approved"
               else _("Anmodningen for %(name)s er afvist", name=row.external_name))
    send_email(to=requester.email, subject=subject, template="exemption_decided",
               name=requester.name, external_name=row.external_name, clinic=clinic.name,
               approved=row.status == "approved", note=row.decision_note,
               link=url_for("exemptions.index", _external=True))


def withdraw_exemption(row: PasswordExemption, *, actor_id: int) -> None:
    """Withdraw a pending or approved exemption; the password login ends unless another clinic's
    approved exemption still covers the account. Commits."""
    db = get_session()
    if row.status not in ("pending", "approved"):
        raise ExemptionError(_("Anmodningen kan ikke trækkes tilbage."))
    was_approved = row.status == "approved"
    row.status = "withdrawn"
    audit.record("password_exemption_withdrawn", actor=f"staff:{actor_id}",
                 target_type="password_exemption", target_id=row.id, clinic_id=row.clinic_id)
    if was_approved and row.staff_user_id:
        db.flush()
        still_covered = db.exec(select(PasswordExemption.id).where(
            PasswordExemption.staff_user_id == row.staff_user_id,
            PasswordExemption.status == "approved")).first()
        if not still_covered:
            _end_exemption(db.get(StaffUser, row.staff_user_id), row.clinic_id, actor_id)
    db.commit()


def _end_exemption(user: StaffUser, clinic_id: int, actor_id: int) -> None:
    """Take the password login away now: the flag, unused set-password links, open sessions."""
    db = get_session()
    now = utcnow()
    user.password_exempt = False
    for invitation in db.exec(select(Invitation).where(
            Invitation.staff_user_id == user.id, Invitation.purpose == "set_password",
            Invitation.used_at.is_(None), Invitation.expires_at > now)):
        invitation.expires_at = now
    for session_row in db.exec(select(LoginSession).where(
            LoginSession.staff_user_id == user.id, LoginSession.method == "exempt",
            LoginSession.ended_at.is_(None))):
        session_row.ended_at = now
        session_row.ended_reason = "exemption_withdrawn"
    audit.record("password_exempt_cleared", actor=f"staff:{actor_id}", target_type="staff_user",
                 target_id=user.id, clinic_id=clinic_id)


def set_password_from_invitation(invitation: Invitation, password: str) -> StaffUser | None:
    """Set the password of an invited external user; None when the link was used meanwhile."""
    db = get_session()
    if not invitations.mark_used(invitation):
        db.rollback()
        return None
    user = invitations.invited_user(invitation)
    user.legacy_password_hash = hash_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("password_set", actor=f"staff:{user.id}", target_type="staff_user",
                 target_id=user.id, via="invitation")
    db.commit()
    return user
