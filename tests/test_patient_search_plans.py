"""The patient search returns exactly the matches, in name order, whichever way it takes.

On PostgreSQL a name search reads the clinic's name list (patient_name) and walks the last names
that can match in name order, adds the records whose first name holds every word, or, when those
are more than DENSE_FIRST_NAMES, reads the name order filtered. Every page must equal a plain
filter-and-sort of the same rows, whichever way is taken: names are built to hold the words in the
first name, the last name, both, several at once and none, with words short enough for the trigram
index to miss; the name list is kept by triggers on every write.
"""

import random

import pytest
from sqlalchemy import insert
from sqlmodel import select

from app.blueprints.patients.services import PAGE_SIZE, search_patients
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import PatientRecord

FIRSTS = ["Anne", "Jens", "Jensine", "Hanne", "Søren", "Mette", "ole", "Marie Anne", "Ea", "Kirsten"]
LASTS = ["Jensen", "jensen", "Bøgh-Jensen", "Holm Jensen", "Hansen", "Johansen", "Danielsen",
         "Nielsen", "Sørensen", "Østergaard", "Aagaard", "Olsen", "Kirk", "Uhrenholt"]
QUERIES = ["jensen", "jens", "anne jensen", "han", "sen", "nielsen", "søren", "ol", "e",
           "ANNE", "gaard", "holm jens", "uhrenholt kirsten", "xyz", "anne marie", "-jensen",
           "ea jensen", "jensen ea", "ea", "anne ea", "kirk anne ol", "50%", "a_b", "søren sen"]


def expected(rows, query):
    words = query.lower().split()
    hits = [r for r in rows if all(w in r.search_name for w in words)]
    return sorted(hits, key=lambda r: (r.last_name.lower(), r.first_name.lower(), r.id))


@pytest.fixture
def patients(app):
    rng = random.Random(7)
    now = utcnow()
    rows = []
    rare = [("Ea", "Aagaard-Jensen"), ("Anne", "Aagaard-Jensen"), ("Ea", "Aagaard-Jensen")]
    for n in range(3000 + len(rare)):
        first, last = rare[n - 3000] if n >= 3000 else (rng.choice(FIRSTS), rng.choice(LASTS))
        clinic_id = 2 if n % 5 == 0 and n < 3000 else 1
        rows.append({"clinic_id": clinic_id, "cpr_encrypted": "x", "cpr_index": f"{n:064d}",
                     "first_name": first, "last_name": last,
                     "search_name": f"{first} {last}".lower(), "no_mitid": False,
                     "created_at": now, "updated_at": now})
    with app.app_context():
        db = get_session()
        db.execute(insert(PatientRecord), rows)
        db.commit()
        stored = db.exec(select(PatientRecord).where(PatientRecord.clinic_id == 1)).all()
        db.expunge_all()
    return stored


@pytest.mark.parametrize("settings", [
    {},  # as configured
    {"DENSE_FIRST_NAMES": 0},  # any record whose first name holds every word: the name order
    {"DENSE_FIRST_NAMES": 10**6},  # never: the last names' ranges and the first-name index
], ids=["configured", "name-order", "ranges"])
def test_every_page_equals_filter_and_sort(app, patients, settings, monkeypatch):
    from app.blueprints.patients import services

    for name, value in settings.items():
        monkeypatch.setattr(services, name, value)
    with app.app_context():
        for query in QUERIES:
            want = expected(patients, query)
            for page in (1, 2, 5):
                got = search_patients(clinic_id=1, query=query, page=page)
                chunk = want[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
                assert [r.id for r in got.rows] == [r.id for r in chunk], (query, page)
                assert got.has_next == (len(want) > page * PAGE_SIZE), (query, page)
            get_session().rollback()


def _names(rows):
    return [f"{r.last_name}, {r.first_name}" for r in rows]


def test_created_renamed_and_deleted_patients_keep_the_name_list_right(app, patients):
    """The name list follows every write in its transaction; a name no one has any more is harmless."""
    from sqlalchemy import delete

    from app.blueprints.patients.services import create_patient, update_stamdata

    with app.app_context():
        record = create_patient(clinic_id=1, staff_user_id=1, cpr_number="010190-1236",
                                first_name="Zelda", last_name="Quorn")
        assert _names(search_patients(clinic_id=1, query="zel quo").rows) == ["Quorn, Zelda"]
        update_stamdata(record, staff_user_id=1, first_name="Zelda", last_name="Kvørn-Jensen")
        get_session().commit()
        assert search_patients(clinic_id=1, query="quorn").rows == []
        assert _names(search_patients(clinic_id=1, query="zelda jensen").rows) == [
            "Kvørn-Jensen, Zelda"]
        get_session().execute(delete(PatientRecord).where(PatientRecord.id == record.id))
        get_session().commit()
        assert search_patients(clinic_id=1, query="zelda").rows == []
        for query in ("jensen", "zelda jensen", "kvørn"):
            want = expected(patients, query)[:PAGE_SIZE]
            got = search_patients(clinic_id=1, query=query)
            assert [r.id for r in got.rows] == [r.id for r in want], query
