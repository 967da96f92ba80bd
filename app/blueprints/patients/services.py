"""Patient records of one clinic: search, create, edit, reveal the CPR — every change audited."""

import re
from dataclasses import dataclass

from sqlalchemy import and_, func, text
from sqlmodel import select

from app import audit, cpr
from app.blueprints.portal import accounts
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import PatientRecord
from app.security import cpr_index

PAGE_SIZE = 25


@dataclass
class SearchPage:
    """One page of search results; `has_next` instead of a count keeps big clinics fast."""

    rows: list[PatientRecord]
    page: int
    has_next: bool


MAX_WORDS = 5
# Longer than any "first last" (100 + 1 + 100 characters); a longer search cannot match, and
# SQLite refuses a LIKE pattern over 50,000 bytes.
MAX_QUERY_LENGTH = 200
# Rows whose first name holds every word are read whole while there are at most this many;
# more, and such rows are common enough everywhere that the filtered name order is quick.
DENSE_FIRST_NAMES = 1000


def _name_order():
    return (func.lower(PatientRecord.last_name), func.lower(PatientRecord.first_name),
            PatientRecord.id)


def search_patients(*, clinic_id: int, query: str, page: int = 1) -> SearchPage:
    """Find the clinic's patients by full CPR (exact) or by name parts; one query per page.

    Names are matched as parts of "first last" (every typed word must occur) and listed by
    last name, first name (case-insensitive). On PostgreSQL a name search is planned so that it
    stays fast with a million patients in one clinic; see NAME_SEARCH.
    """
    page = max(page, 1)
    statement = select(PatientRecord).where(PatientRecord.clinic_id == clinic_id)
    query = (query or "").strip()
    words = []
    if query:
        try:
            statement = statement.where(PatientRecord.cpr_index == cpr.index_of(query))
        except cpr.InvalidCPR:
            words = query.lower().split()[:MAX_WORDS]
    db = get_session()
    if words and db.get_bind().dialect.name == "postgresql":
        rows = list(db.exec(_name_search_postgresql(clinic_id, words, page)).scalars())
    else:
        if words:
            statement = statement.where(and_(*_matches(PatientRecord.search_name, words)))
        rows = list(db.exec(statement.order_by(*_name_order())
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return SearchPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _matches(column, words):
    return [column.contains(word, autoescape=True) for word in words]


# The name search on PostgreSQL. A word has no spaces, so it occurs in "first last" exactly when it
# occurs in the first or in the last name. So a record matches when its last name holds every
# word, or holds some and its first name the rest, or holds none and its first name all of them.
# The clinic's name list (patient_name, trigram-indexed) tells which last names hold which words
# (a bit mask per name) and which first names hold which. Each last name that holds a word, and
# whose missing words some first name holds, is one range of the ordered name index; the ranges
# are walked in name order, each read only as far as the page needs. Records whose first name
# holds every word are read through the first-name index, unless there are more than
# DENSE_FIRST_NAMES of them: then matches are common all over the name order, and the page is
# the ordered name index read from its start and filtered. One-time filters skip the parts the
# chosen way does not need. Every row is still checked against search_name.
NAME_SEARCH = """
WITH RECURSIVE
firsts AS MATERIALIZED (
    SELECT n.name, {mask} AS mask FROM patient_name AS n
    WHERE n.clinic_id = :clinic AND n.kind = 'first' AND ({like})),
lasts AS MATERIALIZED (
    SELECT n.name, {mask} AS mask FROM patient_name AS n
    WHERE n.clinic_id = :clinic AND n.kind = 'last' AND ({like_long})
    UNION
    SELECT n.name, {mask} FROM patient_name AS n
    WHERE (SELECT :long = 0 OR EXISTS (SELECT 1 FROM firsts WHERE mask & :long = :long))
      AND n.clinic_id = :clinic AND n.kind = 'last' AND ({like_short})),
covers AS MATERIALIZED (SELECT DISTINCT mask FROM firsts),
seg AS MATERIALIZED (
    SELECT coalesce(array_agg(l.name ORDER BY l.name), '{{}}') AS ls, count(*) AS n
    FROM lasts AS l
    WHERE (l.mask = :full OR EXISTS (
        SELECT 1 FROM covers AS c WHERE (:full & ~l.mask & ~c.mask) = 0))),
whole_firsts AS MATERIALIZED (
    SELECT p.id FROM patient_record AS p
    WHERE p.clinic_id = :clinic AND lower(p.first_name) = ANY (ARRAY(
        SELECT name FROM firsts WHERE mask = :full))
    LIMIT :dense + 1),
dense AS MATERIALIZED (SELECT count(*) > :dense AS yes FROM whole_firsts),
walk (k, got, ids) AS (
    SELECT 0, 0, CAST('{{}}' AS integer[])
    UNION ALL
    SELECT w.k + 1, w.got + cardinality(hit.ids), hit.ids
    FROM walk AS w, seg, LATERAL (
        SELECT coalesce(array_agg(r.id ORDER BY r.fn, r.id), '{{}}') AS ids FROM (
            SELECT p.id, lower(p.first_name) AS fn FROM patient_record AS p
            WHERE p.clinic_id = :clinic AND lower(p.last_name) = seg.ls[w.k + 1] AND {has_words}
            ORDER BY lower(p.first_name), p.id LIMIT :need - w.got) AS r) AS hit
    WHERE w.got < :need AND w.k < seg.n AND NOT (SELECT yes FROM dense)),
ordered AS (
    SELECT p.id FROM patient_record AS p
    WHERE (SELECT yes FROM dense) AND p.clinic_id = :clinic AND {has_words}
    ORDER BY lower(p.last_name), lower(p.first_name), p.id LIMIT :need),
picked AS (
    SELECT unnest(ids) AS id FROM walk
    UNION
    SELECT id FROM whole_firsts WHERE NOT (SELECT yes FROM dense)
    UNION
    SELECT id FROM ordered)
SELECT patient_record.* FROM picked JOIN patient_record ON patient_record.id = picked.id
WHERE {has_words_plain}
ORDER BY lower(patient_record.last_name), lower(patient_record.first_name), patient_record.id
OFFSET :offset LIMIT :limit
"""


# pg_trgm finds a LIKE pattern through its index when the word has three letters or digits in a row.
_TRIGRAMS = re.compile(r"[^\W_]{3}")


def _any_like(indexes) -> str:
    return " OR ".join(f"n.name LIKE :p{i}" for i in indexes) or "false"


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _name_search_postgresql(clinic_id: int, words: list[str], page: int):
    """One statement that walks the ranges of the name index that can match (see NAME_SEARCH)."""
    unique = list(dict.fromkeys(words))
    indexes = range(len(unique))
    long_words = [i for i in indexes if _TRIGRAMS.search(unique[i])]
    short_words = [i for i in indexes if i not in long_words]
    sql = NAME_SEARCH.format(
        mask=" | ".join(f"(CAST(strpos(n.name, :w{i}) > 0 AS integer) << {i})" for i in indexes),
        like=_any_like(indexes), like_long=_any_like(long_words),
        like_short=_any_like(short_words),
        has_words=" AND ".join(f"strpos(p.search_name, :w{i}) > 0" for i in indexes),
        has_words_plain=" AND ".join(
            f"strpos(patient_record.search_name, :w{i}) > 0" for i in indexes))
    statement = text(sql).bindparams(
        clinic=clinic_id, full=(1 << len(unique)) - 1, long=sum(1 << i for i in long_words),
        dense=DENSE_FIRST_NAMES, need=page * PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1, **{f"w{i}": word for i, word in enumerate(unique)},
        **{f"p{i}": _like_pattern(word) for i, word in enumerate(unique)})
    return select(PatientRecord).from_statement(statement)


def get_patient(*, clinic_id: int, record_id: int) -> PatientRecord | None:
    """A record of this clinic only (another clinic's id is as good as missing)."""
    record = get_session().get(PatientRecord, record_id)
    return record if record is not None and record.clinic_id == clinic_id else None


def find_by_cpr(*, clinic_id: int, normalised_cpr: str) -> PatientRecord | None:
    """The clinic's record of a CPR number, through the blind index."""
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
        if not no_mitid:
            accounts.clear_email_vouching(record, staff_user_id=staff_user_id)
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

