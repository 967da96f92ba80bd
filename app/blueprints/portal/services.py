"""The patient portal's core: users by CPR, who is registered where, login rules, contact details."""

from datetime import timedelta

from flask import url_for
from sqlmodel import select

from app import audit, consent
from app.blueprints.auth.services import lock_seconds
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.forms import normalise_mobile
from app.models import Clinic, PatientRecord, PortalUser, RegistrationRequest
from app.security import hash_password, password_needs_rehash, verify_password

SECURITY_CODE_PURPOSE = "portal_security_code"


def actor(user: PortalUser) -> str:
    """The audit actor of a patient."""
    return f"portal_user:{user.id}"


def find_user(cpr_index: str) -> PortalUser | None:
    """The portal user of a CPR number (by its blind index)."""
    return get_session().exec(select(PortalUser).where(PortalUser.cpr_index == cpr_index)).first()


def is_unconfirmed(user: PortalUser) -> bool:
    """A self-registration whose MitID confirmation (own or guardian's) never succeeded."""
    return user.created_by in ("self", "guardian") and user.activated_at is None


def clinic_record(user: PortalUser, clinic: Clinic) -> PatientRecord | None:
    """The clinic's record (stamkort) of this person, linked or not."""
    return get_session().exec(select(PatientRecord).where(
        PatientRecord.clinic_id == clinic.id, PatientRecord.cpr_index == user.cpr_index)).first()


def linked_record(user: PortalUser, clinic: Clinic) -> PatientRecord | None:
    """The clinic's record linked to this portal user: the user is registered at the clinic."""
    return get_session().exec(select(PatientRecord).where(
        PatientRecord.clinic_id == clinic.id, PatientRecord.portal_user_id == user.id)).first()


def pending_request(user: PortalUser, clinic: Clinic) -> RegistrationRequest | None:
    """The user's request at this clinic that waits for the clinic, if any."""
    return get_session().exec(select(RegistrationRequest).where(
        RegistrationRequest.clinic_id == clinic.id, RegistrationRequest.portal_user_id == user.id,
        RegistrationRequest.status == "pending")).first()


def custody_unconfirmed(user: PortalUser) -> bool:
    """A guardian's child whose custody neither the CPR register nor a clinic has confirmed."""
    return user.created_by == "guardian" and user.custody_method is None


def registered_clinics(user: PortalUser) -> list[Clinic]:
    """Every clinic where the user is registered, by name."""
    return list(get_session().exec(
        select(Clinic).join(PatientRecord, PatientRecord.clinic_id == Clinic.id)
        .where(PatientRecord.portal_user_id == user.id).order_by(Clinic.name)))


def link_patient_record(*, user: PortalUser, clinic: Clinic) -> PatientRecord:
    """Link the clinic's record of this CPR to the user, or create it from the user's details."""
    db = get_session()
    record = clinic_record(user, clinic)
    if record is None:
        record = PatientRecord(
            clinic_id=clinic.id, cpr_encrypted=user.cpr_encrypted, cpr_index=user.cpr_index,
            first_name=user.first_name, last_name=user.last_name,
            search_name=f"{user.first_name} {user.last_name}".lower(),
            email=user.email, mobile=user.mobile)
        db.add(record)
    record.portal_user_id = user.id
    record.updated_at = utcnow()
    db.flush()
    return record


def register_at_clinic(*, user: PortalUser, clinic: Clinic, actor_name: str) -> str:
    """Registrer: give the user access at a clinic as its mode allows; audited; commits.

    Returns "registered" (mode auto), "requested" (mode approval) or "closed" (mode none); a
    child whose custody is unconfirmed is "custody_requested" in every mode.
    """
    if linked_record(user, clinic) is not None:
        return "registered"
    if pending_request(user, clinic) is not None:
        return "requested"
    db = get_session()
    # MitID proves only the adult's own CPR: whether they may act for the child is the clinic's
    # to check, whatever its mode, until the CPR register or a clinic has confirmed it.
    custody_check = custody_unconfirmed(user)
    if clinic.self_registration == "auto" and not custody_check:
        record = link_patient_record(user=user, clinic=clinic)
        audit.record("portal_registered_at_clinic", actor=actor_name, target_type="portal_user",
                     target_id=user.id, clinic_id=clinic.id, patient_record_id=record.id)
        db.commit()
        return "registered"
    if clinic.self_registration == "approval" or custody_check:
        request_row = RegistrationRequest(clinic_id=clinic.id, portal_user_id=user.id,
                                          custody_check=custody_check)
        db.add(request_row)
        db.flush()
        audit.record("registration_request_created", actor=actor_name,
                     target_type="registration_request", target_id=request_row.id,
                     clinic_id=clinic.id, portal_user_id=user.id, custody_check=custody_check)
        db.commit()
        return "custody_requested" if custody_check else "requested"
    return "closed"


