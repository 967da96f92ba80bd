"""The patient search returns exactly the matches, in name order, whichever plan it takes.

On PostgreSQL a name search is one statement of several parts (the first rows in name order, last
names that start with a word, the longest word inside first names or inside last names, each
either by ordered scan or trigram index). Every page must equal a plain filter-and-sort of the
same rows: names are built to land in every part, in several of them at once, and in none.
"""

import random

import pytest
from sqlalchemy import insert
from sqlmodel import select

from app.blueprints.patients.services import PAGE_SIZE, search_patients
from app.clock import utcnow
from app.db import get_session
from app.models import PatientRecord

FIRSTS = ["Anne", "Jens", "Jensine", "Hanne", "Søren", "Mette", "ole", "Marie Anne", "Ea", "Kirsten"]
LASTS = ["Jensen", "jensen", "Bøgh-Jensen", "Holm Jensen", "Hansen", "Johansen", "Danielsen",
         "Nielsen", "Sørensen", "Østergaard", "Aagaard", "Olsen", "Kirk", "Uhrenholt"]
QUERIES = ["jensen", "jens", "anne jensen", "han", "sen", "nielsen", "søren", "ol", "e",
           "ANNE", "gaard", "holm jens", "uhrenholt kirsten", "xyz", "anne marie", "-jensen"]


def expected(rows, query):
    words = query.lower().split()
    hits = [r for r in rows if all(w in r.search_name for w in words)]
    return sorted(hits, key=lambda r: (r.last_name.lower(), r.first_name.lower(), r.id))


@pytest.fixture
def patients(app):
    rng = random.Random(7)
    now = utcnow()
    rows = []
    for n in range(3000):
        first, last = rng.choice(FIRSTS), rng.choice(LASTS)
        rows.append({"clinic_id": 1 + (n % 5 == 0), "cpr_encrypted": "x", "cpr_index": f"{n:064d}",
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
    {"EARLY_ROWS": 10, "SAMPLE_PERCENT": 100},  # past the first rows; the parts by density
    {"EARLY_ROWS": 10, "SAMPLE_PERCENT": 100, "SAMPLE_COMMON_FIRST": 1,
     "SAMPLE_COMMON_INNER": 1},  # every driver part by trigram index
    {"EARLY_ROWS": 10, "SAMPLE_PERCENT": 100, "SAMPLE_COMMON_FIRST": 10**6,
     "SAMPLE_COMMON_INNER": 10**6},  # every driver part by ordered scan
], ids=["default", "parts", "trigram", "ordered"])
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
