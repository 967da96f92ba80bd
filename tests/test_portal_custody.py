"""Opret bruger under 15 år: the clinic's record is linked only when custody is confirmed."""

import json

import pytest
from sqlmodel import select

from app.models import AuditEvent, PatientRecord, PortalUser, RegistrationRequest
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.portal import CPR, add_record, clinic_id, code_login, portal_user, register_child
from tests.helpers.staff import login_as

CHECK = "Kontrollér, at den voksne har forældremyndighed over barnet, før du godkender."
SOFIE_EMAIL = "sofie.nielsen@example.dk"


def ida_by_sofie(client, key: str):
    """Sofie types a child (Ida) that the CPR register does not know, and confirms with MitID."""
    return register_child(client, key, mitid_as="sofie.nielsen", child_cpr=CPR["ida"],
                          guardian_cpr=CPR["sofie.nielsen"], first_name="Ida",
                          last_name="Nielsen", email=SOFIE_EMAIL, email_confirm=SOFIE_EMAIL)


def _events(app, action: str) -> list[AuditEvent]:
    return query_one(app, select(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def mette_aarhus(app):
    """Mette Kjær, behandler at Rygcenter Aarhus (auto mode)."""
    return login_as(app.test_client(), "mette.kjaer", clinic="aarhus")


def test_unconfirmed_custody_waits_in_the_queue_of_an_auto_clinic_until_it_approves(
        app, client, outbox, clock, mette_aarhus):
    record_id = add_record(app, "aarhus", "ida", email=SOFIE_EMAIL)  # the clinic's stamkort
    back = ida_by_sofie(client, "aarhus")
    assert back.location == "/portal/aarhus/oprettelse/child_custody_requested"
    page = client.get(back.location).get_data(as_text=True)
    assert "Klinikken skal bekræfte forældremyndigheden" in page
    [row] = query_one(app, select(RegistrationRequest))
    ida = portal_user(app, "ida")
    assert (row.status, row.portal_user_id, row.custody_check) == ("pending", ida.id, True)
    assert query_one(app, select(PatientRecord))[0].portal_user_id is None  # nothing linked
    assert (ida.created_by, ida.guardian_name, ida.custody_method) == (
        "guardian", "Sofie Nielsen", None)

    queue = mette_aarhus.get("/clinic/requests/").get_data(as_text=True)
    assert "Ida Nielsen" in queue and "140319-XXXX" in queue
    assert "Sofie Nielsen" in queue and "071198-XXXX" in queue and CHECK in queue
    assert "071198-3014" not in queue and "140319-4562" not in queue

    answer = post_form(mette_aarhus, f"/clinic/requests/{row.id}/accept", {},
                       page="/clinic/requests/")
    assert (answer.status_code, answer.location) == (303, "/clinic/requests/")
    assert query_one(app, select(PatientRecord))[0].portal_user_id == ida.id
    ida = portal_user(app, "ida")
    assert (ida.custody_method, ida.custody_confirmed_at) == ("clinic_approval", clock.now)
    [event] = _events(app, "portal_child_custody_confirmed")
    assert (event.target_id, event.actor.startswith("staff:")) == (str(ida.id), True)
    assert json.loads(event.detail)["patient_record_id"] == record_id
    assert outbox[-1].recipients == [SOFIE_EMAIL]

    done = code_login(client, outbox, "aarhus", CPR["ida"])
    assert done.location == "/portal/aarhus/hjem"


def test_before_the_clinic_decides_the_child_logs_in_to_the_waiting_page(app, client, outbox):
    ida_by_sofie(client, "aarhus")
    done = code_login(client, outbox, "aarhus", CPR["ida"])
    assert done.location == "/portal/aarhus/afventer"
    assert query_one(app, select(PatientRecord)) == []


def test_unconfirmed_custody_is_a_request_in_approval_mode(app, client):
    back = ida_by_sofie(client, "vejle")
    assert back.location == "/portal/vejle/oprettelse/child_custody_requested"
    [row] = query_one(app, select(RegistrationRequest))
    assert (row.status, row.custody_check) == ("pending", True)
    assert query_one(app, select(PatientRecord)) == []


def test_registrer_at_another_clinic_is_a_request_even_where_clinics_create_patients(
        app, client, outbox):
    ida_by_sofie(client, "vejle")
    assert code_login(client, outbox, "odense", CPR["ida"]).location == "/portal/odense/registrer"
    answer = post_form(client, "/portal/odense/registrer", {})
    assert (answer.status_code, answer.location) == (303, "/portal/odense/afventer")
    rows = query_one(app, select(RegistrationRequest).order_by(RegistrationRequest.id))
    assert [(row.clinic_id, row.custody_check) for row in rows] == [
        (clinic_id(app, "vejle"), True), (clinic_id(app, "odense"), True)]
    assert query_one(app, select(PatientRecord)) == []


def test_the_clinic_rejects_and_nothing_is_linked(app, client, outbox, mette_aarhus):
    ida_by_sofie(client, "aarhus")
    [row] = query_one(app, select(RegistrationRequest))
    post_form(mette_aarhus, f"/clinic/requests/{row.id}/reject", {"reason": "Ikke forælder"},
              page="/clinic/requests/")
    assert query_one(app, select(PatientRecord)) == []
    assert portal_user(app, "ida").custody_method is None
    [event] = _events(app, "registration_request_rejected")
    assert json.loads(event.detail)["custody_check"] is True


def test_a_parent_the_register_confirms_is_linked_at_once_in_auto_mode(app, client, clock):
    record_id = add_record(app, "aarhus", "emma", email="karen.jensen@example.dk")
    back = register_child(client, "aarhus")  # Karen, Emma's mother
    assert back.location == "/portal/aarhus/oprettelse/child_created"
    emma = portal_user(app, "emma")
    assert (emma.custody_method, emma.custody_confirmed_at) == ("cpr_register", clock.now)
    assert emma.guardian_name == "Karen Jensen"
    assert query_one(app, select(PatientRecord.portal_user_id).where(
        PatientRecord.id == record_id)) == [emma.id]
    assert query_one(app, select(RegistrationRequest)) == []


def test_a_parent_the_register_confirms_asks_an_approval_clinic_as_any_patient(app, client):
    back = register_child(client, "vejle")
    assert back.location == "/portal/vejle/oprettelse/child_requested"
    [row] = query_one(app, select(RegistrationRequest))
    assert row.custody_check is False


def test_custody_the_register_denies_is_refused_and_nothing_is_kept(app, client):
    add_record(app, "aarhus", "emma")
    back = register_child(client, "aarhus", mitid_as="sofie.nielsen",
                          guardian_cpr=CPR["sofie.nielsen"])  # Sofie types Emma
    page = back.get_data(as_text=True)
    assert back.status_code == 403 and "forældremyndighed" in page
    assert "Barnet er ikke oprettet" in page
    assert portal_user(app, "emma") is None
    assert query_one(app, select(PatientRecord))[0].portal_user_id is None
    assert query_one(app, select(RegistrationRequest)) == []
    [event] = _events(app, "portal_child_custody_denied")
    assert (event.actor, event.clinic_id is not None) == ("guardian", True)
    assert "120616" not in event.detail and "071198" not in event.detail


def test_without_a_custody_source_even_a_parent_waits_for_the_clinic(app_config, request):
    app_config["CUSTODY_SOURCE"] = None  # production's default: no custody source configured
    app = request.getfixturevalue("app")
    client = app.test_client()
    back = register_child(client, "aarhus")
    assert back.location == "/portal/aarhus/oprettelse/child_custody_requested"
    [row] = query_one(app, select(RegistrationRequest))
    assert row.custody_check is True and portal_user(app, "emma").custody_method is None
    assert query_one(app, select(PortalUser.id)) == [row.portal_user_id]
    assert query_one(app, select(PatientRecord)) == []
