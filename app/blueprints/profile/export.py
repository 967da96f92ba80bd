"""My data: everything held about a staff member, for the page and as a JSON download."""

from sqlalchemy import or_
from sqlmodel import select

from app.core.db import get_session
from app.models import (
    AuditEvent,
    Clinic,
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
    PasswordExemption,
    PatientRecord,
    RegistrationRequest,
    StaffUser,
)

# Internal secrets are never exported (hashes of passwords, tokens and codes).
_SECRET_FIELDS = {"legacy_password_hash", "token_hash", "code_hash"}


def _plain(row) -> dict:
    data = row.model_dump()
    for name in _SECRET_FIELDS & data.keys():
        data[name] = "[skjult]"
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def _decisions(model, uid: int) -> list[dict]:
    found = get_session().exec(select(model).where(model.decided_by_id == uid))
    return [{"id": r.id, "status": r.status,
             "decided_at": r.decided_at.isoformat() if r.decided_at else None} for r in found]


def staff_export(user: StaffUser) -> dict:
    """One key per table that holds the person's data (a test keeps this list complete)."""
    db = get_session()
    uid = user.id

    def rows(model, *conditions):
        return [_plain(r) for r in db.exec(select(model).where(or_(*conditions)))]

    memberships = db.exec(select(Membership, Clinic).join(Clinic, Membership.clinic_id == Clinic.id)
                          .where(Membership.staff_user_id == uid)).all()
    return {
        "staff_user": _plain(user),
        "mitid_link": rows(MitIDLink, MitIDLink.staff_user_id == uid),
        "membership": [{**_plain(m), "clinic_name": c.name} for m, c in memberships],
        "consent_record": rows(ConsentRecord, ConsentRecord.staff_user_id == uid),
        "login_session": rows(LoginSession, LoginSession.staff_user_id == uid),
        "onboarding": rows(Onboarding, Onboarding.staff_user_id == uid),
        "email_code": rows(EmailCode, EmailCode.email == (user.email or ""),
                           EmailCode.email == (user.pending_email or "")),
        "invitation": rows(Invitation, Invitation.staff_user_id == uid),
        "password_exemption": rows(PasswordExemption, PasswordExemption.staff_user_id == uid,
                                   PasswordExemption.requested_by_id == uid,
                                   PasswordExemption.decided_by_id == uid),
        "enrolment_user": rows(EnrolmentUser, EnrolmentUser.staff_user_id == uid),
        # Decisions the person made: only that they decided, not the other people's data.
        "clinic_enrolment": _decisions(ClinicEnrolment, uid),
        "registration_request": _decisions(RegistrationRequest, uid),
        # Patients whose e-mail the person vouched for: only that and when, not the patient's data.
        "patient_record": [{"id": r.id, "email_vouched_at": r.email_vouched_at.isoformat()}
                           for r in db.exec(select(PatientRecord).where(
                               PatientRecord.email_vouched_by == uid))],
        "kiosk_device": [{"id": d.id, "name": d.name, "created_at": d.created_at.isoformat()}
                         for d in db.exec(select(KioskDevice).where(
                             KioskDevice.created_by_id == uid))],
        "audit_event": rows(AuditEvent, AuditEvent.actor == f"staff:{uid}",
                            (AuditEvent.target_type == "staff_user")
                            & (AuditEvent.target_id == str(uid))),
    }
