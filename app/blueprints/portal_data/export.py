"""Everything held about a patient, for "Mine data" and its JSON download."""

from sqlalchemy import or_
from sqlmodel import select

from app import cpr
from app.core.db import get_session
from app.models import (
    AuditEvent,
    Clinic,
    ConsentRecord,
    EmailCode,
    PatientRecord,
    PortalSession,
    PortalUser,
    RegistrationRequest,
)

# Internal secrets and ciphertexts are never exported; the CPR is given in plain instead.
_HIDDEN = {"password_hash", "token_hash", "code_hash", "cpr_encrypted", "cpr_index",
           "guardian_cpr_index", "mitid_sub"}


def _plain(row) -> dict:
    data = row.model_dump()
    for name in _HIDDEN & data.keys():
        data[name] = "[skjult]"
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def portal_export(user: PortalUser) -> dict:
    """One key per table that holds the patient's data (a test keeps the list complete)."""
    db = get_session()
    uid = user.id

    def rows(model, *conditions):
        return [_plain(r) for r in db.exec(select(model).where(or_(*conditions)))]

    records = db.exec(select(PatientRecord, Clinic).join(Clinic, PatientRecord.clinic_id == Clinic.id)
                      .where(PatientRecord.portal_user_id == uid)).all()
    return {
        "portal_user": {**_plain(user), "cpr": cpr.reveal(user.cpr_encrypted)},
        "patient_record": [{**_plain(r), "clinic_name": c.name} for r, c in records],
        "registration_request": rows(RegistrationRequest, RegistrationRequest.portal_user_id == uid),
        "portal_session": rows(PortalSession, PortalSession.portal_user_id == uid),
        "consent_record": rows(ConsentRecord, ConsentRecord.portal_user_id == uid),
        "email_code": rows(EmailCode, EmailCode.email == user.email),
        "audit_event": rows(AuditEvent, AuditEvent.actor == f"portal_user:{uid}",
                            (AuditEvent.target_type == "portal_user")
                            & (AuditEvent.target_id == str(uid))),
    }
