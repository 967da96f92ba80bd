"""Registrer at another clinic, Bekræft contact details, and the logged-in home page."""

from sqlmodel import select

from app.blueprints.approvals.services import decide_registration_request
from app.core.db import get_session
from app.models import AuditEvent, ClinicServiceLink, PatientRecord, RegistrationRequest
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.portal import (
    CPR,
    add_record,
    assert_no_cpr,
    clinic_id,
    code_login,
    logout,
    portal_mitid,
    portal_user,
    register,
)

SOFIE = CPR["sofie.nielsen"]


def _records(app, key):
    return query_one(app, select(PatientRecord).where(PatientRecord.clinic_id == clinic_id(app, key)))


def test_registrer_at_a_clinic_with_approval_sends_a_request(app, client, outbox):
    register(client, "aarhus")
    logout(client, "aarhus")
    back = portal_mitid(client, "vejle", "sofie.nielsen")
    assert back.location == "/portal/vejle/registrer"
    page = client.get("/portal/vejle/registrer").get_data(as_text=True)
    assert "<h1>Registrer hos Kiropraktisk Klinik Vejle</h1>" in page and ">Registrer<" in page
    assert "Rygcenter Aarhus" in page  # where the user already is registered
    assert client.get("/portal/vejle/hjem").location == "/portal/vejle/registrer"

    sent = post_form(client, "/portal/vejle/registrer", {})
    assert sent.location == "/portal/vejle/afventer"
    [row] = query_one(app, select(RegistrationRequest))
    assert (row.status, row.portal_user_id) == ("pending", portal_user(app, "sofie.nielsen").id)
    assert _records(app, "vejle") == []
    again = post_form(client, "/portal/vejle/registrer", {}, page="/portal/vejle/afventer")
    assert again.location == "/portal/vejle/afventer"
    assert len(query_one(app, select(RegistrationRequest))) == 1


def test_registrer_at_a_clinic_without_self_registration_says_contact_the_clinic(app, client):
    register(client, "aarhus")
    portal_mitid(client, "odense", "sofie.nielsen")
    page = client.get("/portal/odense/registrer").get_data(as_text=True)
    assert "Kontakt klinikken for at blive oprettet" in page and ">Registrer<" not in page
    refused = post_form(client, "/portal/odense/registrer", {})
    assert refused.status_code == 200 and _records(app, "odense") == []


def test_registrer_at_a_clinic_in_auto_mode_gives_access_at_once(app, client, outbox):
    register(client, "vejle")
    request_row = query_one(app, select(RegistrationRequest))[0]
    with app.test_request_context():
        decide_registration_request(request_id=request_row.id, clinic_id=clinic_id(app, "vejle"),
                                    accept=True, reason=None, staff_user_id=1)
    code_login(client, outbox, "aarhus", SOFIE)  # security code at the second clinic
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus/registrer"
    done = post_form(client, "/portal/aarhus/registrer", {}, htmx=True)
    assert done.headers["HX-Redirect"] == "/portal/aarhus/hjem"
    home = client.get("/portal/aarhus/hjem").get_data(as_text=True)
    assert "Du er nu registreret hos Rygcenter Aarhus." in home
    assert "Kiropraktisk Klinik Vejle" in home and 'href="/portal/vejle"' in home
    [record] = _records(app, "aarhus")
    assert record.portal_user_id == portal_user(app, "sofie.nielsen").id
    assert query_one(app, select(AuditEvent).where(
        AuditEvent.action == "portal_registered_at_clinic"))


def test_contact_details_that_differ_from_the_clinics_record_are_confirmed_at_login(
        app, client, outbox):
    # The clinic already has Sofie's stamkort with another address and no mobile.
    add_record(app, "aarhus", "sofie.nielsen", email="sofie@gammel.dk")
    back = register(client, "aarhus")
    assert back.location == "/portal/aarhus/bekraeft"
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus/bekraeft"
    page = client.get("/portal/aarhus/bekraeft").get_data(as_text=True)
    assert "<h1>Bekræft e-mail og mobil</h1>" in page and "sofie@gammel.dk" in page
    assert 'value="sofie.nielsen@example.dk"' in page and 'value="Bekræft"' in page

    invalid = post_form(client, "/portal/aarhus/bekraeft", {"email": "nej", "mobile": ""}, htmx=True)
    assert invalid.status_code == 422 and "Skriv en gyldig e-mailadresse." in invalid.get_data(
        as_text=True)
    done = post_form(client, "/portal/aarhus/bekraeft",
                {"email": "Sofie.Ny@Example.dk", "mobile": "20 11 22 33"})
    assert done.location == "/portal/aarhus/hjem"
    assert "Tak. Din e-mail og dit mobilnummer er bekræftet." in client.get(
        "/portal/aarhus/hjem").get_data(as_text=True)
    user = portal_user(app, "sofie.nielsen")
    [record] = _records(app, "aarhus")
    assert (user.email, user.mobile) == ("sofie.ny@example.dk", "+4520112233")
    assert (record.email, record.mobile) == ("sofie.ny@example.dk", "+4520112233")

    logout(client, "aarhus")
    assert portal_mitid(client, "aarhus", "sofie.nielsen").location == "/portal/aarhus/hjem"


def test_confirming_unchanged_details_updates_the_clinics_record(app, client):
    register(client, "aarhus")
    with app.app_context():
        db = get_session()
        record = db.exec(select(PatientRecord)).one()
        record.mobile = "+4599999999"  # the clinic changed the mobile number
        db.commit()
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus/bekraeft"
    post_form(client, "/portal/aarhus/bekraeft", {"email": "sofie.nielsen@example.dk",
                                             "mobile": "+4520000003"})
    [record] = _records(app, "aarhus")
    assert record.mobile == "+4520000003"
    assert client.get("/portal/aarhus/hjem").status_code == 200


def test_home_shows_the_clinics_services_the_details_and_the_clinics(app, client):
    with app.app_context():
        db = get_session()
        aarhus = clinic_id(app, "aarhus")
        db.add(ClinicServiceLink(clinic_id=aarhus, kind="booking", enabled=True,
                                 url="https://booking.example.dk/aarhus"))
        db.add(ClinicServiceLink(clinic_id=aarhus, kind="prescription", enabled=True,
                                 url="https://recept.example.dk/aarhus"))
        db.add(ClinicServiceLink(clinic_id=aarhus, kind="econsultation", enabled=False,
                                 url="https://konsultation.example.dk/aarhus"))
        db.commit()
    register(client, "aarhus")
    home = client.get("/portal/aarhus/hjem").get_data(as_text=True)
    assert 'href="https://booking.example.dk/aarhus"' in home and "Tidsbestilling" in home
    assert 'href="https://recept.example.dk/aarhus"' in home and "Receptfornyelse" in home
    assert "konsultation.example.dk" not in home
    assert "Sofie Nielsen" in home and "sofie.nielsen@example.dk" in home
    assert "071198-XXXX" in home and '<th scope="col">Klinik</th>' in home
    assert "Rygcenter Aarhus" in home and ">Log ud<" in home
    assert_no_cpr(home, SOFIE)

    shown = post_form(client, "/portal/aarhus/hjem/cpr", {}, page="/portal/aarhus/hjem")
    assert shown.status_code == 200 and SOFIE in shown.get_data(as_text=True)
    assert query_one(app, select(AuditEvent).where(AuditEvent.action == "portal_cpr_revealed"))
    assert_no_cpr(client.get("/portal/aarhus/hjem").get_data(as_text=True), SOFIE)
