"""MitID-first login policy: cut-over, outage fallback, pickers, exemptions, sessions, access."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.models import AuditEvent, LoginSession, OutageFallbackSwitch
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import link_erhverv, login_as, login_with_mitid

# 2 October 2024 begins at 22:00 UTC on 1 October (Danish summer time).
BEFORE_CUTOVER = datetime(2024, 10, 1, 21, 59, tzinfo=UTC)
AT_CUTOVER = datetime(2024, 10, 1, 22, 0, tzinfo=UTC)


def password_login(client, user_id, password):
    return post_form(client, "/login/password", {"user_id": user_id, "password": password},
                     page="/login")


def switch(client, on: bool, reason="MitID svarer ikke (driftsstatus)"):
    return post_form(client, "/operator/fallback", {"on": "1" if on else "0", "reason": reason},
                     page="/operator/")


@pytest.fixture
def operator(app):
    """Lars Drift, logged in with MitID, on his own browser."""
    client = app.test_client()
    login_with_mitid(client, "lars.drift")
    return client


def test_before_cutover_both_methods_are_offered_and_the_date_shown(client, clock):
    clock.now = BEFORE_CUTOVER
    page = client.get("/login").get_data(as_text=True)
    assert "NEMLOG-IN" in page and "Kodeord" in page and "2. oktober 2024" in page
    answer = password_login(client, "hlu", "Klinikchef2024")
    assert answer.status_code == 303
    assert query_one(client.application, select(LoginSession))[0].method == "password"


def test_from_cutover_password_is_refused_and_points_to_mitid(client, clock):
    clock.now = AT_CUTOVER
    answer = password_login(client, "hlu", "Klinikchef2024")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "udfaset" in body and "NEMLOG-IN" in body
    assert 'value="hlu"' in body
    assert client.get("/").status_code == 302


def test_never_linked_account_is_pointed_to_onboarding(client, clock):
    clock.now = AT_CUTOVER
    body = password_login(client, "ato", "Kirpacs2024").get_data(as_text=True)
    assert "første gang knytter du dit MitID til din brugerkonto" in body


def test_wrong_password_after_cutover_says_wrong_password_not_policy(client, clock):
    clock.now = AT_CUTOVER
    body = password_login(client, "hlu", "forkert").get_data(as_text=True)
    assert "Forkert bruger ID eller kodeord." in body and "udfaset" not in body


def test_exempt_external_user_logs_in_with_password_after_cutover(app, client, clock):
    clock.now = AT_CUTOVER
    answer = password_login(client, "bente.ext", "Bogholder2024")
    assert (answer.status_code, answer.location) == (303, "/")
    page = client.get("/").get_data(as_text=True)
    assert "Begrænset adgang" in page and "trække undtagelsen tilbage" in page
    row = query_one(app, select(LoginSession))[0]
    assert (row.method, row.function) == ("exempt", "external")


def test_fallback_on_lets_everyone_with_a_password_in_and_off_ends_their_sessions(
        app, client, operator):
    refused = password_login(client, "ato", "Kirpacs2024")
    assert refused.status_code == 422
    assert switch(operator, True).status_code == 303
    assert "MitID-nedbrud: log ind med brugernavn og adgangskode" in client.get(
        "/login").get_data(as_text=True)
    assert password_login(client, "ato", "Kirpacs2024").status_code == 303
    assert client.get("/").status_code == 200
    mitid_user = app.test_client()
    login_with_mitid(mitid_user, "hanne.lund")

    assert switch(operator, False, "MitID kører igen").status_code == 303
    assert client.get("/").status_code == 302  # the fallback session ended
    assert mitid_user.get("/").status_code == 200  # MitID sessions go on
    assert operator.get("/operator/").status_code == 200
    ended = query_one(app, select(LoginSession).where(LoginSession.method == "fallback"))
    assert ended[0].ended_reason == "fallback_off"
    events = query_one(app, select(AuditEvent).where(AuditEvent.action.like("outage_fallback%")))
    assert [e.action for e in events] == ["outage_fallback_on", "outage_fallback_off"]
    assert all(e.actor.startswith("operator:") and "MitID" in e.detail for e in events)


def test_fallback_switch_needs_a_reason(operator):
    answer = switch(operator, True, reason="  ")
    assert answer.status_code == 422 and "Skriv en begrundelse." in answer.get_data(as_text=True)


def test_only_operators_switch_the_fallback(app):
    hanne = app.test_client()
    login_with_mitid(hanne, "hanne.lund")
    assert hanne.get("/operator/").status_code == 403
    assert switch(hanne, True).status_code in (400, 403)  # no page to take a token from
    assert query_one(app, select(OutageFallbackSwitch)) == []


def test_cli_switches_the_fallback_on_and_off(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outage-fallback", "on"]).exit_code != 0  # reason required
    on = runner.invoke(args=["outage-fallback", "on", "--reason", "MitID nede"])
    assert on.exit_code == 0 and "on" in on.output
    assert runner.invoke(args=["outage-fallback", "status"]).output.strip() == "on"
    runner.invoke(args=["outage-fallback", "off", "--reason", "MitID oppe"])
    assert runner.invoke(args=["outage-fallback", "status"]).output.strip() == "off"
    rows = query_one(app, select(OutageFallbackSwitch).order_by(OutageFallbackSwitch.id))
    assert [(r.on, r.switched_by.startswith("cli:")) for r in rows] == [(True, True), (False, True)]


def test_clinic_picker_for_two_clinics_and_switching_without_logout(app, client):
    assert login_with_mitid(client, "mette.kjaer").location == "/select/clinic"
    page = client.get("/select/clinic").get_data(as_text=True)
    assert "De klinikker du har adgang til" in page
    assert "Kiropraktisk Klinik Vejle" in page and "Rygcenter Aarhus" in page
    assert client.get("/").location == "/select/clinic"
    vejle = query_one(app, select(LoginSession))[0]
    ids = {c: i for c, i in [("vejle", 1), ("aarhus", 2)]}
    answer = post_form(client, "/select/clinic", {"clinic_id": ids["vejle"]})
    assert (answer.status_code, answer.location) == (303, "/")
    home = client.get("/").get_data(as_text=True)
    assert "Kiropraktisk Klinik Vejle · behandler" in home and "Skift klinik" in home
    post_form(client, "/select/clinic", {"clinic_id": ids["aarhus"]})
    assert "Rygcenter Aarhus · behandler" in client.get("/").get_data(as_text=True)
    assert query_one(app, select(LoginSession))[0].id == vejle.id  # same session


def test_clinic_picker_refuses_a_clinic_without_membership(client):
    login_with_mitid(client, "mette.kjaer")
    answer = post_form(client, "/select/clinic", {"clinic_id": 3})  # odense
    assert answer.status_code == 422 and "Vælg en klinik." in answer.get_data(as_text=True)


def test_mitid_erhverv_preselects_the_organisation(client):
    link_erhverv(client, "mette.kjaer", "10000002")  # her Erhverv identity is linked once
    post_form(client, "/logout", {}, page="/select/clinic")
    login_with_mitid(client, "mette.kjaer", login_as="10000002")
    page = client.get("/select/clinic").get_data(as_text=True)
    assert 'value="2" checked' in page and 'value="1" checked' not in page


def test_one_clinic_one_function_goes_straight_to_start(client):
    assert login_with_mitid(client, "hanne.lund").location == "/"
    assert "Rygcenter Aarhus · administrator" in client.get("/").get_data(as_text=True)


def test_function_picker_for_two_functions(app, client):
    assert login_with_mitid(client, "jonas.holm").location == "/select/function"
    page = client.get("/select/function").get_data(as_text=True)
    assert "behandler" in page and "sekretær" in page
    answer = post_form(client, "/select/function", {"function": "secretary"})
    assert answer.location == "/"
    assert "Rygcenter Aarhus · sekretær" in client.get("/").get_data(as_text=True)
    assert post_form(client, "/select/function", {"function": "administrator"}).status_code == 403


def test_session_ends_after_idle_time(app, client, clock):
    login_with_mitid(client, "hanne.lund")
    clock.now += timedelta(minutes=59)
    assert client.get("/").status_code == 200
    clock.now += timedelta(minutes=61)
    assert client.get("/").status_code == 302
    assert query_one(app, select(LoginSession))[0].ended_reason == "idle"


def test_session_length_is_configurable(app, client, clock):
    app.config["STAFF_SESSION_HOURS"] = 2
    login_with_mitid(client, "hanne.lund")
    for _ in range(4):
        clock.now += timedelta(minutes=29)
        assert client.get("/").status_code == 200
    clock.now += timedelta(minutes=5)
    assert client.get("/").status_code == 302


def test_user_sees_open_sessions_and_ends_another(app):
    office, home = app.test_client(), app.test_client()
    login_with_mitid(office, "hanne.lund")
    login_with_mitid(home, "hanne.lund")
    page = office.get("/profile/sessions").get_data(as_text=True)
    assert page.count("Afslut</button>") == 1 and "Denne session" in page
    home_id = max(r.id for r in query_one(app, select(LoginSession)))
    ended = post_form(office, f"/profile/sessions/{home_id}/end", {}, page="/profile/sessions")
    assert ended.status_code == 303
    assert home.get("/").status_code == 302 and office.get("/").status_code == 200


def test_user_cannot_end_someone_elses_session(app):
    hanne, jonas = app.test_client(), app.test_client()
    login_with_mitid(hanne, "hanne.lund")
    login_with_mitid(jonas, "jonas.holm")
    jonas_id = max(r.id for r in query_one(app, select(LoginSession)))
    answer = post_form(hanne, f"/profile/sessions/{jonas_id}/end", {}, page="/profile/sessions")
    assert answer.status_code == 404 and jonas.get("/select/function").status_code == 200


def test_clinical_pages_follow_the_function(app):
    clinician = login_as(app.test_client(), "jonas.holm", function="clinician")
    assert clinician.get("/clinic/clinical").status_code == 200
    secretary = login_as(app.test_client(), "jonas.holm", function="secretary")
    assert secretary.get("/clinic/clinical").status_code == 403
    assert "Kliniske systemer" not in secretary.get("/").get_data(as_text=True)
