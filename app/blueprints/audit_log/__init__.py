"""The clinic's audit log for its administrators: who did what to which patient and when."""

from flask import Blueprint, request
from sqlmodel import select

from app import cpr
from app.blueprints.audit_log.labels import AUDIT_LABELS
from app.blueprints.auth.access import current_clinic, require_permission
from app.core.db import get_session
from app.core.web import render_page
from app.models import AuditEvent, PatientRecord, StaffUser

bp = Blueprint("audit_log", __name__, url_prefix="/clinic/audit")
PAGE_SIZE = 50


def clinic_events(clinic_id: int, page: int) -> tuple[list[dict], bool]:
    """A page of the clinic's events with actor names and patients (CPR masked); 3 queries."""
    db = get_session()
    events = list(db.exec(
        select(AuditEvent).where(AuditEvent.clinic_id == clinic_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    has_next = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    staff_ids = {int(e.actor.split(":")[1]) for e in events if e.actor.startswith("staff:")}
    record_ids = {int(e.target_id) for e in events if e.target_type == "patient_record"}
    names = {u.id: u.name for u in db.exec(select(StaffUser).where(StaffUser.id.in_(staff_ids)))}
    records = {r.id: r for r in db.exec(
        select(PatientRecord).where(PatientRecord.id.in_(record_ids),
                                    PatientRecord.clinic_id == clinic_id))}
    rows = []
    for event in events:
        actor_id = int(event.actor.split(":")[1]) if event.actor.startswith("staff:") else None
        record = records.get(int(event.target_id)) if event.target_type == "patient_record" \
            else None
        rows.append({"event": event, "actor": names.get(actor_id, event.actor),
                     "patient": f"{record.first_name} {record.last_name} "
                                f"({cpr.mask(cpr.reveal(record.cpr_encrypted))})"
                     if record else None})
    return rows, has_next


@bp.get("/")
@require_permission("audit_log")
def index():
    """Newest first, paginated."""
    page = max(request.args.get("page", 1, type=int), 1)
    rows, has_next = clinic_events(current_clinic().id, page)
    return render_page("audit_log/index.html", rows=rows, page=page, has_next=has_next,
                       audit_labels=AUDIT_LABELS)
