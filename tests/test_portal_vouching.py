"""A self-registration never confirmed with MitID: only the clinic's vouching for its e-mail lets
it log in ("Patienten har ikke MitID" alone does not), and every decision is audited."""

import pytest
from sqlmodel import select

from app.models import AuditEvent, PatientRecord
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.portal import (
    CPR,
    add_record,
    code_login,
    portal_mitid,
    portal_user,
    register,
    registration_data,
    start_code_login,
)
from tests.helpers.staff import login_as

SOFIE = CPR["sofie.nielsen"]
STRANGER = "fremmed@example.net"
NEEDS_MITID = "Ved første login skal din identitet bekræftes med MitID"


@pytest.fixture
def stranger(app):
    """Someone who knows Sofie's CPR number self-registers her with their own e-mail, no MitID."""
    client = app.test_client()
    post_form(client, "/portal/aarhus/opret", registration_data(email=STRANGER, email_confirm=STRANGER))
    return client


@pytest.fixture
def jonas(app):
    """Jonas Holm, sekretær at Rygcenter Aarhus."""
    return login_as(app.test_client(), "jonas.holm", function="secretary")


def _record(app, record_id) -> PatientRecord:
    return query_one(app, select(PatientRecord).where(PatientRecord.id == record_id))[0]


def _tab(jonas, record_id) -> str:
    return jonas.get(f"/clinic/patients/{record_id}/portal").get_data(as_text=True)


def _tick_no_mitid(jonas, record_id, email="sofie.nielsen@example.dk", tick=True):
    data = {"email": email, "mobile": "20 00 00 03"}
    if tick:
        data["no_mitid"] = "y"
    return post_form(jonas, f"/clinic/patients/{record_id}/communication", data)


def test_no_mitid_alone_does_not_let_a_strangers_registration_log_in(app, stranger, outbox):
    add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk", no_mitid=True)
    refused = start_code_login(stranger, "aarhus", SOFIE)
    assert refused.status_code == 422 and NEEDS_MITID in refused.get_data(as_text=True)
    assert "kontakt klinikken" in refused.get_data(as_text=True)
    assert outbox == [], "no security code goes to the stranger's address"
    assert portal_user(app, "sofie.nielsen").activated_at is None
    assert stranger.get("/portal/aarhus/hjem").location == "/portal/aarhus"


def test_the_patientportal_tab_asks_the_clinic_to_vouch_for_the_users_email(app, jonas):
    client = app.test_client()
    post_form(client, "/portal/aarhus/opret", registration_data(email=STRANGER, email_confirm=STRANGER))
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk")
    ticked = _tick_no_mitid(jonas, record_id)
    assert (ticked.status_code, ticked.location) == (303, f"/clinic/patients/{record_id}/portal")
    tab = _tab(jonas, record_id)
    assert STRANGER in tab and "tilhører patienten" in tab
    assert "Bekræft e-mailadressen" in tab
    assert "Erstat med stamkortets e-mail" in tab and "sofie.nielsen@example.dk" in tab


def test_vouching_for_the_users_email_allows_two_factor_login(app, jonas, outbox):
    client = app.test_client()
    post_form(client, "/portal/aarhus/opret", registration_data())  # Sofie herself, no MitID
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk")
    _tick_no_mitid(jonas, record_id)
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422

    vouched = post_form(jonas, f"/clinic/patients/{record_id}/portal/vouch", {"email": "user"})
    assert vouched.status_code == 303
    assert "er bekræftet af Jonas Holm" in _tab(jonas, record_id)
    done = code_login(client, outbox, "aarhus", SOFIE)
    assert done.location == "/portal/aarhus/vilkaar/accepter"
    assert outbox[-1].recipients == ["sofie.nielsen@example.dk"]
    assert portal_user(app, "sofie.nielsen").activated_at is not None
    [event] = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "portal_email_vouched"))
    assert event.actor.startswith("staff:") and event.clinic_id == 2


