"""Services the clinic workspace calls: create portal users from a record, decide requests.

None of them touches `request`; each is audited and commits. E-mails never carry a CPR number.
"""

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from app import audit, cpr
from app.blueprints.portal import services as svc
from app.blueprints.portal.tokens import make_token
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.mailer import send_email
from app.models import Clinic, PatientRecord, PortalUser


class PortalAccountError(Exception):
    """The action is not possible; `reason` says why: no_email | not_found | already_decided."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class RecordLink:
    """The portal user now linked to a record; `created` is False when the CPR already had one."""

    portal_user: PortalUser
    created: bool


def send_activation_email(*, portal_user: PortalUser, clinic: Clinic) -> None:
    """E-mail the aktiveringslink (valid 7 days, dies once a password is chosen)."""
    link = url_for("portal.activate", clinic_key=clinic.key,
                   token=make_token("activation", portal_user), _external=True)
    send_email(to=portal_user.email, subject=_("Aktivér din bruger på Patientportalen"),
               template="portal_activation", name=portal_user.first_name,
               clinic_name=clinic.name, link=link)


def create_portal_user_from_record(*, record: PatientRecord, staff_user_id: int) -> RecordLink:
    """The clinic creates the patient as portal user (not activated; activation e-mail sent).

    A CPR that already has a portal user is linked to the record instead (created=False, no
    e-mail). A new user needs an e-mail address on the record (PortalAccountError "no_email").
    """
    db = get_session()
    clinic = db.get(Clinic, record.clinic_id)
    staff = f"staff:{staff_user_id}"
    existing = svc.find_user(record.cpr_index)
    if existing is not None:
        if record.portal_user_id != existing.id:
            record.portal_user_id = existing.id
            record.updated_at = utcnow()
            audit.record("portal_user_linked_by_clinic", actor=staff, target_type="portal_user",
                         target_id=existing.id, clinic_id=clinic.id, patient_record_id=record.id)
            db.commit()
        return RecordLink(existing, created=False)
    if not record.email:
        raise PortalAccountError("no_email")
    _normalised, born = cpr.parse_cpr(cpr.reveal(record.cpr_encrypted))
    user = PortalUser(cpr_encrypted=record.cpr_encrypted, cpr_index=record.cpr_index,
                      birth_date=born, first_name=record.first_name, last_name=record.last_name,
                      email=record.email.strip().lower(), mobile=record.mobile, created_by=staff)
    db.add(user)
    db.flush()
    record.portal_user_id = user.id
    record.updated_at = utcnow()
    audit.record("portal_user_created_by_clinic", actor=staff, target_type="portal_user",
                 target_id=user.id, clinic_id=clinic.id, patient_record_id=record.id)
    send_activation_email(portal_user=user, clinic=clinic)  # a mail failure rolls all back
    db.commit()
    return RecordLink(user, created=True)


def vouch_for_email(*, record: PatientRecord, staff_user_id: int, use_card_email: bool) -> None:
    """The clinic confirms that the portal user's e-mail belongs to the patient; commits.

    With use_card_email the portal user's address is first replaced by the stamkort's. Needs
    "Patienten har ikke MitID" on the record (PortalAccountError "no_mitid"), a portal user of
    its CPR ("not_found") and, for the card's address, one on the card ("no_email").
    """
    db = get_session()
    user = svc.find_user(record.cpr_index)
    if user is None:
        raise PortalAccountError("not_found")
    if not record.no_mitid:
        raise PortalAccountError("no_mitid")
    if use_card_email:
        if not record.email:
            raise PortalAccountError("no_email")
        user.email = record.email.strip().lower()
    record.vouched_email = user.email.strip().lower()
    record.email_vouched_by = staff_user_id
    record.email_vouched_at = utcnow()
    audit.record("portal_email_vouched", actor=f"staff:{staff_user_id}",
                 target_type="portal_user", target_id=user.id, clinic_id=record.clinic_id,
                 patient_record_id=record.id, address="card" if use_card_email else "user")
    db.commit()


def clear_email_vouching(record: PatientRecord, *, staff_user_id: int) -> None:
    """"Patienten har ikke MitID" was unticked: the vouching goes with it (audited); no commit."""
    if record.email_vouched_by is None:
        return
    record.vouched_email = record.email_vouched_by = record.email_vouched_at = None
    audit.record("portal_email_vouch_cleared", actor=f"staff:{staff_user_id}",
                 target_type="patient_record", target_id=record.id, clinic_id=record.clinic_id)
