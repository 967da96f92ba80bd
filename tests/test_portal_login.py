"""Login at the portal: security code (CPR + password + e-mailed code) and MitID, and sessions."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.blueprints.portal.accounts import create_portal_user_from_record, vouch_for_email
from app.core.db import get_session
from app.models import AuditEvent, PatientRecord, PortalSession
from tests.helpers.db import query_one
from tests.helpers.http import app_path, post_form, session_of
from tests.helpers.mail import code_from
from tests.helpers.mitid import walk_simulator
from tests.helpers.portal import (
    CPR,
    PASSWORD,
    add_record,
    assert_no_cpr,
    code_login,
    logout,
    portal_mitid,
    portal_user,
    register,
    registration_data,
    start_code_login,
)

SOFIE = CPR["sofie.nielsen"]


@pytest.fixture
def sofie(client, outbox):
    """Sofie registered at Rygcenter Aarhus (auto) and logged out again."""
    register(client, "aarhus")
    logout(client, "aarhus")
    return client


def test_security_code_login_with_htmx(app, sofie, outbox):
    first = start_code_login(sofie, "aarhus", SOFIE.replace("-", ""), htmx=True)
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and "<html" not in body
    assert first.headers["HX-Push-Url"] == "/portal/aarhus/log-ind/sikkerhedskode"
    assert "<h1>Log ind med sikkerhedskode</h1>" in body and "sof****@example.dk" in body
    assert "Sikkerhedskode" in body and 'value="Log ind"' in body
    [mail] = outbox
    assert mail.recipients == ["sofie.nielsen@example.dk"] and "sikkerhedskode" in mail.subject
    assert_no_cpr(mail.subject + mail.text, SOFIE)

    done = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code_from(mail)},
                htmx=True)
    assert done.headers["HX-Redirect"] == "/portal/aarhus/hjem"
    assert sofie.get("/portal/aarhus/hjem").status_code == 200
    methods = [s.method for s in query_one(app, select(PortalSession).order_by(PortalSession.id))]
    assert methods == ["mitid", "security_code"]


def test_security_code_login_without_js(sofie, outbox):
    done = code_login(sofie, outbox, "aarhus", SOFIE)
    assert (done.status_code, done.location) == (303, "/portal/aarhus/hjem")
    assert "Velkommen Sofie" in sofie.get("/portal/aarhus/hjem").get_data(as_text=True)


def test_wrong_and_expired_security_codes(app, sofie, outbox, clock):
    start_code_login(sofie, "aarhus", SOFIE)
    code = code_from(outbox[-1])
    wrong = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode",
                 {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422
    assert "Sikkerhedskoden er forkert." in wrong.get_data(as_text=True)
    assert portal_user(app, "sofie.nielsen").failed_login_count == 1
    clock.now += timedelta(minutes=11)
    expired = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code})
    assert expired.status_code == 422 and "udløbet" in expired.get_data(as_text=True)
    assert sofie.get("/portal/aarhus/hjem").location == "/portal/aarhus"


def test_the_code_step_needs_a_fresh_first_step(sofie, outbox, clock):
    assert sofie.get("/portal/aarhus/log-ind/sikkerhedskode").location == "/portal/aarhus"
    start_code_login(sofie, "aarhus", SOFIE)
    assert sofie.get("/portal/aarhus/log-ind/sikkerhedskode").status_code == 200
    assert sofie.get("/portal/vejle/log-ind/sikkerhedskode").location == "/portal/vejle"
    clock.now += timedelta(minutes=16)
    assert sofie.get("/portal/aarhus/log-ind/sikkerhedskode").location == "/portal/aarhus"


def test_failures_lock_the_user_for_a_growing_while(app, sofie, outbox, clock):
    for _ in range(4):  # three free failures, the fourth locks for 30 seconds
        refused = start_code_login(sofie, "aarhus", SOFIE, "Forkert2026x")
        assert refused.status_code == 422
    user = portal_user(app, "sofie.nielsen")
    assert user.failed_login_count == 4 and user.locked_until == clock.now + timedelta(seconds=30)
    locked = start_code_login(sofie, "aarhus", SOFIE, PASSWORD)
    assert locked.status_code == 422
    assert "Forkert CPR-nummer eller adgangskode." in locked.get_data(as_text=True)
    assert outbox == []
    clock.now += timedelta(seconds=31)
    assert code_login(sofie, outbox, "aarhus", SOFIE).location == "/portal/aarhus/hjem"
    assert portal_user(app, "sofie.nielsen").failed_login_count == 0


def test_unknown_cpr_gets_the_same_answer_as_a_wrong_password(sofie):
    unknown = start_code_login(sofie, "aarhus", CPR["karen.jensen"])
    wrong = start_code_login(sofie, "aarhus", SOFIE, "Forkert2026x")
    for answer in (unknown, wrong):
        assert answer.status_code == 422
        assert "Forkert CPR-nummer eller adgangskode." in answer.get_data(as_text=True)


def test_first_login_of_a_self_registered_user_needs_mitid_unless_the_clinic_vouched(
        app, client, outbox):
    post_form(client, "/portal/aarhus/opret", registration_data())  # MitID never completed
    refused = start_code_login(client, "aarhus", SOFIE)
    assert refused.status_code == 422
    assert "Ved første login skal din identitet bekræftes med MitID" in refused.get_data(
        as_text=True)
    assert outbox == []

    # "Patienten har ikke MitID" at another clinic does not count here.
    add_record(app, "vejle", "sofie.nielsen", email="sofie.nielsen@example.dk", no_mitid=True)
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422

    record_id = add_record(app, "aarhus", "sofie.nielsen", email="sofie.nielsen@example.dk",
                           mobile="+4520000003", no_mitid=True)
    with app.test_request_context():
        record = get_session().get(PatientRecord, record_id)
        link = create_portal_user_from_record(record=record, staff_user_id=1)
        assert link.created is False  # the existing (self-registered) user was linked
    assert outbox == []
    # Linking is not vouching: the clinic has not said the address is the patient's.
    assert start_code_login(client, "aarhus", SOFIE).status_code == 422
    with app.test_request_context():
        record = get_session().get(PatientRecord, record_id)
        vouch_for_email(record=record, staff_user_id=1, use_card_email=False)
    done = code_login(client, outbox, "aarhus", SOFIE)
    # Her unconfirmed registration never recorded the terms: she accepts them now, as herself.
    assert done.location == "/portal/aarhus/vilkaar/accepter"
    accepted = post_form(client, done.location, {})
    assert accepted.location == "/portal/aarhus/hjem"
    assert portal_user(app, "sofie.nielsen").activated_at is not None


def test_mitid_login_of_a_user_goes_to_the_home_page(app, sofie):
    back = portal_mitid(sofie, "aarhus", "sofie.nielsen")
    assert (back.status_code, back.location) == (302, "/portal/aarhus/hjem")
    assert session_of(app, sofie).get("portal_token")


def test_mitid_login_of_someone_without_a_user_offers_registration(client):
    back = portal_mitid(client, "aarhus", "karen.jensen")
    assert back.location == "/portal/aarhus/oprettelse/not_registered"
    page = client.get(back.location).get_data(as_text=True)
    assert "Du er ikke oprettet som bruger" in page and 'href="/portal/aarhus/opret"' in page
    assert client.get("/portal/aarhus/hjem").location == "/portal/aarhus"


@pytest.mark.parametrize(("sim_today", "app_day"), [
    (date(2026, 9, 29), 29),   # MitID says 14 and so does the CPR
    (date(2026, 11, 25), 29),  # MitID says 15, but on the app's clock the CPR says 14
])
def test_mitid_login_is_refused_under_15(app, client, simulator, clock, monkeypatch, sim_today,
                                         app_day):
    monkeypatch.setitem(simulator.config, "SIMULATOR_TODAY", sim_today)
    clock.now = clock.now.replace(month=9, day=app_day)
    back = portal_mitid(client, "aarhus", "lukas.nielsen")
    body = back.get_data(as_text=True)
    assert back.status_code == 403
    assert "Login med MitID kan ikke anvendes af eller på vegne af brugere under 15 år." in body
    assert "sikkerhedskode" in body and client.get("/portal/aarhus/hjem").location == "/portal/aarhus"
    assert query_one(app, select(AuditEvent).where(
        AuditEvent.action == "portal_mitid_refused_under_15"))


def test_mitid_login_on_the_15th_birthday_is_not_refused(client, simulator, clock, monkeypatch):
    monkeypatch.setitem(simulator.config, "SIMULATOR_TODAY", date(2026, 9, 30))
    clock.now = clock.now.replace(month=9, day=30)
    back = portal_mitid(client, "aarhus", "lukas.nielsen")
    assert back.location == "/portal/aarhus/oprettelse/not_registered"


def test_cancel_at_mitid_explains_and_offers_the_front_page(client):
    start = client.get("/portal/aarhus/mitid")
    back = client.get(app_path(walk_simulator(start.location, "sofie.nielsen", cancel=True)))
    body = back.get_data(as_text=True)
    assert back.status_code == 400 and "Login med MitID blev afbrudt" in body
    assert 'href="/portal/aarhus"' in body


def test_a_replayed_mitid_answer_is_refused(sofie):
    start = sofie.get("/portal/aarhus/mitid")
    back = walk_simulator(start.location, "sofie.nielsen")
    assert sofie.get(app_path(back)).location == "/portal/aarhus/hjem"
    replay = sofie.get(app_path(back))
    assert replay.status_code == 400 and "udløbet" in replay.get_data(as_text=True)


def test_citizen_authorization_request_uses_the_citizen_client_with_pkce(client):
    from tests.helpers.http import query

    params = query(client.get("/portal/aarhus/mitid").location)
    assert params["client_id"] == "klinikadgang-citizen" and "ssn" in params["scope"].split()
    assert params["code_challenge_method"] == "S256" and len(params["nonce"]) >= 20
    assert params["redirect_uri"] == "http://localhost/portal/mitid/callback"


def test_portal_session_ends_after_30_idle_minutes(app, sofie, clock):
    portal_mitid(sofie, "aarhus", "sofie.nielsen")
    clock.now += timedelta(minutes=29)
    assert sofie.get("/portal/aarhus/hjem").status_code == 200
    clock.now += timedelta(minutes=31)
    assert sofie.get("/portal/aarhus/hjem").location == "/portal/aarhus"
    newest = query_one(app, select(PortalSession).order_by(PortalSession.id.desc()))[0]
    assert newest.ended_at == clock.now


def test_a_portal_session_belongs_to_one_clinic(sofie):
    portal_mitid(sofie, "aarhus", "sofie.nielsen")
    assert sofie.get("/portal/vejle/hjem").location == "/portal/vejle"
    assert "<h1>Kiropraktisk Klinik Vejle</h1>" in sofie.get("/portal/vejle").get_data(
        as_text=True)
    assert sofie.get("/portal/aarhus/hjem").status_code == 200


def test_logout_ends_the_session_and_each_login_rotates_the_token(app, sofie):
    portal_mitid(sofie, "aarhus", "sofie.nielsen")
    first_token = session_of(app, sofie)["portal_token"]
    answer = logout(sofie, "aarhus")
    assert answer.location == "/portal/aarhus/logget-ud"  # without JS: "Log ud af MitID" there
    assert "portal_token" not in session_of(app, sofie)
    assert sofie.get("/portal/aarhus/hjem").location == "/portal/aarhus"
    portal_mitid(sofie, "aarhus", "sofie.nielsen")
    assert session_of(app, sofie)["portal_token"] != first_token
    sessions = query_one(app, select(PortalSession).order_by(PortalSession.id))
    assert [s.ended_at is None for s in sessions] == [False, False, True]


def test_wrong_security_codes_lock_the_user_too(app, sofie, outbox, clock):
    start_code_login(sofie, "aarhus", SOFIE)
    code = code_from(outbox[-1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):  # three free failures, the fourth locks for 30 seconds
        post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": wrong})
    locked = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code})
    assert locked.status_code == 422
    assert "For mange forkerte forsøg" in locked.get_data(as_text=True)
    clock.now += timedelta(seconds=31)
    done = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code})
    assert done.location == "/portal/aarhus/hjem"


def test_mitid_outage_explains_and_points_to_security_code(client, simulator):
    from app.simulator import set_outage

    set_outage(simulator, True)
    answer = client.get("/portal/aarhus/mitid")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "MitID svarer ikke lige nu" in body
    assert "sikkerhedskode" in body and 'href="/portal/aarhus"' in body


def test_logging_in_again_within_a_minute_sends_a_new_code(sofie, outbox):
    """A used code never holds back the next one: log in, log out, log in again at once."""
    code_login(sofie, outbox, "aarhus", SOFIE)
    logout(sofie, "aarhus")
    sent = len(outbox)
    again = start_code_login(sofie, "aarhus", SOFIE)
    assert len(outbox) == sent + 1, "the page says a code was sent: one must have been"
    assert "Vi har sendt en sikkerhedskode" in sofie.get(again.location).get_data(as_text=True)
    done = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code_from(outbox[-1])})
    assert (done.status_code, done.location) == (303, "/portal/aarhus/hjem")


def test_an_expired_code_never_holds_back_the_next_one(sofie, outbox, clock, app):
    app.config["EMAIL_CODE_RESEND_COOLDOWN"] = 15 * 60  # longer than the code lives
    start_code_login(sofie, "aarhus", SOFIE)
    clock.now += timedelta(minutes=11)
    sent = len(outbox)
    start_code_login(sofie, "aarhus", SOFIE)
    assert len(outbox) == sent + 1
    done = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code_from(outbox[-1])})
    assert done.location == "/portal/aarhus/hjem"


def test_a_second_login_within_the_cooldown_says_the_earlier_code_still_works(sofie, outbox):
    start_code_login(sofie, "aarhus", SOFIE)
    sent = len(outbox)
    again = start_code_login(sofie, "aarhus", SOFIE, htmx=True)
    body = again.get_data(as_text=True) + sofie.get("/portal/aarhus/log-ind/sikkerhedskode").text
    assert len(outbox) == sent, "the cooldown holds back a second mail"
    assert "Vi har sendt en sikkerhedskode" not in body
    assert "Vi sendte for lidt siden en sikkerhedskode" in body
    done = post_form(sofie, "/portal/aarhus/log-ind/sikkerhedskode", {"code": code_from(outbox[-1])})
    assert done.location == "/portal/aarhus/hjem"
