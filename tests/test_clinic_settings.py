"""The Klinik tab (self-registration, service links, contact) and the audit log page."""

import pytest
from sqlmodel import select

from app.models import AuditEvent, Clinic, ClinicServiceLink
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_as

SETTINGS = {"self_registration": "approval", "booking_enabled": "y",
            "booking_url": "https://booking.example.dk", "econsultation_url": "",
            "prescription_url": "", "phone": "86 12 34 56", "email": "klinik@example.dk",
            "address": "Ryesgade 1, 8000 Aarhus C"}


@pytest.fixture
def hanne(app):
    """Hanne Lund, administrator at Rygcenter Aarhus."""
    return login_as(app.test_client(), "hanne.lund")


def test_settings_page_shows_the_three_modes_with_the_seeds_names(hanne):
    page = hanne.get("/clinic/settings/").get_data(as_text=True)
    for name in ("Ingen online selv-oprettelse", "Online selv-oprettelse med læge-godkendelse",
                 "Online selv-oprettelse uden læge-godkendelse", "Tidsbestilling",
                 "E-konsultation", "Receptfornyelse"):
        assert name in page
    assert '<input checked class="form-radio" id="self_registration-2"' in page  # aarhus: auto


def test_save_settings_and_links_audited(app, hanne):
    answer = post_form(hanne, "/clinic/settings/", SETTINGS)
    assert answer.status_code == 303
    clinic = query_one(app, select(Clinic).where(Clinic.key == "aarhus"))[0]
    assert (clinic.self_registration, clinic.phone) == ("approval", "86 12 34 56")
    links = {link.kind: link for link in query_one(app, select(ClinicServiceLink))}
    assert links["booking"].enabled and links["booking"].url == "https://booking.example.dk"
    assert "econsultation" not in links or not links["econsultation"].enabled
    event = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "clinic_settings_changed"))[0]
    assert event.clinic_id == clinic.id and "self_registration" in event.detail


@pytest.mark.parametrize(("change", "message"), [
    ({"booking_url": ""}, "Skriv adressen, når linket er slået til."),
    ({"booking_url": "http://usikker.example.dk"}, "https://"),
    ({"self_registration": "sometimes"}, "Vælg en af mulighederne."),
    ({"email": "nope"}, "Skriv en gyldig e-mailadresse."),
])
def test_invalid_settings_are_422_and_nothing_is_saved(app, hanne, change, message):
    answer = post_form(hanne, "/clinic/settings/", {**SETTINGS, **change})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in body
    assert 'value="86 12 34 56"' in body
    assert query_one(app, select(ClinicServiceLink)) == []


def test_secretary_and_clinician_cannot_change_settings(app):
    jonas = login_as(app.test_client(), "jonas.holm", function="secretary")
    assert jonas.get("/clinic/settings/").status_code == 403
    assert "Klinik</a>" not in jonas.get("/").get_data(as_text=True)
    mette = login_as(app.test_client(), "mette.kjaer", clinic="aarhus")
    assert mette.get("/clinic/settings/").status_code == 403


def test_audit_log_shows_who_did_what_to_which_patient_masked(app, hanne):
    jonas = login_as(app.test_client(), "jonas.holm", function="secretary")
    post_form(jonas, "/clinic/patients/new", {"cpr": "030344-1357", "first_name": "Ole",
                                              "last_name": "Hansen"})
    post_form(jonas, "/clinic/patients/1/cpr", {}, page="/clinic/patients/1")
    page = hanne.get("/clinic/audit/").get_data(as_text=True)
    assert "Jonas Holm" in page and "Patient oprettet" in page and "CPR-nummer vist" in page
    assert "Ole Hansen (030344-XXXX)" in page and "030344-1357" not in page


def test_audit_log_is_for_administrators_only(app):
    jonas = login_as(app.test_client(), "jonas.holm", function="clinician")
    assert jonas.get("/clinic/audit/").status_code == 403
