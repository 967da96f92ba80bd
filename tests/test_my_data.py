"""Mine data for staff: the page, the JSON download, and that the export covers every table."""

import json

from sqlmodel import SQLModel

from tests.helpers.http import post_form
from tests.helpers.staff import login_with_mitid, onboard_until


def test_export_has_every_table_that_refers_to_a_staff_user(app, client, outbox):
    onboard_until(client, outbox, "asger.torring", "consent")
    post_form(client, "/onboarding/consent", {})
    answer = client.get("/profile/data.json")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data(as_text=True))
    referring = {table.name for table in SQLModel.metadata.sorted_tables
                 if any(fk.column.table.name == "staff_user" for fk in table.foreign_keys)}
    assert referring - {"membership"} <= set(data) and "membership" in data
    assert {"staff_user", "audit_event", "email_code"} <= set(data)
    assert data["staff_user"]["email"] == "privat@example.dk"
    assert data["staff_user"]["legacy_password_hash"] == "[skjult]"
    assert [c["action"] for c in data["consent_record"]] == ["given"]
    assert data["mitid_link"] and data["login_session"] and data["audit_event"]
    assert all(code["code_hash"] == "[skjult]" for code in data["email_code"])


def test_my_data_page_shows_profile_consents_and_logins(client):
    login_with_mitid(client, "hanne.lund")
    page = client.get("/profile/data").get_data(as_text=True)
    assert "Mine data" in page and "Hanne Lund" in page and "Rygcenter Aarhus" in page
    assert "Hent som JSON" in page and "Seneste logins" in page


def test_my_data_needs_login(client):
    assert client.get("/profile/data.json").status_code == 302
