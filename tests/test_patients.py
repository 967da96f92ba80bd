"""The clinic's patients: active search, the stamkort tabs, creating patients, access."""

import pytest
from sqlmodel import select

from app.core.db import get_session
from app.models import AuditEvent, PatientRecord
from tests.helpers.db import query_one
from tests.helpers.http import csrf_from, post_form
from tests.helpers.staff import login_as

OLE = {"cpr": "030344-1357", "first_name": "Ole", "last_name": "Hansen",
       "email": "ole.hansen@example.dk", "mobile": "", "address": "Vestergade 1",
       "postcode": "8000", "city": "Aarhus C"}


@pytest.fixture
def jonas(app):
    """Jonas Holm logged in as sekretær at Rygcenter Aarhus."""
    return login_as(app.test_client(), "jonas.holm", function="secretary")


def create(client, **overrides):
    return post_form(client, "/clinic/patients/new", {**OLE, **overrides})


def add_patients(app, clinic_id: int, names: list[tuple[str, str]], start=1):
    """Insert records directly (fictitious CPR numbers)."""
    from app import cpr

    with app.app_context():
        db = get_session()
        for n, (first, last) in enumerate(names, start=start):
            number = f"0101{50 + n % 40:02d}-{1000 + n:04d}"
            encrypted, index = cpr.protect(number)
            db.add(PatientRecord(clinic_id=clinic_id, cpr_encrypted=encrypted, cpr_index=index,
                                 first_name=first, last_name=last,
                                 search_name=f"{first} {last}".lower()))
        db.commit()


def test_create_patient_opens_the_stamkort_with_masked_cpr(app, jonas):
    answer = create(jonas)
    assert answer.status_code == 303
    card = jonas.get(answer.location).get_data(as_text=True)
    assert "Ole Hansen" in card and "030344-XXXX" in card and "030344-1357" not in card
    record = query_one(app, select(PatientRecord))[0]
    assert "030344" not in record.cpr_encrypted and len(record.cpr_index) == 64
    assert record.clinic_id == 2


def test_cpr_without_hyphen_is_normalised(app, jonas):
    create(jonas, cpr="0303441357")
    assert "030344-XXXX" in jonas.get("/clinic/patients/1").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cpr", "320344-1357", "Skriv et gyldigt CPR-nummer"),
    ("cpr", "12345", "Skriv et gyldigt CPR-nummer"),
    ("first_name", "", "Skriv fornavn."),
    ("email", "ikke@", "Skriv en gyldig e-mailadresse."),
    ("postcode", "80", "Postnummeret er 4 cifre."),
])
def test_invalid_new_patient_is_422_and_keeps_input(app, jonas, field, value, message):
    answer = create(jonas, **{field: value})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in body and 'value="Vestergade 1"' in body
    assert query_one(app, select(PatientRecord)) == []


def test_cpr_without_modulus_11_is_accepted(app, jonas):
    assert create(jonas, cpr="010170-1234").status_code == 303  # fails mod 11, valid since 2007


def test_duplicate_cpr_opens_the_existing_card(app, jonas):
    first = create(jonas)
    second = create(jonas, first_name="Anden")
    assert second.location == first.location
    assert len(query_one(app, select(PatientRecord))) == 1


def test_cpr_in_full_width_digits_finds_the_same_patient(app, jonas):
    """０３０３４４-１３５７ is Ole's CPR typed with an East Asian keyboard: no second stamkort."""
    first = create(jonas)
    again = create(jonas, cpr="０３０３４４－１３５７", first_name="Anden")
    assert again.status_code == 303 and again.location == first.location
    assert "Patienten findes allerede" in jonas.get(again.location).get_data(as_text=True)
    assert len(query_one(app, select(PatientRecord))) == 1
    found = post_form(jonas, "/clinic/patients/", {"q": "０３０３４４１３５７"})
    assert "Hansen, Ole" in found.get_data(as_text=True)


@pytest.mark.parametrize("number", ["٠٣٠٣٤٤-١٣٥٧", "०३०३४४-१३५७", "030344-1357\u200b"])
def test_cpr_in_other_digits_is_refused(app, jonas, number):
    """Arabic-Indic, Devanagari digits (Python's \\d accepts them) and invisible characters."""
    answer = create(jonas, cpr=number)
    assert answer.status_code == 422
    assert "Skriv et gyldigt CPR-nummer" in answer.get_data(as_text=True)
    assert query_one(app, select(PatientRecord)) == []


