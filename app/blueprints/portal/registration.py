"""Self-registration (Opret ny bruger / Opret bruger under 15 år), confirmed with MitID.

The typed details wait in a PortalUser row that is not yet activated (created_by "self" or
"guardian", activated_at None). Only a MitID login whose CPR matches the typed one activates it;
an unconfirmed row carries no rights and is deleted after 24 hours, or at once when the CPR's
owner shows up with MitID. Another submit of the same CPR never replaces it (whoever submits is
anonymous). The browser keeps only a reference to the attempt: a random nonce and a keyed hash
binding it to the typed CPR and row (never the CPR, the e-mail or the password). An attempt at
a CPR that already has a user hashes the password too and gets the same kind of reference, so
neither the answer, the cookie nor the time taken tells whether a CPR number is a user.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import delete, select

from app import audit, consent, custody
from app.blueprints.portal import services as svc
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import PatientRecord, PortalSession, PortalUser, RegistrationRequest
from app.security import cpr_index, decrypt_cpr, encrypt_cpr, hash_password, keyed_hash

UNCONFIRMED_TTL = timedelta(hours=24)


@dataclass
class Outcome:
    """What a MitID confirmation led to: the user and one of the kinds below.

    created | requested | closed | existing | unconfirmed (an earlier, unconfirmed registration
    of the CPR was dropped) (self); child_created | child_requested | child_closed |
    child_existing | child_custody_requested | child_refused (guardian); mismatch (the MitID CPR
    is not the typed one).
    """

    kind: str
    user: PortalUser | None = None


def _ref(kind: str, index: str, nonce: str, secret: str) -> str:
    """The session's reference to one attempt: its nonce and a keyed hash of the CPR and row."""
    digest = keyed_hash(f"{kind}:{index}:{nonce}:{secret}", "portal-registration")[:40]
    return f"{nonce}.{digest}"


def _nonce(ref: str) -> str:
    return ref.partition(".")[0]


def _linked_records(user: PortalUser) -> list[PatientRecord]:
    return list(get_session().exec(select(PatientRecord).where(
        PatientRecord.portal_user_id == user.id)))


def _vouched_or_requested(user: PortalUser) -> bool:
    """A clinic vouched for the user's address, or the user asked a clinic for access."""
    db = get_session()
    vouched = db.exec(select(PatientRecord.id).where(
        PatientRecord.cpr_index == user.cpr_index,
        PatientRecord.email_vouched_by.is_not(None))).first()
    requested = db.exec(select(RegistrationRequest.id).where(
        RegistrationRequest.portal_user_id == user.id)).first()
    return vouched is not None or requested is not None


def _replaceable(user: PortalUser) -> bool:
    """An unconfirmed self-registration that no clinic has taken on (linked, requested, vouched)."""
    return svc.is_unconfirmed(user) and not _linked_records(user) \
        and not _vouched_or_requested(user)


def _delete(user: PortalUser) -> None:
    db = get_session()
    db.exec(delete(PortalSession).where(PortalSession.portal_user_id == user.id))
    db.delete(user)
    db.flush()


def purge_unconfirmed() -> int:
    """Delete unconfirmed self-registrations older than 24 hours (housekeeping); the caller commits."""
    cutoff = utcnow() - UNCONFIRMED_TTL
    rows = get_session().exec(select(PortalUser).where(
        PortalUser.created_by.in_(("self", "guardian")), PortalUser.activated_at.is_(None),
        PortalUser.created_at < cutoff)).all()
    stale = [row for row in rows if _replaceable(row)]
    for row in stale:
        _delete(row)
    return len(stale)


def discard_unconfirmed(user: PortalUser, *, clinic_id: int) -> bool:
    """The CPR's owner came with MitID: drop an unconfirmed registration no clinic vouched for.

    It was typed by someone who knew the CPR number, perhaps the owner, perhaps not; its e-mail
    and password are nobody's proof, so the owner registers afresh. A clinic's link to it
    ("Tilknyt eksisterende bruger") is not vouching: the link goes too (audited). Returns False
    (nothing done) for any other user; commits.
    """
    if not svc.is_unconfirmed(user) or _vouched_or_requested(user):
        return False
    linked = _linked_records(user)
    if linked and user.created_by != "self":
        return False
    for record in linked:
        record.portal_user_id = None
        record.updated_at = utcnow()
        audit.record("portal_user_unlinked", actor="anonymous", target_type="patient_record",
                     target_id=record.id, clinic_id=record.clinic_id, reason="unconfirmed")
    _delete(user)
    audit.record("portal_registration_unconfirmed_discarded", actor="anonymous",
                 clinic_id=clinic_id)
    get_session().commit()
    return True


def _pending_row(*, cpr: str, born, created_by: str, first_name: str, last_name: str, email: str,
                 mobile: str | None, password_hash: str,
                 guardian_index: str | None = None) -> PortalUser:
    db = get_session()
    user = PortalUser(cpr_encrypted=encrypt_cpr(cpr), cpr_index=cpr_index(cpr), birth_date=born,
                      first_name=first_name, last_name=last_name, email=email, mobile=mobile,
                      password_hash=password_hash, guardian_cpr_index=guardian_index,
                      created_by=created_by)
    db.add(user)
    db.flush()
    return user


