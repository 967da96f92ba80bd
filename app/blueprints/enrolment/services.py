"""Clinic enrolment: store the public form, and let the operator approve (creating it all) or reject."""

from flask import url_for
from flask_babel import gettext as _
from sqlmodel import select

from app import audit
from app.blueprints.enrolment import invitations
from app.blueprints.enrolment.accounts import (
    find_staff_by_email,
    unique_clinic_key,
    unique_legacy_user_id,
)
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.forms import normalise_mobile
from app.core.mailer import send_email
from app.models import Clinic, ClinicEnrolment, EnrolmentUser, Membership, MitIDLink, StaffUser


class EnrolmentError(Exception):
    """The operator's decision could not be carried out; the message is shown on the page."""


def submit_enrolment(*, clinic_name: str, cvr: str, address: str, postcode: str, city: str,
                     phone: str, contact_name: str, contact_email: str,
                     users: list[dict]) -> ClinicEnrolment:
    """Store a submitted enrolment form for the operator; commits."""
    db = get_session()
    enrolment = ClinicEnrolment(
        clinic_name=clinic_name, cvr=cvr, address=address, postcode=postcode, city=city,
        phone=normalise_mobile(phone) or phone, contact_name=contact_name,
        contact_email=contact_email,
    )
    db.add(enrolment)
    db.flush()
    for user in users:
        db.add(EnrolmentUser(enrolment_id=enrolment.id, name=user["name"], email=user["email"],
                             function=user["function"]))
    audit.record("clinic_enrolment_submitted", actor="public", target_type="clinic_enrolment",
                 target_id=enrolment.id, users=len(users))
    db.commit()
    return enrolment


def enrolments(*, pending: bool) -> list[ClinicEnrolment]:
    """Pending enrolments (oldest first), or the 20 most recently decided ones."""
    query = select(ClinicEnrolment)
    if pending:
        query = query.where(ClinicEnrolment.status == "pending").order_by(ClinicEnrolment.created_at)
    else:
        query = query.where(ClinicEnrolment.status != "pending").order_by(
            ClinicEnrolment.decided_at.desc()).limit(20)
    return list(get_session().exec(query).all())


def get_enrolment(enrolment_id: int) -> ClinicEnrolment | None:
    """One enrolment by id."""
    return get_session().get(ClinicEnrolment, enrolment_id)


def enrolment_users(enrolment: ClinicEnrolment) -> list[EnrolmentUser]:
    """The user overview of an enrolment, in the order it was typed."""
    return list(get_session().exec(select(EnrolmentUser).where(
        EnrolmentUser.enrolment_id == enrolment.id).order_by(EnrolmentUser.id)).all())


def _decide(enrolment: ClinicEnrolment, status: str, operator_id: int, note: str | None) -> None:
    if enrolment.status != "pending":
        raise EnrolmentError(_("Tilmeldingen er allerede behandlet."))
    enrolment.status = status
    enrolment.decided_by_id = operator_id
    enrolment.decided_at = utcnow()
    enrolment.decision_note = note or None


def _account_for(entry: EnrolmentUser) -> tuple[StaffUser, bool]:
    """The listed person's account: an existing one with the same e-mail, else a new one."""
    db = get_session()
    user = find_staff_by_email(entry.email)
    if user is not None:
        return user, False
    user = StaffUser(name=entry.name, legacy_user_id=unique_legacy_user_id(entry.name),
                     email=entry.email)
    db.add(user)
    db.flush()  # the next generated user ID must see this one
    return user, True


def approve_enrolment(enrolment: ClinicEnrolment, *, operator_id: int, note: str | None) -> Clinic:
    """Create the clinic, its users, memberships and invitations, and mail them; one transaction."""
    db = get_session()
    actor = f"operator:{operator_id}"
    if db.exec(select(Clinic.id).where(Clinic.cvr == enrolment.cvr)).first():
        raise EnrolmentError(_("Der findes allerede en klinik med dette CVR-nummer."))
    _decide(enrolment, "approved", operator_id, note)
    clinic = Clinic(key=unique_clinic_key(enrolment.clinic_name), name=enrolment.clinic_name,
                    cvr=enrolment.cvr, self_registration="none")
    db.add(clinic)
    db.flush()
    enrolment.clinic_id = clinic.id
    audit.record("clinic_created", actor=actor, target_type="clinic", target_id=clinic.id,
                 clinic_id=clinic.id, enrolment_id=enrolment.id)
    mails = []
    for entry in enrolment_users(enrolment):
        user, created = _account_for(entry)
        entry.staff_user_id = user.id
        if created:
            audit.record("staff_user_created", actor=actor, target_type="staff_user",
                         target_id=user.id, clinic_id=clinic.id, source="clinic_enrolment")
        db.add(Membership(staff_user_id=user.id, clinic_id=clinic.id, function=entry.function))
        audit.record("membership_added", actor=actor, target_type="staff_user", target_id=user.id,
                     clinic_id=clinic.id, function=entry.function)
        linked = db.exec(select(MitIDLink.id).where(MitIDLink.staff_user_id == user.id)).first()
        if linked:
            mails.append((entry.email, _("Du har fået adgang til %(clinic)s", clinic=clinic.name),
                          "clinic_access_granted", {"name": user.name}))
            continue
        token = invitations.issue_invitation(staff_user_id=user.id, purpose="onboarding")
        db.flush()
        audit.record("invitation_issued", actor=actor, target_type="staff_user", target_id=user.id,
                     clinic_id=clinic.id, purpose="onboarding")
        mails.append((entry.email, _("Invitation til Klinikadgang"), "onboarding_invitation",
                      {"name": user.name,
                       "link": url_for("enrolment.invitation", token=token, _external=True)}))
    audit.record("clinic_enrolment_approved", actor=actor, target_type="clinic_enrolment",
                 target_id=enrolment.id, clinic_id=clinic.id)
    db.flush()
    # Mail inside the transaction: an SMTP error propagates and nothing is committed.
    for to, subject, template, context in mails:
        send_email(to=to, subject=subject, template=template, clinic=clinic.name,
                   days=invitations.LIFETIMES["onboarding"].days, **context)
    send_email(to=enrolment.contact_email, subject=_("Klinikken er tilmeldt Klinikadgang"),
               template="enrolment_approved", name=enrolment.contact_name, clinic=clinic.name,
               note=enrolment.decision_note)
    db.commit()
    return clinic


def reject_enrolment(enrolment: ClinicEnrolment, *, operator_id: int, note: str | None) -> None:
    """Reject an enrolment and tell the contact person; one transaction."""
    db = get_session()
    _decide(enrolment, "rejected", operator_id, note)
    audit.record("clinic_enrolment_rejected", actor=f"operator:{operator_id}",
                 target_type="clinic_enrolment", target_id=enrolment.id)
    db.flush()
    send_email(to=enrolment.contact_email, subject=_("Tilmeldingen til Klinikadgang er afvist"),
               template="enrolment_rejected", name=enrolment.contact_name,
               clinic=enrolment.clinic_name, note=enrolment.decision_note)
    db.commit()
