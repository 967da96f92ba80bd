"""Opret ny bruger and Opret bruger under 15 år, confirmed with MitID, in each clinic mode."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.blueprints.approvals.services import decide_registration_request, requests
from app.models import AuditEvent, PatientRecord, PortalSession, PortalUser, RegistrationRequest
from app.security import cpr_index, verify_password
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import link_from
from tests.helpers.portal import (
    CPR,
    PASSWORD,
    assert_no_cpr,
    child_data,
    clinic_id,
    code_login,
    portal_mitid,
    portal_user,
    register,
    register_child,
    registration_data,
)


def _actions(app) -> list[str]:
    return [event.action for event in query_one(app, select(AuditEvent).order_by(AuditEvent.id))]


def test_auto_mode_creates_the_user_at_once_and_logs_in(app, client, outbox, clock):
    # Typed without the hyphen (no JS); 071198-3014 also fails modulus 11, which is never checked.
    back = register(client, "aarhus", cpr="0711983014", mobile="20 00 00 03")
    assert (back.status_code, back.location) == (302, "/portal/aarhus/hjem")
    home = client.get("/portal/aarhus/hjem").get_data(as_text=True)
    assert "Din bruger er oprettet, og du er logget ind." in home and "Velkommen Sofie" in home

    user = portal_user(app, "sofie.nielsen")
    assert (user.created_by, user.first_name, user.email, user.mobile) == (
        "self", "Sofie", "sofie.nielsen@example.dk", "+4520000003")
    assert user.activated_at == clock.now and user.mitid_verified_at == clock.now
    assert user.mitid_sub and verify_password(user.password_hash, PASSWORD)
    record = query_one(app, select(PatientRecord))[0]
    assert (record.clinic_id, record.portal_user_id, record.email, record.search_name) == (
        clinic_id(app, "aarhus"), user.id, "sofie.nielsen@example.dk", "sofie nielsen")
    assert [s.method for s in query_one(app, select(PortalSession))] == ["mitid"]
    assert "portal_user_registered" in _actions(app)
    assert outbox == []


def test_approval_mode_sends_a_request_and_mails_the_patient_when_accepted(app, client, outbox):
    back = register(client, "vejle")
    assert back.location == "/portal/vejle/oprettelse/requested"
    page = client.get(back.location).get_data(as_text=True)
    assert "Anmodningen er sendt til klinikken" in page and "Du modtager en e-mail" in page
    user = portal_user(app, "sofie.nielsen")
    request_row = query_one(app, select(RegistrationRequest))[0]
    assert (request_row.status, request_row.portal_user_id) == ("pending", user.id)
    assert user.activated_at is not None and query_one(app, select(PatientRecord)) == []
    assert client.get("/portal/vejle/hjem").location == "/portal/vejle"  # not logged in

    # Until the clinic decides, a login at this clinic only shows that the request waits.
    assert portal_mitid(client, "vejle", "sofie.nielsen").location == "/portal/vejle/afventer"
    assert client.get("/portal/vejle/hjem").location == "/portal/vejle/afventer"
    assert "Anmodningen afventer klinikken" in client.get(
        "/portal/vejle/afventer").get_data(as_text=True)

    with app.app_context():
        [(waiting, patient)] = requests(clinic_id(app, "vejle"), pending=True)
        assert (waiting.id, patient.first_name) == (request_row.id, "Sofie")
    with app.test_request_context():
        decided = decide_registration_request(request_id=request_row.id,
                                              clinic_id=clinic_id(app, "vejle"), accept=True,
                                              reason=None, staff_user_id=1)
    assert decided.status == "accepted" and decided.decided_by_id == 1
    [mail] = outbox
    assert mail.recipients == ["sofie.nielsen@example.dk"]
    assert "accepteret" in mail.text and link_from(mail) == "/portal/vejle"
    assert_no_cpr(mail.subject + mail.text, CPR["sofie.nielsen"])
    record = query_one(app, select(PatientRecord))[0]
    assert (record.portal_user_id, record.clinic_id) == (user.id, clinic_id(app, "vejle"))
    assert client.get("/portal/vejle/hjem").status_code == 200
    assert "registration_request_accepted" in _actions(app)


def test_approval_mode_rejection_mails_the_reason_without_a_link(app, client, outbox):
    register(client, "vejle")
    request_row = query_one(app, select(RegistrationRequest))[0]
    with app.test_request_context():
        decide_registration_request(request_id=request_row.id, clinic_id=clinic_id(app, "vejle"),
                                    accept=False, reason="Vi tager ikke nye patienter ind.",
                                    staff_user_id=1)
    [mail] = outbox
    assert "ikke accepteret" in mail.text and "Vi tager ikke nye patienter ind." in mail.text
    assert "http" not in mail.text
    assert query_one(app, select(PatientRecord)) == []
    assert portal_mitid(client, "vejle", "sofie.nielsen").location == "/portal/vejle/registrer"


def test_deciding_another_clinics_or_a_decided_request_is_refused(app, client, outbox):
    from app.blueprints.approvals.services import ApprovalError

    register(client, "vejle")
    request_row = query_one(app, select(RegistrationRequest))[0]
    with app.test_request_context():
        with pytest.raises(ApprovalError, match="not_found"):
            decide_registration_request(request_id=request_row.id,
                                        clinic_id=clinic_id(app, "aarhus"), accept=True,
                                        reason=None, staff_user_id=1)
        decide_registration_request(request_id=request_row.id, clinic_id=clinic_id(app, "vejle"),
                                    accept=True, reason=None, staff_user_id=1)
        with pytest.raises(ApprovalError, match="already_decided"):
            decide_registration_request(request_id=request_row.id,
                                        clinic_id=clinic_id(app, "vejle"), accept=False,
                                        reason=None, staff_user_id=1)
    assert len(outbox) == 1


def test_wrong_cpr_from_mitid_creates_no_user(app, client, outbox):
    back = register(client, "aarhus", mitid_as="karen.jensen")  # typed Sofie's CPR
    body = back.get_data(as_text=True)
    assert back.status_code == 400 and "CPR-nummeret passer ikke" in body
    assert 'href="/portal/aarhus"' in body
    sofie = portal_user(app, "sofie.nielsen")
    assert sofie.activated_at is None and sofie.mitid_verified_at is None
    assert portal_user(app, "karen.jensen") is None
    assert query_one(app, select(PatientRecord)) == []
    assert query_one(app, select(PortalSession)) == []
    assert "portal_registration_cpr_mismatch" in _actions(app)
    # The unconfirmed row is useless: MitID does not adopt it, security code needs MitID first.
    # (Sofie in her own browser: in this one Karen is still logged in at MitID.)
    assert portal_mitid(app.test_client(), "aarhus", "sofie.nielsen").location == (
        "/portal/aarhus/oprettelse/unconfirmed")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cpr", "15038", "Skriv CPR-nummeret med 10 cifre"),
    ("cpr", "320181-2346", "CPR-nummeret er ikke gyldigt."),  # no 32nd day
    ("cpr", "290201-2346", "CPR-nummeret er ikke gyldigt."),  # 2001 was no leap year
    ("cpr", "010130-4000", "CPR-nummeret er ikke gyldigt."),  # century digit 4: born 2030
    ("cpr", "", "Skriv CPR-nummeret."),
    ("first_name", "", "Skriv fornavn."),
    ("last_name", "", "Skriv efternavn."),
    ("email", "ikke-en-adresse", "Skriv en gyldig e-mailadresse."),
    ("email_confirm", "anden@example.dk", "De to e-mailadresser er ikke ens."),
    ("mobile", "1234", "Skriv et dansk mobilnummer med 8 cifre."),
    ("password", "Kort1", "mindst 8 tegn"),
    ("password", "alleSmaaBogstaver", "mindst 8 tegn"),
    ("password", "ingenstore1", "mindst 8 tegn"),
    ("password", "Password1", "Adgangskoden er for almindelig."),
    ("password", "Sommer2025", "Adgangskoden er for almindelig."),
    ("password_confirm", "Andet2026x", "De to adgangskoder er ikke ens."),
    ("accept_terms", "", "Du skal acceptere vilkårene"),
])
def test_invalid_registration_shows_the_error_and_keeps_the_values(app, client, field, value,
                                                                    message):
    data = registration_data(**{field: value})
    if field == "password":
        data["password_confirm"] = value
    answer = post_form(client, "/portal/aarhus/opret", data, htmx=True)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in body
    assert 'aria-invalid="true"' in body and "<html" not in body
    assert 'value="Sofie"' in body or field == "first_name"
    assert PASSWORD not in body  # passwords are never sent back
    assert query_one(app, select(PortalUser)) == []


def test_mobile_is_optional_and_email_is_compared_without_case(app, client):
    sent = post_form(client, "/portal/aarhus/opret", registration_data(
        mobile="", email="Sofie.Nielsen@Example.dk", email_confirm="sofie.nielsen@example.dk"))
    assert sent.location == "/portal/aarhus/opret/mitid"
    user = portal_user(app, "sofie.nielsen")
    assert (user.email, user.mobile, user.activated_at) == ("sofie.nielsen@example.dk", None, None)


def test_under_15_must_use_the_child_form(app, client, clock):
    clock.now = clock.now.replace(year=2026, month=9, day=29)
    answer = post_form(client, "/portal/aarhus/opret", registration_data("lukas.nielsen"))
    assert answer.status_code == 422 and "Opret bruger under 15 år" in answer.get_data(as_text=True)
    clock.now = clock.now.replace(day=30)  # Lukas turns 15
    assert post_form(client, "/portal/aarhus/opret",
                registration_data("lukas.nielsen")).status_code == 303


def test_child_is_created_by_the_guardians_mitid_and_logs_in_with_security_code(
        app, client, outbox, clock):
    back = register_child(client, "aarhus")
    assert back.location == "/portal/aarhus/oprettelse/child_created"
    page = client.get(back.location).get_data(as_text=True)
    assert "Barnets bruger er oprettet" in page and "sikkerhedskode" in page
    assert query_one(app, select(PortalSession)) == []  # nobody is logged in by the guardian's MitID

    emma = portal_user(app, "emma")
    assert (emma.created_by, emma.activated_at, emma.mitid_verified_at) == (
        "guardian", clock.now, None)
    with app.app_context():
        assert emma.guardian_cpr_index == cpr_index(CPR["karen.jensen"])
    event = query_one(app, select(AuditEvent).where(AuditEvent.action == "portal_child_registered"))
    assert event[0].target_id == str(emma.id) and event[0].created_at == clock.now
    assert json.loads(event[0].detail)["confirmed_with"] == "mitid"

    done = code_login(client, outbox, "aarhus", CPR["emma"])
    assert done.location == "/portal/aarhus/hjem"
    assert "Velkommen Emma" in client.get("/portal/aarhus/hjem").get_data(as_text=True)


def test_child_in_approval_mode_becomes_a_request(app, client):
    back = register_child(client, "vejle")
    assert back.location == "/portal/vejle/oprettelse/child_requested"
    [row] = query_one(app, select(RegistrationRequest))
    assert row.portal_user_id == portal_user(app, "emma").id


def test_child_needs_the_guardian_cpr_typed(app, client):
    back = register_child(client, "aarhus", mitid_as="sofie.nielsen")
    assert back.status_code == 400 and "CPR-nummeret passer ikke" in back.get_data(as_text=True)
    assert portal_user(app, "emma").activated_at is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("child_cpr", CPR["sofie.nielsen"], "Barnet er fyldt 15 år"),
    ("guardian_cpr", "120610-4000", "Forælder/værge skal være fyldt 18 år."),
    ("guardian_cpr", "12345", "Skriv CPR-nummeret med 10 cifre"),
])
def test_child_form_checks_both_ages(app, client, field, value, message):
    answer = post_form(client, "/portal/aarhus/opret-barn", child_data(**{field: value}))
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert query_one(app, select(PortalUser)) == []


def test_an_existing_user_who_registers_again_is_logged_in_unchanged(app, client, outbox):
    register(client, "aarhus")
    before = portal_user(app, "sofie.nielsen")
    client.delete_cookie("session")
    back = register(client, "aarhus", email="ny@example.dk", email_confirm="ny@example.dk",
                    password="Andet2026xy", password_confirm="Andet2026xy")
    assert back.location == "/portal/aarhus/hjem"
    assert "allerede oprettet" in client.get(back.location).get_data(as_text=True)
    after = portal_user(app, "sofie.nielsen")
    assert (after.id, after.email, after.password_hash) == (before.id, before.email,
                                                             before.password_hash)


def test_an_existing_child_is_reported_to_the_guardian(app, client):
    register_child(client, "aarhus")
    back = register_child(client, "aarhus", password="Andet2026xy", password_confirm="Andet2026xy")
    assert back.location == "/portal/aarhus/oprettelse/child_existing"
    assert len(query_one(app, select(PortalUser))) == 1


def test_an_unconfirmed_registration_is_dropped_by_the_owners_mitid_and_purged_after_a_day(
        app, client, clock):
    post_form(client, "/portal/aarhus/opret", registration_data(email="a@example.dk",
                                                           email_confirm="a@example.dk"))
    first = portal_user(app, "sofie.nielsen")
    back = register(client, "aarhus")  # the same CPR again: her MitID drops the first one
    assert back.location == "/portal/aarhus/oprettelse/unconfirmed"
    assert portal_user(app, "sofie.nielsen") is None
    back = register(client, "aarhus")
    assert back.location == "/portal/aarhus/hjem"
    second = portal_user(app, "sofie.nielsen")
    assert first.email == "a@example.dk" and first.mitid_verified_at is None
    assert second.email == "sofie.nielsen@example.dk" and second.mitid_verified_at is not None

    post_form(client, "/portal/aarhus/opret-barn", child_data())  # never confirmed
    assert portal_user(app, "emma") is not None
    clock.now += timedelta(hours=25)
    post_form(client, "/portal/aarhus/opret", registration_data("karen.jensen"))
    assert portal_user(app, "emma") is None  # purged
    assert portal_user(app, "sofie.nielsen").password_hash == second.password_hash  # stays


def test_valid_form_goes_on_to_mitid_via_a_link_or_htmx_redirect(client):
    assert client.get("/portal/aarhus/opret/mitid").location == "/portal/aarhus/opret"
    sent = post_form(client, "/portal/aarhus/opret", registration_data(), htmx=True)
    assert sent.headers["HX-Redirect"] == "/portal/aarhus/mitid/fortsaet"
    page = client.get("/portal/aarhus/opret/mitid").get_data(as_text=True)
    assert "<h1>Bekræft med MitID</h1>" in page and "Fortsæt til MitID" in page
    start = client.get("/portal/aarhus/mitid/fortsaet")
    assert start.status_code == 302 and "client_id=klinikadgang-citizen" in start.location
    assert client.get("/portal/vejle/mitid/fortsaet").location == "/portal/vejle"
