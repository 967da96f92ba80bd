"""Patient records of one clinic: search, create, edit, reveal the CPR — every change audited."""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal_column, tablesample, union_all
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


EARLY_ROWS = 2000  # name search: the clinic's first rows in name order, tried first
SAMPLE_PERCENT = 0.2  # pages sampled to tell a common name part from a rare one
SAMPLE_COMMON_FIRST = 500  # a part of first names is common in 1 of 500 sampled rows or more
SAMPLE_COMMON_INNER = 20  # inside last names only 1 in 20: those matches bunch by last name
MAX_WORDS = 5
MAX_DRIVERS = 3  # words considered as the driver of a name search (the longest ones)


def _name_order():
    return (func.lower(PatientRecord.last_name), func.lower(PatientRecord.first_name),
            PatientRecord.id)


def search_patients(*, clinic_id: int, query: str, page: int = 1) -> SearchPage:
    """Find the clinic's patients by full CPR (exact) or by name parts; one query per page.

    Names are matched as parts of "first last" (every typed word must occur) and listed by
    last name, first name (case-insensitive). On PostgreSQL a name search is planned so that it
    stays fast with a million patients in one clinic; see _name_search_postgresql.
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
        statement = _name_search_postgresql(clinic_id, words, page)
    else:
        if words:
            statement = statement.where(and_(*_matches(PatientRecord.search_name, words)))
        statement = (statement.order_by(*_name_order())
                     .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    rows = list(db.exec(statement))
    return SearchPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _matches(column, words):
    return [column.contains(word, autoescape=True) for word in words]


def _name_search_postgresql(clinic_id: int, words: list[str], page: int):
    """One statement that picks, while it runs, the plan that suits the words.

    1. `window`: the clinic's first EARLY_ROWS rows in name order (an index-only scan). Words that
       match many patients spread over the alphabet (a first name, "sen") fill the page from it,
       and then nothing else runs.
    2. Otherwise every match is in exactly one of three parts, each read from its own index:
       - last names that start with one of the words: ordered ranges of the name index, so the
         page of "jensen" reads the first Jensens only, not all 26,000 of them;
       - a word (the driver) inside a first name;
       - the driver inside a last name after its first letter.
       A fixed sample of 0.2 % of the table's pages chooses the driver (the candidate word in
       the fewest first names and inner last names) and, for each of its two parts, whether
       matches are common (the ordered index scan fills the page early) or rare (the part's
       trigram index finds the few rows to fetch and sort). One-time filters run only the
       chosen variant of each part, so the planner never has to guess.
    Words are tested with strpos() wherever a part must not use (or be planned around) an index:
    the planner counts it as matching a third of the rows. Each part returns at most the rows
    the page needs, in order; their union is sorted.
    """
    need = page * PAGE_SIZE + 1
    pr = PatientRecord
    last, first = func.lower(pr.last_name), func.lower(pr.first_name)
    in_clinic = pr.clinic_id == clinic_id
    unique = list(dict.fromkeys(words))
    candidates = sorted((w for w in unique if len(w) >= 3), key=len, reverse=True)[:MAX_DRIVERS]
    candidates = candidates or [max(unique, key=len)]

    def has(column, word):
        return func.strpos(column, word) > 0

    def starts_with(column, word):
        upper = word[:-1] + chr(ord(word[-1]) + 1)  # bytewise order (C.UTF-8): a range
        return and_(column >= word, column < upper)

    window = (select(pr.id.label("id"), last.label("ln"), first.label("fn"),
                     pr.search_name.label("sn"))
              .where(in_clinic).order_by(last, first, pr.id).limit(EARLY_ROWS)
              .cte("window").prefix_with("MATERIALIZED"))
    early = (select(window.c.id, window.c.ln, window.c.fn)
             .where(*[has(window.c.sn, w) for w in unique])
             .order_by(window.c.ln, window.c.fn, window.c.id).limit(need).cte("early"))
    enough = select(func.count()).select_from(early).scalar_subquery() >= need

    sample = tablesample(PatientRecord, func.system(SAMPLE_PERCENT), name="sample",
                         seed=literal_column("1"))
    s_last, s_first = func.lower(sample.c.last_name), func.lower(sample.c.first_name)
    s_rest = and_(*[has(sample.c.search_name, w) for w in unique],
                  *[~starts_with(s_last, w) for w in unique])
    columns = [func.count().label("rows")]
    for i, word in enumerate(candidates):
        s_in_first = has(s_first, word)
        s_in_inner = and_(has(func.substr(s_last, 2), word), ~s_in_first)
        columns += [func.count().filter(s_in_first).label(f"first{i}"),
                    func.count().filter(s_in_inner).label(f"inner{i}"),
                    func.count().filter(and_(s_in_first, s_rest)).label(f"first_hits{i}"),
                    func.count().filter(and_(s_in_inner, s_rest)).label(f"inner_hits{i}")]
    probe = select(*columns).where(sample.c.clinic_id == clinic_id).cte("probe")
    cost = [probe.c[f"first{i}"] + probe.c[f"inner{i}"] for i in range(len(candidates))]
    whens = [(and_(*[cost[i] <= cost[j] for j in range(i + 1, len(cost))]), i)
             for i in range(len(cost) - 1)]
    chosen = select(case(*whens, else_=len(cost) - 1) if whens else literal_column("0")
                    ).scalar_subquery()

    def part(*conditions, trigram: bool = False):
        key = last.concat("") if trigram else last  # no btree has it: the trigram index
        return (select(pr.id, last.label("ln"), first.label("fn"))
                .where(in_clinic, ~enough, *[has(pr.search_name, w) for w in unique],
                       *conditions)
                .order_by(key, first, pr.id).limit(need))

    parts = [select(early.c.id, early.c.ln, early.c.fn).where(enough)]
    parts += [part(starts_with(last, w)) for w in unique]
    not_started = [~starts_with(last, w) for w in unique]
    for i, word in enumerate(candidates):
        inner = func.substr(last, 2)
        for place, exclude, hits, share in (
                (first, [], probe.c[f"first_hits{i}"], SAMPLE_COMMON_FIRST),
                (inner, [~has(first, word)], probe.c[f"inner_hits{i}"], SAMPLE_COMMON_INNER)):
            driver = chosen == i
            if len(word) < 3:  # too short for trigrams
                parts.append(part(driver, has(place, word), *exclude, *not_started))
                continue
            common = select(hits * share >= probe.c.rows).scalar_subquery()
            parts.append(part(driver, common, has(place, word), *exclude, *not_started))
            parts.append(part(driver, ~common, place.contains(word, autoescape=True), *exclude,
                              *not_started, trigram=True))
    picked = union_all(*[select(p.subquery().c) for p in parts]).subquery("picked")
    return (select(PatientRecord).join(picked, PatientRecord.id == picked.c.id)
            .order_by(picked.c.ln, picked.c.fn, picked.c.id)
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))


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