def test_a_search_longer_than_any_name_is_refused_with_a_danish_message(app, jonas):
    create(jonas)
    page = jonas.get("/clinic/patients/").get_data(as_text=True)
    assert 'maxlength="200"' in page
    for query in ("hansen " * 40, "x" * 100_000):
        answer = post_form(jonas, "/clinic/patients/", {"q": query})
        body = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "Skriv højst 200 tegn" in body
        assert "Hansen, Ole" not in body
        rows = jonas.post("/clinic/patients/", data={"q": query, "csrf_token": csrf_from(page)},
                          headers={"HX-Request": "true", "HX-Target": "patient-results"})
        assert rows.status_code == 422 and "Skriv højst 200 tegn" in rows.get_data(as_text=True)
    assert "Hansen, Ole" in post_form(jonas, "/clinic/patients/", {"q": "hansen " * 28})\
        .get_data(as_text=True)


def test_reveal_cpr_is_audited_and_only_by_post(app, jonas):
    create(jonas)
    shown = post_form(jonas, "/clinic/patients/1/cpr", {}, page="/clinic/patients/1")
    assert "030344-1357" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    events = query_one(app, select(AuditEvent).where(AuditEvent.action == "patient_cpr_revealed"))
    assert len(events) == 1 and events[0].clinic_id == 2
    assert jonas.get("/clinic/patients/1/cpr").status_code == 405


