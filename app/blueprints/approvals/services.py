"""The approval queue's logic: which requests wait, and the clinic's decision on one."""

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from app import audit
from app.blueprints.portal import services as portal_svc
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.mailer import send_email
from app.models import Clinic, PortalUser, RegistrationRequest


class ApprovalError(Exception):
    """The decision is not possible; `reason` says why: not_found | already_decided."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def pending_count(clinic_id: int) -> int:
    """How many requests wait (the navigation's badge)."""
    return get_session().exec(select(func.count()).select_from(RegistrationRequest).where(
        RegistrationRequest.clinic_id == clinic_id,
        RegistrationRequest.status == "pending")).one()


def requests(clinic_id: int, *, pending: bool) -> list[tuple[RegistrationRequest, PortalUser]]:
    """The clinic's waiting requests (oldest first) or its latest 20 decisions, with the patient."""
    query = (select(RegistrationRequest, PortalUser)
             .join(PortalUser, RegistrationRequest.portal_user_id == PortalUser.id)
             .where(RegistrationRequest.clinic_id == clinic_id))
    if pending:
        query = query.where(RegistrationRequest.status == "pending").order_by(
            RegistrationRequest.created_at, RegistrationRequest.id)
    else:
        query = query.where(RegistrationRequest.status != "pending").order_by(
            RegistrationRequest.decided_at.desc()).limit(20)
    return list(get_session().exec(query))


def decide_registration_request(*, request_id: int, clinic_id: int, accept: bool,
                                reason: str | None, staff_user_id: int) -> RegistrationRequest:
    """Accept or reject a self-registration; the patient is e-mailed either way.

    Accepting links (or creates) the clinic's record of the patient; accepting a custody_check
    request also records that the clinic confirmed the adult's custody of the child. Raises
    ApprovalError "not_found" for another clinic's request and "already_decided" for a
    decided one.
    """
    db = get_session()
    row = db.get(RegistrationRequest, request_id)
    if row is None or row.clinic_id != clinic_id:
        raise ApprovalError("not_found")
    if row.status != "pending":
        raise ApprovalError("already_decided")
    clinic = db.get(Clinic, clinic_id)
    user = db.get(PortalUser, row.portal_user_id)
    row.status = "accepted" if accept else "rejected"
    row.reason = (reason or "").strip()[:500] or None
    row.decided_by_id = staff_user_id
    row.decided_at = utcnow()
    if accept:
        record = portal_svc.link_patient_record(user=user, clinic=clinic)
        detail = {"patient_record_id": record.id}
        if row.custody_check:
            user.custody_method, user.custody_confirmed_at = "clinic_approval", row.decided_at
            audit.record("portal_child_custody_confirmed", actor=f"staff:{staff_user_id}",
                         target_type="portal_user", target_id=user.id, clinic_id=clinic_id,
                         registration_request_id=row.id, **detail)
    else:
        detail = {}
    audit.record("registration_request_" + row.status, actor=f"staff:{staff_user_id}",
                 target_type="registration_request", target_id=row.id, clinic_id=clinic_id,
                 portal_user_id=user.id, custody_check=row.custody_check, **detail)
    link = url_for("portal.front", clinic_key=clinic.key, _external=True) if accept else None
    send_email(to=user.email, subject=_("Din anmodning om oprettelse på Patientportalen"),
               template="portal_registration_" + row.status, name=user.first_name,
               clinic_name=clinic.name, clinic_phone=clinic.phone, clinic_email=clinic.email,
               reason=row.reason, link=link)
    db.commit()
    return row
