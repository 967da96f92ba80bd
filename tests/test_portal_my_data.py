"""A patient's "Mine data": the page, the JSON export covering every table, terms withdrawal."""

import json

from sqlmodel import SQLModel, select

from app.models import ConsentRecord
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import link_from
from tests.helpers.portal import CPR, code_login, logout, register


def test_registration_records_the_terms_and_my_data_shows_them(app, client):
    register(client, "aarhus")
    rows = query_one(app, select(ConsentRecord))
    assert [(r.purpose, r.action, r.method) for r in rows] == [
        ("portal_terms", "given", "registration")]
    page = client.get("/portal/aarhus/mine-data").get_data(as_text=True)
    assert "Mine data" in page and "Rygcenter Aarhus" in page and "Vilkår accepteret" in page
    assert "071198-3014" not in page  # the page shows no CPR; the download has it


def test_export_has_every_table_that_refers_to_the_portal_user(app, client):
    register(client, "aarhus")
    answer = client.get("/portal/aarhus/mine-data.json")
    assert "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data(as_text=True))
    referring = {table.name for table in SQLModel.metadata.sorted_tables
                 if any(fk.column.table.name == "portal_user" for fk in table.foreign_keys)}
    assert referring <= set(data) and {"portal_user", "audit_event", "email_code"} <= set(data)
    assert data["portal_user"]["cpr"] == CPR["sofie.nielsen"]
    assert data["portal_user"]["password_hash"] == "[skjult]"
    assert data["portal_user"]["cpr_encrypted"] == "[skjult]"
    assert [r["clinic_name"] for r in data["patient_record"]] == ["Rygcenter Aarhus"]
    assert data["portal_session"] and data["consent_record"] and data["audit_event"]


def test_withdrawing_logs_out_and_the_next_login_asks_again(app, client, outbox):
    register(client, "aarhus")
    withdrawn = post_form(client, "/portal/aarhus/vilkaar/traek-tilbage", {},
                     page="/portal/aarhus/mine-data")
    assert withdrawn.location == "/portal/aarhus"
    assert client.get("/portal/aarhus/hjem").status_code == 302  # logged out
    again = code_login(client, outbox, "aarhus", CPR["sofie.nielsen"])
    assert again.location == "/portal/aarhus/vilkaar/accepter"
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus/vilkaar/accepter"
    accepted = post_form(client, again.location, {})
    assert accepted.location == "/portal/aarhus/hjem"
    actions = [(r.action, r.method) for r in query_one(
        app, select(ConsentRecord).order_by(ConsentRecord.id))]
    assert actions == [("given", "registration"), ("withdrawn", "my_data"), ("given", "login")]


def test_activation_of_a_clinic_created_user_records_the_terms(app, outbox):
    from app.core.db import get_session
    from app.models import PatientRecord
    from tests.helpers.portal import NEW_PASSWORD, add_record

    record_id = add_record(app, "aarhus", "ole.hansen", email="ole.hansen@example.dk",
                           no_mitid=True)
    with app.test_request_context():
        from app.blueprints.portal.accounts import create_portal_user_from_record

        create_portal_user_from_record(record=get_session().get(PatientRecord, record_id),
                                       staff_user_id=1)
    ole = app.test_client()
    page = ole.get(link_from(outbox[-1])).get_data(as_text=True)
    assert "accepteres vilkår og retningslinjer" in page
    post_form(ole, link_from(outbox[-1]), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert [(r.action, r.method) for r in query_one(app, select(ConsentRecord))] == [
        ("given", "activation")]
    home = code_login(ole, outbox, "aarhus", CPR["ole.hansen"], NEW_PASSWORD)
    assert home.location == "/portal/aarhus/hjem"
    logout(ole, "aarhus")


def test_my_data_needs_a_portal_login(client):
    assert client.get("/portal/aarhus/mine-data").location == "/portal/aarhus"