def test_no_mitid_checkbox_with_warning_and_audit(app, jonas):
    create(jonas)
    page = jonas.get("/clinic/patients/1/communication").get_data(as_text=True)
    assert "Patienten har ikke MitID" in page and "klinikkens ansvar" in page
    data = {"email": "ole.hansen@example.dk", "mobile": "", "no_mitid": "y"}
    answer = post_form(jonas, "/clinic/patients/1/communication", data)
    assert answer.status_code == 303
    assert query_one(app, select(PatientRecord))[0].no_mitid is True
    post_form(jonas, "/clinic/patients/1/communication", {"email": "ole.hansen@example.dk"})
    assert query_one(app, select(PatientRecord))[0].no_mitid is False
    actions = [e.action for e in query_one(app, select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("patient_no_mitid_set") == 1
    assert actions.count("patient_no_mitid_cleared") == 1


def test_tabs_are_full_pages_and_fragments(jonas):
    create(jonas)
    for path in ("/clinic/patients/1", "/clinic/patients/1/communication",
                 "/clinic/patients/1/portal"):
        full = jonas.get(path).get_data(as_text=True)
        part = jonas.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "<html" in full and "<html" not in part and "<h2>" in part


def test_search_by_name_and_by_full_cpr(app, jonas):
    create(jonas)
    add_patients(app, 2, [("Karen", "Hansen"), ("Peter", "Olsen")])
    by_name = jonas.get("/clinic/patients/?q=hansen").get_data(as_text=True)
    assert "Hansen, Ole" in by_name and "Hansen, Karen" in by_name and "Olsen" not in by_name
    by_two_words = jonas.get("/clinic/patients/?q=ole+han").get_data(as_text=True)
    assert "Hansen, Ole" in by_two_words and "Karen" not in by_two_words
    by_cpr = jonas.get("/clinic/patients/?q=0303441357").get_data(as_text=True)
    assert "Hansen, Ole" in by_cpr and "Karen" not in by_cpr
    partial_cpr = jonas.get("/clinic/patients/?q=030344").get_data(as_text=True)
    assert "Ingen patienter fundet." in partial_cpr


def test_active_search_returns_only_rows_for_htmx(jonas):
    create(jonas)
    rows = jonas.get("/clinic/patients/?q=ole", headers={
        "HX-Request": "true", "HX-Target": "patient-results"}).get_data(as_text=True)
    assert "Hansen, Ole" in rows and "<html" not in rows and 'role="search"' not in rows


def test_search_is_paginated(app, jonas):
    add_patients(app, 2, [(f"Navn{n:02d}", "Jensen") for n in range(30)])
    first = jonas.get("/clinic/patients/?q=jensen").get_data(as_text=True)
    assert first.count("Jensen, Navn") == 25 and "Næste side" in first
    second = jonas.get("/clinic/patients/?q=jensen&page=2").get_data(as_text=True)
    assert second.count("Jensen, Navn") == 5 and "Forrige side" in second


def test_search_shows_only_the_clinics_own_patients(app, jonas):
    add_patients(app, 1, [("Vejle", "Patient")])
    assert "Ingen patienter fundet." in jonas.get("/clinic/patients/?q=vejle").get_data(
        as_text=True)


def test_another_clinics_patient_is_404_by_url(app, jonas):
    add_patients(app, 1, [("Vejle", "Patient")])
    for path in ("/clinic/patients/1", "/clinic/patients/1/communication",
                 "/clinic/patients/1/portal"):
        assert jonas.get(path).status_code == 404
    assert post_form(jonas, "/clinic/patients/1/cpr", {}, page="/clinic/patients/").status_code \
        == 404


def test_external_user_sees_no_patients(app, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    bente = app.test_client()
    post_form(bente, "/login/password", {"user_id": "bente.ext", "password": "Bogholder2024"},
              page="/login")
    assert bente.get("/clinic/patients/").status_code == 403
    assert "Patienter" not in bente.get("/").get_data(as_text=True)


def test_posts_need_csrf(jonas):
    assert jonas.post("/clinic/patients/new", data=OLE).status_code == 400


def test_search_query_count_is_bounded(app, jonas):
    from sqlalchemy import event

    add_patients(app, 2, [(f"P{n}", "Holm") for n in range(60)])
    statements = []
    with app.app_context():
        engine = app.extensions["db_engine"]

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            jonas.get("/clinic/patients/?q=warm")  # the session's once-a-minute write
            statements.clear()
            jonas.get("/clinic/patients/?q=p59")  # one row
            small = len(statements)
            statements.clear()
            jonas.get("/clinic/patients/?q=holm")  # a full page of 25
            large = len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert small == large and large <= 6


def test_search_with_200000_patients_uses_a_bounded_number_of_queries(app, jonas):
    """Bulk-load 200,000 records (one shared ciphertext: only the search is measured)."""
    import hashlib

    from sqlalchemy import event, insert

    from app import cpr
    from app.core.clock import utcnow

    with app.app_context():
        ciphertext, _index = cpr.protect("010101-1001")
        now = utcnow()
        engine = app.extensions["db_engine"]
        firsts = ["Anna", "Bo", "Carl", "Dorte", "Emil", "Frida", "Gustav", "Hanne"]
        lasts = ["Andersen", "Berg", "Christensen", "Dahl", "Eriksen", "Frost", "Holm"]
        with engine.begin() as conn:
            for start in range(0, 200_000, 20_000):
                rows = []
                for n in range(start, start + 20_000):
                    first, last = firsts[n % 8], f"{lasts[n % 7]}{n // 56}"
                    rows.append({"clinic_id": 2 if n % 2 else 1, "cpr_encrypted": ciphertext,
                                 "cpr_index": hashlib.sha256(str(n).encode()).hexdigest(),
                                 "first_name": first, "last_name": last,
                                 "search_name": f"{first} {last}".lower(), "no_mitid": False,
                                 "created_at": now, "updated_at": now})
                conn.execute(insert(PatientRecord), rows)

        statements = []

        def count(*_args):
            statements.append(1)

        jonas.get("/clinic/patients/?q=warm")
        event.listen(engine, "before_cursor_execute", count)
        try:
            counts = {}
            for query in ("holm", "hanne holm17", "andersen", "zzz-ingen"):
                statements.clear()
                answer = jonas.get(f"/clinic/patients/?q={query}")
                assert answer.status_code == 200
                counts[query] = len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(set(counts.values())) == 1 and max(counts.values()) <= 6
    assert "Holm17, Hanne" in jonas.get("/clinic/patients/?q=hanne+holm17").get_data(as_text=True)


def test_htmx_tab_switch_returns_the_tabs_with_the_right_one_current(jonas):
    create(jonas)
    part = jonas.get("/clinic/patients/1/communication", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert 'href="/clinic/patients/1/communication" hx-get="/clinic/patients/1/communication" ' \
           'hx-target="#stamkort" hx-push-url="true" aria-current="page"' in part
    assert part.count('aria-current="page"') == 1 and "<html" not in part


def test_the_search_form_posts_so_a_cpr_never_lands_in_a_url(app, jonas):
    create(jonas)
    page = jonas.get("/clinic/patients/").get_data(as_text=True)
    assert '<form method="post" action="/clinic/patients/" role="search"' in page
    assert 'hx-post="/clinic/patients/"' in page and "hx-push-url" not in page
    found = post_form(jonas, "/clinic/patients/", {"q": "030344-1357"})
    assert found.status_code == 200 and "Hansen, Ole" in found.get_data(as_text=True)
    assert "HX-Push-Url" not in found.headers
    rows = post_form(jonas, "/clinic/patients/", {"q": "0303441357"}, htmx=True)
    assert "Hansen, Ole" in rows.get_data(as_text=True) and "HX-Push-Url" not in rows.headers
    assert jonas.post("/clinic/patients/", data={"q": "ole"}).status_code == 400  # CSRF
