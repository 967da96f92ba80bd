"""Glemt adgangskode (neutral answer, single-use 1-hour link) and the clinic's activation link."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.blueprints.portal.accounts import PortalAccountError, create_portal_user_from_record
from app.core.db import get_session
from app.models import PatientRecord, PortalSession
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.mail import link_from
from tests.helpers.portal import (
    CPR,
    NEW_PASSWORD,
    PASSWORD,
    add_record,
    assert_no_cpr,
    code_login,
    logout,
    portal_mitid,
    portal_user,
    register,
    start_code_login,
)

SOFIE = CPR["sofie.nielsen"]


def _forgot(client, cpr, email):
    return post_form(client, "/portal/aarhus/glemt-adgangskode", {"cpr": cpr, "email": email})


def _answer_text(response) -> str:
    body = response.get_data(as_text=True)
    return re.sub(r'value="[^"]*"', "", body[body.index("<main"):])


@pytest.fixture
def sofie(client, outbox):
    """Sofie registered at Rygcenter Aarhus (auto) and logged out again."""
    register(client, "aarhus")
    logout(client, "aarhus")
    return client


def test_forgot_password_gives_one_neutral_answer_and_mails_only_a_match(sofie, outbox):
    page = sofie.get("/portal/aarhus/glemt-adgangskode").get_data(as_text=True)
    for label in ("CPR-nummer", "Skjul CPR-nummer", "E-mail", 'value="Nulstil adgangskode"'):
        assert label in page
    answers = [
        _forgot(sofie, SOFIE, "sofie.nielsen@example.dk"),
        _forgot(sofie, SOFIE, "someone.else@example.dk"),
        _forgot(sofie, CPR["karen.jensen"], "karen.jensen@example.dk"),
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({_answer_text(a) for a in answers}) == 1
    assert "Hvis CPR-nummeret og e-mailadressen passer" in answers[0].get_data(as_text=True)
    [mail] = outbox
    assert mail.recipients == ["sofie.nielsen@example.dk"]
    assert "/portal/aarhus/nulstil/" in mail.text and "1 time" in mail.text
    assert_no_cpr(mail.subject + mail.text, SOFIE)


def test_reset_link_sets_a_new_password_once(app, sofie, outbox):
    _forgot(sofie, SOFIE, "sofie.nielsen@example.dk")
    link = link_from(outbox[-1])
    page = sofie.get(link).get_data(as_text=True)
    assert "<h1>Vælg ny adgangskode</h1>" in page and "Bekræft adgangskode" in page
    weak = post_form(sofie, link, {"password": "svag", "password_confirm": "svag"})
    assert weak.status_code == 422 and "mindst 8 tegn" in weak.get_data(as_text=True)

    done = post_form(sofie, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert (done.status_code, done.location) == (303, "/portal/aarhus")
    assert "Din adgangskode er gemt" in sofie.get("/portal/aarhus").get_data(as_text=True)
    assert start_code_login(sofie, "aarhus", SOFIE, PASSWORD).status_code == 422
    assert code_login(sofie, outbox, "aarhus", SOFIE, NEW_PASSWORD).location == (
        "/portal/aarhus/hjem")

    logout(sofie, "aarhus")
    reused = sofie.get(link)
    assert reused.status_code == 400
    assert "Linket er allerede brugt" in reused.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(sofie, outbox, clock):
    _forgot(sofie, SOFIE, "sofie.nielsen@example.dk")
    link = link_from(outbox[-1])
    clock.now += timedelta(minutes=59)
    assert sofie.get(link).status_code == 200
    clock.now += timedelta(minutes=2)
    expired = post_form(sofie, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                   page="/portal/aarhus")
    body = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "Linket er udløbet" in body
    assert 'href="/portal/aarhus/glemt-adgangskode"' in body
    assert start_code_login(sofie, "aarhus", SOFIE, NEW_PASSWORD).status_code == 422


def test_a_tampered_reset_link_is_invalid(sofie, outbox):
    _forgot(sofie, SOFIE, "sofie.nielsen@example.dk")
    link = link_from(outbox[-1])
    broken = sofie.get(link[:-3] + "abc")
    assert broken.status_code == 400 and "Linket er ugyldigt" in broken.get_data(as_text=True)
    assert sofie.get("/portal/vejle/aktiver/" + link.rsplit("/", 1)[1]).status_code == 400


def test_a_new_password_ends_open_sessions(app, sofie, outbox):
    other = app.test_client()
    portal_mitid(other, "aarhus", "sofie.nielsen")
    assert other.get("/portal/aarhus/hjem").status_code == 200
    _forgot(sofie, SOFIE, "sofie.nielsen@example.dk")
    post_form(sofie, link_from(outbox[-1]), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert other.get("/portal/aarhus/hjem").location == "/portal/aarhus"
    assert all(s.ended_at for s in query_one(app, select(PortalSession)))


def _clinic_creates(app, key, persona, **record):
    record_id = add_record(app, key, persona, **record)
    with app.test_request_context():
        row = get_session().get(PatientRecord, record_id)
        return create_portal_user_from_record(record=row, staff_user_id=7)


def test_clinic_created_user_activates_and_first_login_needs_mitid(app, client, outbox):
    link = _clinic_creates(app, "odense", "karen.jensen", email="karen.jensen@example.dk")
    assert link.created is True and link.portal_user.created_by == "staff:7"
    user = portal_user(app, "karen.jensen")
    assert user.activated_at is None and user.password_hash is None
    [mail] = outbox
    assert mail.recipients == ["karen.jensen@example.dk"] and "7 dage" in mail.text
    assert_no_cpr(mail.subject + mail.text, CPR["karen.jensen"])
    activation = link_from(mail)
    assert activation.startswith("/portal/odense/aktiver/")
    page = client.get(activation).get_data(as_text=True)
    assert "<h1>Aktivér din bruger</h1>" in page and "Lægehuset Odense" in page

    done = post_form(client, activation, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert done.location == "/portal/odense"
    assert "bekræftes med MitID" in client.get("/portal/odense").get_data(as_text=True)
    assert portal_user(app, "karen.jensen").activated_at is not None
    assert client.get(activation).status_code == 400  # used

    refused = start_code_login(client, "odense", CPR["karen.jensen"])
    assert "Ved første login skal din identitet bekræftes med MitID" in refused.get_data(
        as_text=True)
    assert portal_mitid(client, "odense", "karen.jensen").location == "/portal/odense/hjem"
    logout(client, "odense")
    assert code_login(client, outbox, "odense", CPR["karen.jensen"]).location == (
        "/portal/odense/hjem")


def test_clinic_created_user_without_mitid_logs_in_with_security_code(app, client, outbox):
    _clinic_creates(app, "odense", "ole.hansen", email="ole.hansen@example.dk", no_mitid=True)
    activation = link_from(outbox[-1])
    post_form(client, activation, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert "Du kan nu logge ind med sikkerhedskode" in client.get("/portal/odense").get_data(
        as_text=True)
    assert code_login(client, outbox, "odense", CPR["ole.hansen"]).location == (
        "/portal/odense/hjem")
    assert portal_user(app, "ole.hansen").mitid_verified_at is None


def test_activation_link_expires_after_7_days(app, client, outbox, clock):
    _clinic_creates(app, "odense", "ole.hansen", email="ole.hansen@example.dk")
    activation = link_from(outbox[-1])
    clock.now += timedelta(days=7, minutes=1)
    expired = client.get(activation)
    assert expired.status_code == 400 and "Linket er udløbet" in expired.get_data(as_text=True)


def test_clinic_links_an_existing_user_and_needs_an_email_for_a_new_one(app, client, outbox):
    register(client, "aarhus")
    link = _clinic_creates(app, "odense", "sofie.nielsen", email="anden@example.dk")
    assert link.created is False and link.portal_user.email == "sofie.nielsen@example.dk"
    assert outbox == []
    records = query_one(app, select(PatientRecord).where(PatientRecord.first_name == "Sofie"))
    assert [r.portal_user_id for r in records] == [link.portal_user.id] * 2  # Aarhus and Odense
    with pytest.raises(PortalAccountError, match="no_email"):
        _clinic_creates(app, "odense", "ole.hansen")
    assert portal_user(app, "ole.hansen") is None


@pytest.mark.ratelimit
def test_forgot_password_is_rate_limited(client, outbox):
    answers = [_forgot(client, SOFIE, "sofie.nielsen@example.dk").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
