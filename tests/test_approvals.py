"""The approval queue (self-registration "med læge-godkendelse") and the stamkort's portal tab."""

import pytest
from sqlmodel import select

from app.models import AuditEvent, PatientRecord, RegistrationRequest
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import link_from
from tests.helpers.portal import CPR, add_record, code_login, portal_user, register
from tests.helpers.staff import login_as


@pytest.fixture
def mette(app):
    """Mette Kjær, behandler at Kiropraktisk Klinik Vejle (approval mode)."""
    return login_as(app.test_client(), "mette.kjaer", clinic="vejle")


@pytest.fixture
def sofie_waits(app):
    """Sofie registered at Vejle and confirmed with MitID: her request waits."""
    register(app.test_client(), "vejle")
    rows = query_one(app, select(RegistrationRequest))
    assert [r.status for r in rows] == ["pending"]
    return rows[0]


def test_queue_shows_the_request_with_masked_cpr_and_a_badge(mette, sofie_waits):
    home = mette.get("/").get_data(as_text=True)
    assert "Anmodninger" in home and 'class="badge badge-info"' in home
    page = mette.get("/clinic/requests/").get_data(as_text=True)
    assert "Sofie Nielsen" in page and "071198-XXXX" in page and "071198-3014" not in page
    assert "sofie.nielsen@example.dk" in page and "Godkend" in page


def test_accept_links_the_record_and_emails_the_patient_with_the_portal_link(
        app, mette, sofie_waits, outbox):
    answer = post_form(mette, f"/clinic/requests/{sofie_waits.id}/accept", {},
                       page="/clinic/requests/")
    assert answer.status_code == 303
    [row] = query_one(app, select(RegistrationRequest))
    assert row.status == "accepted" and row.decided_by_id is not None
    record = query_one(app, select(PatientRecord))[0]
    assert record.portal_user_id == portal_user(app, "sofie.nielsen").id
    mail = outbox[-1]
    assert mail.recipients == ["sofie.nielsen@example.dk"] and "/portal/vejle" in mail.text
    assert 'class="badge' not in mette.get("/").get_data(as_text=True)


def test_reject_with_a_reason_emails_the_patient(app, mette, sofie_waits, outbox):
    post_form(mette, f"/clinic/requests/{sofie_waits.id}/reject",
              {"reason": "Vi tager ikke nye patienter"}, page="/clinic/requests/")
    [row] = query_one(app, select(RegistrationRequest))
    assert (row.status, row.reason) == ("rejected", "Vi tager ikke nye patienter")
    assert "Vi tager ikke nye patienter" in outbox[-1].text
    assert query_one(app, select(PatientRecord)) == []


def test_deciding_twice_changes_nothing(app, mette, sofie_waits, outbox):
    post_form(mette, f"/clinic/requests/{sofie_waits.id}/accept", {}, page="/clinic/requests/")
    again = post_form(mette, f"/clinic/requests/{sofie_waits.id}/reject", {},
                      page="/clinic/requests/")
    assert again.status_code == 303 and len(outbox) == 1
    assert query_one(app, select(RegistrationRequest))[0].status == "accepted"


def test_another_clinics_request_is_404(app, sofie_waits):
    jonas = login_as(app.test_client(), "jonas.holm", function="secretary")
    answer = post_form(jonas, f"/clinic/requests/{sofie_waits.id}/accept", {},
                       page="/clinic/requests/")
    assert answer.status_code == 404
    assert "Sofie" not in jonas.get("/clinic/requests/").get_data(as_text=True)


def test_external_user_has_no_queue(app, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    bente = app.test_client()
    post_form(bente, "/login/password", {"user_id": "bente.ext", "password": "Bogholder2024"},
              page="/login")
    assert bente.get("/clinic/requests/").status_code == 403


@pytest.fixture
def jonas(app):
    """Jonas Holm, sekretær at Rygcenter Aarhus."""
    return login_as(app.test_client(), "jonas.holm", function="secretary")


def test_opret_som_bruger_sends_an_activation_link_and_ole_logs_in_without_mitid(
        app, jonas, outbox):
    record_id = add_record(app, "aarhus", "ole.hansen", email="ole.hansen@example.dk",
                           no_mitid=True)
    tab = jonas.get(f"/clinic/patients/{record_id}/portal").get_data(as_text=True)
    assert "Opret som bruger" in tab
    created = post_form(jonas, f"/clinic/patients/{record_id}/portal/create", {},
                        page=f"/clinic/patients/{record_id}/portal")
    assert created.status_code == 303
    assert "Send aktiveringslink igen" in jonas.get(
        f"/clinic/patients/{record_id}/portal").get_data(as_text=True)
    activation = link_from(outbox[-1])
    ole = app.test_client()
    from tests.helpers.portal import NEW_PASSWORD

    answer = post_form(ole, activation, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert answer.status_code in (200, 303)
    home = code_login(ole, outbox, "aarhus", CPR["ole.hansen"], NEW_PASSWORD)
    assert home.status_code == 303 and home.location.startswith("/portal/aarhus")
    assert "030344" not in outbox[-1].text


def test_opret_som_bruger_needs_an_email(app, jonas):
    record_id = add_record(app, "aarhus", "ole.hansen")
    answer = post_form(jonas, f"/clinic/patients/{record_id}/portal/create", {},
                       page=f"/clinic/patients/{record_id}/portal")
    assert answer.status_code == 422
    assert "Patienten skal have en e-mailadresse" in answer.get_data(as_text=True)


def test_existing_portal_user_is_linked_not_created(app, jonas, outbox):
    register(app.test_client(), "aarhus")  # sofie, auto mode: linked at Aarhus already
    vejle_record = add_record(app, "vejle", "sofie.nielsen", email="sofie.nielsen@example.dk")
    mette = login_as(app.test_client(), "mette.kjaer", clinic="vejle")
    tab = mette.get(f"/clinic/patients/{vejle_record}/portal").get_data(as_text=True)
    assert "Tilknyt eksisterende bruger" in tab
    sent = len(outbox)
    post_form(mette, f"/clinic/patients/{vejle_record}/portal/create", {},
              page=f"/clinic/patients/{vejle_record}/portal")
    assert len(outbox) == sent  # no activation mail for an existing user
    record = query_one(app, select(PatientRecord).where(PatientRecord.id == vejle_record))[0]
    assert record.portal_user_id == portal_user(app, "sofie.nielsen").id


def test_resend_activation_link_is_audited(app, jonas, outbox):
    record_id = add_record(app, "aarhus", "ole.hansen", email="ole.hansen@example.dk")
    post_form(jonas, f"/clinic/patients/{record_id}/portal/create", {},
              page=f"/clinic/patients/{record_id}/portal")
    post_form(jonas, f"/clinic/patients/{record_id}/portal/resend", {},
              page=f"/clinic/patients/{record_id}/portal")
    assert len(outbox) == 2 and outbox[0].recipients == outbox[1].recipients
    actions = [e.action for e in query_one(app, select(AuditEvent))]
    assert "portal_user_created_by_clinic" in actions and "activation_link_sent" in actions
