"""Patient records of one clinic: search, create, edit, reveal the CPR — every change audited."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import select

from app import audit, cpr
from app.clock import utcnow
from app.db import get_session
from app.models import PatientRecord

PAGE_SIZE = 25


@dataclass
class SearchPage:
    """One page of search results; `has_next` instead of a count keeps big clinics fast."""

    rows: list[PatientRecord]
    page: int
    has_next: bool


def search_patients(*, clinic_id: int, query: str, page: int = 1) -> SearchPage:
    """Find the clinic's patients by full CPR (exact) or by name parts; one query per page."""
    page = max(page, 1)
    statement = select(PatientRecord).where(PatientRecord.clinic_id == clinic_id)
    query = (query or "").strip()
    if query:
        try:
            statement = statement.where(PatientRecord.cpr_index == cpr.index_of(query))
        except cpr.InvalidCPR:
            words = query.lower().split()[:5]
            statement = statement.where(
                and_(*[PatientRecord.search_name.contains(word, autoescape=True)
                       for word in words]))
    statement = (statement.order_by(PatientRecord.last_name, PatientRecord.first_name,
                                    PatientRecord.id)
                 .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    rows = list(get_session().exec(statement))
    return SearchPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def get_patient(*, clinic_id: int, record_id: int) -> PatientRecord | None:
    """A record of this clinic only (another clinic's id is as good as missing)."""
    record = get_session().get(PatientRecord, record_id)
    return record if record is not None and record.clinic_id == clinic_id else None


def find_by_cpr(*, clinic_id: int, normalised_cpr: str) -> PatientRecord | None:
    """The clinic's record of a CPR number, through the blind index."""
    from app.security import cpr_index

    return get_session().exec(select(PatientRecord).where(
        PatientRecord.clinic_id == clinic_id,
        PatientRecord.cpr_index == cpr_index(normalised_cpr))).first()


def _search_name(first: str, last: str) -> str:
    return f"{first} {last}".lower()


class DuplicatePatient(Exception):
    """The clinic already has a record with this CPR number."""

    def __init__(self, record: PatientRecord):
        super().__init__("duplicate CPR")
        self.record = record


def create_patient(*, clinic_id: int, staff_user_id: int, cpr_number: str, first_name: str,
                   last_name: str, address=None, postcode=None, city=None, email=None,
                   mobile=None, no_mitid: bool = False) -> PatientRecord:
    """Create a stamkort; a CPR the clinic already has raises DuplicatePatient; commits."""
    normalised, _born = cpr.parse_cpr(cpr_number)
    existing = find_by_cpr(clinic_id=clinic_id, normalised_cpr=normalised)
    if existing is not None:
        raise DuplicatePatient(existing)
    encrypted, index = cpr.protect(normalised)
    record = PatientRecord(
        clinic_id=clinic_id, cpr_encrypted=encrypted, cpr_index=index,
        first_name=first_name.strip(), last_name=last_name.strip(),
        search_name=_search_name(first_name.strip(), last_name.strip()),
        address=address or None, postcode=postcode or None, city=city or None,
        email=email or None, mobile=mobile or None, no_mitid=no_mitid)
    db = get_session()
    db.add(record)
    db.flush()
    audit.record("patient_created", actor=f"staff:{staff_user_id}", target_type="patient_record",
                 target_id=record.id, clinic_id=clinic_id)
    if no_mitid:
        audit.record("patient_no_mitid_set", actor=f"staff:{staff_user_id}",
                     target_type="patient_record", target_id=record.id, clinic_id=clinic_id)
    db.commit()
    return record


def update_stamdata(record: PatientRecord, *, staff_user_id: int, **fields) -> list[str]:
    """Change names and address; returns the changed field names (audited); commits."""
    changed = _apply(record, fields)
    if changed:
        record.search_name = _search_name(record.first_name, record.last_name)
        _audit_change(record, staff_user_id, "patient_stamdata_changed", changed)
    return changed


def update_communication(record: PatientRecord, *, staff_user_id: int, email, mobile,
                         no_mitid: bool) -> list[str]:
    """Change e-mail, mobile and "Patienten har ikke MitID" (audited separately); commits."""
    changed = _apply(record, {"email": email, "mobile": mobile})
    if record.no_mitid != no_mitid:
        record.no_mitid = no_mitid
        changed.append("no_mitid")
        audit.record("patient_no_mitid_set" if no_mitid else "patient_no_mitid_cleared",
                     actor=f"staff:{staff_user_id}", target_type="patient_record",
                     target_id=record.id, clinic_id=record.clinic_id)
    if changed:
        _audit_change(record, staff_user_id, "patient_communication_changed", changed)
    return changed


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
    return value or None


def _apply(record: PatientRecord, fields: dict) -> list[str]:
    changed = []
    for name, value in fields.items():
        value = _clean(value)
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return changed


def _audit_change(record: PatientRecord, staff_user_id: int, action: str, changed) -> None:
    record.updated_at = utcnow()
    audit.record(action, actor=f"staff:{staff_user_id}", target_type="patient_record",
                 target_id=record.id, clinic_id=record.clinic_id, fields=sorted(changed))
    get_session().commit()


def reveal_cpr(record: PatientRecord, *, staff_user_id: int) -> str:
    """The full CPR number, for a user with the right; the reveal is audited; commits."""
    audit.record("patient_cpr_revealed", actor=f"staff:{staff_user_id}",
                 target_type="patient_record", target_id=record.id, clinic_id=record.clinic_id)
    get_session().commit()
    return cpr.reveal(record.cpr_encrypted)


def masked_cpr(record: PatientRecord) -> str:
    """DDMMYY-XXXX of a record."""
    return cpr.mask(cpr.reveal(record.cpr_encrypted))