def start_registration(*, cpr: str, born, first_name: str, last_name: str, email: str,
                       mobile: str | None, password: str, guardian_cpr: str | None = None) -> str:
    """Keep the typed details in an unconfirmed row (or note the CPR is a user); return the ref.

    With `guardian_cpr` this is a child's registration, confirmed by the guardian's MitID.
    """
    db = get_session()
    purge_unconfirmed()
    kind = "guardian" if guardian_cpr else "self"
    index = cpr_index(cpr)
    confirmer = cpr_index(guardian_cpr) if guardian_cpr else index
    nonce = secrets.token_urlsafe(16)
    password_hash = hash_password(password)  # for a CPR that is a user too: the same work
    if svc.find_user(index) is not None:  # a user, or somebody's pending registration: kept
        db.commit()
        return _ref(kind, confirmer, nonce, "existing")
    user = _pending_row(cpr=cpr, born=born, created_by=kind, first_name=first_name,
                        last_name=last_name, email=email, mobile=mobile,
                        password_hash=password_hash,
                        guardian_index=cpr_index(guardian_cpr) if guardian_cpr else None)
    ref = _ref(kind, confirmer, nonce, user.password_hash)
    db.commit()
    return ref


def _take_existing_sub(user: PortalUser, sub: str) -> None:
    """MitID `sub` is unique: a CPR change moves it from the old user row to this one."""
    db = get_session()
    for other in db.exec(select(PortalUser).where(PortalUser.mitid_sub == sub,
                                                  PortalUser.id != user.id)):
        other.mitid_sub = None
    db.flush()
    user.mitid_sub = sub


def record_mitid(user: PortalUser, identity) -> None:
    """Note that this user's identity is confirmed with MitID (first time, or again)."""
    now = utcnow()
    if user.mitid_sub != identity.sub:
        _take_existing_sub(user, identity.sub)
    user.mitid_verified_at = user.mitid_verified_at or now


def confirm_self(*, clinic, ref: str, identity) -> Outcome:
    """The registrant's MitID came back: activate the row if its CPR is the typed one; commits."""
    index = cpr_index(identity.cpr)
    user = svc.find_user(index)
    db = get_session()
    nonce = _nonce(ref)
    if user is not None and ref == _ref("self", index, nonce, "existing"):
        if discard_unconfirmed(user, clinic_id=clinic.id):
            return Outcome("unconfirmed")
        return Outcome("existing", user)  # logged in like a MitID login; the typed details are dropped
    if user is None or not svc.is_unconfirmed(user) or user.created_by != "self" \
            or ref != _ref("self", index, nonce, user.password_hash):
        audit.record("portal_registration_cpr_mismatch", actor="anonymous", clinic_id=clinic.id)
        db.commit()
        return Outcome("mismatch")
    record_mitid(user, identity)
    user.activated_at = utcnow()
    audit.record("portal_user_registered", actor=svc.actor(user), target_type="portal_user",
                 target_id=user.id, clinic_id=clinic.id, mode=clinic.self_registration)
    consent.record_portal_terms(portal_user_id=user.id, action="given", method="registration",
                                actor=svc.actor(user))  # the box ticked on "Opret bruger"
    db.commit()
    result = svc.register_at_clinic(user=user, clinic=clinic, actor_name=svc.actor(user))
    return Outcome({"registered": "created"}.get(result, result), user)


def _custody_denied(child: PortalUser, *, clinic, guardian_user) -> Outcome:
    """The register says the adult has no custody of the child: refuse and keep nothing typed."""
    audit.record("portal_child_custody_denied", actor="guardian", clinic_id=clinic.id,
                 guardian_portal_user_id=guardian_user.id if guardian_user else None,
                 confirmed_with="mitid")
    _delete(child)
    get_session().commit()
    return Outcome("child_refused")


def confirm_child(*, clinic, ref: str, identity) -> Outcome:
    """The guardian's MitID came back: activate the child whose guardian CPR is this one; commits."""
    guardian_index = cpr_index(identity.cpr)
    db = get_session()
    nonce = _nonce(ref)
    if ref == _ref("guardian", guardian_index, nonce, "existing"):
        return Outcome("child_existing")
    candidates = db.exec(select(PortalUser).where(
        PortalUser.guardian_cpr_index == guardian_index, PortalUser.created_by == "guardian",
        PortalUser.activated_at.is_(None))).all()
    child = next((row for row in candidates
                  if ref == _ref("guardian", guardian_index, nonce, row.password_hash)), None)
    if child is None:
        audit.record("portal_registration_cpr_mismatch", actor="anonymous", clinic_id=clinic.id,
                     guardian=True)
        db.commit()
        return Outcome("mismatch")
    guardian_user = svc.find_user(guardian_index)
    answer = custody.custody_of(identity.cpr, decrypt_cpr(child.cpr_encrypted))
    if answer == custody.DENIED:
        return _custody_denied(child, clinic=clinic, guardian_user=guardian_user)
    # Who created the child's user and when: the guardian's CPR (blind index and encrypted) and
    # MitID name on the row, the moment of the guardian's MitID confirmation (activated_at) and
    # this audit event; custody confirmed by the register now, or later by a clinic.
    child.activated_at = utcnow()
    child.guardian_name = identity.name or None
    child.guardian_cpr_encrypted = encrypt_cpr(identity.cpr)
    if answer == custody.CONFIRMED:
        child.custody_method, child.custody_confirmed_at = "cpr_register", child.activated_at
    audit.record("portal_child_registered", actor="guardian", target_type="portal_user",
                 target_id=child.id, clinic_id=clinic.id, mode=clinic.self_registration,
                 guardian_portal_user_id=guardian_user.id if guardian_user else None,
                 confirmed_with="mitid", custody=answer)
    consent.record_portal_terms(portal_user_id=child.id, action="given",
                                method="registration_by_guardian", actor="guardian")
    db.commit()
    result = svc.register_at_clinic(user=child, clinic=clinic, actor_name="guardian")
    return Outcome("child_" + {"registered": "created"}.get(result, result), child)