def test_replacing_the_users_email_with_the_cards_sends_the_code_to_the_patient(
        app, stranger, jonas, outbox):
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk")
    _tick_no_mitid(jonas, record_id)
    post_form(jonas, f"/clinic/patients/{record_id}/portal/vouch", {"email": "card"})
    assert portal_user(app, "sofie.nielsen").email == "sofie.nielsen@example.dk"
    start_code_login(stranger, "aarhus", SOFIE)
    assert outbox[-1].recipients == ["sofie.nielsen@example.dk"], "never the stranger's address"


def test_untick_or_a_changed_address_needs_vouching_again(app, jonas, outbox):
    client = app.test_client()
    post_form(client, "/portal/aarhus/opret", registration_data())
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk")
    _tick_no_mitid(jonas, record_id)
    post_form(jonas, f"/clinic/patients/{record_id}/portal/vouch", {"email": "user"})
    _tick_no_mitid(jonas, record_id, tick=False)
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422
    _tick_no_mitid(jonas, record_id)  # ticked again: the earlier vouching does not come back
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422
    assert "Bekræft e-mailadressen" in _tab(jonas, record_id)

    post_form(jonas, f"/clinic/patients/{record_id}/portal/vouch", {"email": "user"})
    with app.app_context():
        from app.core.db import get_session
        from app.models import PortalUser
        db = get_session()
        user = db.get(PortalUser, portal_user(app, "sofie.nielsen").id)
        user.email = "andet@example.dk"  # the portal user's address changed since
        db.commit()
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422
    actions = [e.action for e in query_one(app, select(AuditEvent).where(
        AuditEvent.action.in_(("portal_email_vouched", "portal_email_vouch_cleared")))
        .order_by(AuditEvent.id))]
    assert actions == ["portal_email_vouched", "portal_email_vouch_cleared",
                       "portal_email_vouched"]


def test_linking_the_existing_user_is_not_vouching(app, stranger, jonas, outbox):
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk",
                           no_mitid=True)
    linked = post_form(jonas, f"/clinic/patients/{record_id}/portal/create", {})
    assert linked.status_code == 303
    assert start_code_login(stranger, "aarhus", SOFIE).status_code == 422
    assert outbox == []
    assert STRANGER in _tab(jonas, record_id)


def test_a_stranger_cannot_vouch_nor_another_clinics_staff(app, stranger, outbox):
    record_id = add_record(app, "aarhus", "sofie.nielsen", no_mitid=True)
    refused = post_form(stranger, f"/clinic/patients/{record_id}/portal/vouch", {"email": "user"},
                   page="/portal/aarhus")
    assert refused.status_code != 303 or "/portal" not in (refused.location or "")
    mette = login_as(app.test_client(), "mette.kjaer", clinic="vejle")
    other = post_form(mette, f"/clinic/patients/{record_id}/portal/vouch", {"email": "user"})
    assert other.status_code == 404
    assert _record(app, record_id).email_vouched_by is None
    assert start_code_login(stranger, "aarhus", SOFIE).status_code == 422
    assert outbox == []


def test_the_owners_mitid_never_adopts_a_strangers_registration_the_clinic_linked(
        app, stranger, jonas, outbox):
    """Linked by "Tilknyt eksisterende bruger" but never vouched: Sofie's MitID drops it."""
    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk")
    post_form(jonas, f"/clinic/patients/{record_id}/portal/create", {})
    sofie = app.test_client()
    back = portal_mitid(sofie, "aarhus", "sofie.nielsen")
    assert back.location == "/portal/aarhus/oprettelse/unconfirmed"
    assert portal_user(app, "sofie.nielsen") is None
    assert _record(app, record_id).portal_user_id is None
    assert start_code_login(stranger, "aarhus", SOFIE).status_code == 422
    again = register(sofie, "aarhus")
    assert again.location == "/portal/aarhus/bekraeft"  # linked; the card has no mobile yet
    user = portal_user(app, "sofie.nielsen")
    assert user.email == "sofie.nielsen@example.dk"
    assert _record(app, record_id).portal_user_id == user.id