def email_vouched(user: PortalUser, record: PatientRecord | None) -> bool:
    """Whether the clinic, with "Patienten har ikke MitID", vouched for the user's current address."""
    return bool(record and record.no_mitid and record.email_vouched_by is not None
                and record.vouched_email == user.email.strip().lower())


def needs_vouching(user: PortalUser, record: PatientRecord | None) -> bool:
    """A self-registration never confirmed with MitID, at a clinic that ticked no_mitid for it."""
    return bool(record and record.no_mitid and user.mitid_verified_at is None
                and user.created_by == "self")


def security_code_allowed(user: PortalUser, clinic: Clinic) -> bool:
    """Security-code login needs a MitID-confirmed identity, a guardian-confirmed child, or the
    clinic's "Patienten har ikke MitID" on its record of this person.

    The seed makes the clinic answer for the address the code goes to: a user the clinic created
    has the clinic's address; a self-registration (typed by anyone who knows the CPR number)
    also needs the clinic to have vouched for its address (email_vouched).
    """
    if user.mitid_verified_at is not None:
        return True
    if user.created_by == "guardian" and user.activated_at is not None:
        return True
    record = clinic_record(user, clinic)
    if not (record and record.no_mitid):
        return False
    return email_vouched(user, record) if user.created_by == "self" else True


def count_login_failure(user: PortalUser, what: str) -> None:
    """One more failed login (wrong password or security code): lock when there are many; commits."""
    user.failed_login_count += 1
    wait = lock_seconds(user.failed_login_count)
    user.locked_until = utcnow() + timedelta(seconds=wait) if wait else None
    audit.record("portal_login_failed", actor="anonymous", target_type="portal_user",
                 target_id=user.id, failed=what, failures=user.failed_login_count,
                 locked_seconds=wait)
    get_session().commit()


def check_password(cpr_index: str, password: str) -> PortalUser | None:
    """The user of a correct CPR + password, or None (unknown, wrong, locked: one answer)."""
    user = find_user(cpr_index)
    # Verify even for unknown and locked users so every answer takes the same time.
    correct = verify_password(user.password_hash if user else None, password)
    if user is None:
        return None
    if user.locked_until is not None and user.locked_until > utcnow():
        audit.record("portal_login_refused_locked", actor="anonymous", target_type="portal_user",
                     target_id=user.id)
        get_session().commit()
        return None
    if not correct:
        count_login_failure(user, "password")
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        get_session().commit()
    return user


def login_succeeded(user: PortalUser, clinic: Clinic, method: str) -> None:
    """Reset the failure count; a clinic-vouched first login activates the user; commits."""
    user.failed_login_count = 0
    user.locked_until = None
    if user.activated_at is None and user.password_hash is not None:
        user.activated_at = utcnow()
    audit.record("portal_login", actor=actor(user), target_type="portal_user", target_id=user.id,
                 clinic_id=clinic.id, method=method)
    get_session().commit()


def _same_mobile(a: str | None, b: str | None) -> bool:
    return (normalise_mobile(a) or a or None) == (normalise_mobile(b) or b or None)


def contact_differs(user: PortalUser, record: PatientRecord | None) -> bool:
    """Whether the portal's e-mail or mobile differs from the clinic's record."""
    if record is None:
        return False
    email_differs = (record.email or "").strip().lower() != user.email.strip().lower()
    return email_differs or not _same_mobile(record.mobile, user.mobile)


def confirm_contact(*, user: PortalUser, record: PatientRecord, email: str,
                    mobile: str | None) -> None:
    """Bekræft: the confirmed e-mail and mobile go to the portal user and the clinic's record."""
    changed = [name for name, old, new in (("email", user.email, email),
                                            ("mobile", user.mobile, mobile)) if old != new]
    user.email, user.mobile = email, mobile
    record_changed = record.email != email or not _same_mobile(record.mobile, mobile)
    record.email, record.mobile = email, mobile
    record.updated_at = utcnow()
    audit.record("portal_contact_confirmed", actor=actor(user), target_type="portal_user",
                 target_id=user.id, clinic_id=record.clinic_id, portal_changed=changed,
                 record_changed=record_changed)
    get_session().commit()


def next_url(user: PortalUser, clinic: Clinic) -> str:
    """Where a logged-in patient goes: terms, Registrer, waiting, Bekræft, or the home page."""
    if not consent.portal_terms_accepted(portal_user_id=user.id):
        return url_for("portal_data.accept_terms", clinic_key=clinic.key)
    record = linked_record(user, clinic)
    if record is None:
        if pending_request(user, clinic) is not None:
            return url_for("portal.awaiting_approval", clinic_key=clinic.key)
        return url_for("portal.register_here", clinic_key=clinic.key)
    if contact_differs(user, record):
        return url_for("portal.confirm_contact", clinic_key=clinic.key)
    return url_for("portal.home", clinic_key=clinic.key)
