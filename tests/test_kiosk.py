"""Kiosk mode: enrolled devices only, idle reset on the server, revocation, nothing left behind."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AuditEvent, KioskDevice, PortalSession, PortalUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form, query
from tests.helpers.portal import mitid_back, on_to_mitid, portal_mitid, register, registration_data
from tests.helpers.staff import login_as


def enrol_kiosk(app, name="Venteværelset"):
    """Hanne (administrator, Aarhus) enrols a new tablet; returns the tablet's client."""
    tablet = login_as(app.test_client(), "hanne.lund")
    page = post_form(tablet, "/clinic/kiosks", {"name": name}).get_data(as_text=True)
    link = re.search(r'<code class="kiosk-link">([^<]+)</code>', page).group(1)
    enrolled = tablet.get(link.replace("http://localhost", ""))
    assert enrolled.status_code == 200 and "Kiosken er tilmeldt" in enrolled.get_data(as_text=True)
    post_form(tablet, "/logout", {}, page="/")
    return tablet, link


def test_a_device_that_is_not_enrolled_gets_no_kiosk(client):
    assert client.get("/kiosk/aarhus").status_code == 403


def test_enrolled_device_shows_the_start_screen(app):
    tablet, _link = enrol_kiosk(app)
    page = tablet.get("/kiosk/aarhus")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rygcenter Aarhus" in body
    for action in ("Opret bruger", "Registrer dig hos klinikken", "Tjek dine kontaktoplysninger",
                   "Afslut", "Jeg er her stadig", "English"):
        assert action in body
    assert 'href="http' not in body  # no way out of the kiosk
    assert page.headers["Cache-Control"] == "no-store"
    assert tablet.get("/kiosk/vejle").status_code == 403  # enrolled for Aarhus only


def test_enrolment_link_works_once_and_expires(app, clock):
    _tablet, link = enrol_kiosk(app)
    again = login_as(app.test_client(), "hanne.lund")
    assert again.get(link.replace("http://localhost", "")).status_code == 410
    page = post_form(again, "/clinic/kiosks", {"name": "Nummer to"}).get_data(as_text=True)
    late = re.search(r'<code class="kiosk-link">([^<]+)</code>', page).group(1)
    clock.now += timedelta(minutes=16)
    assert again.get(late.replace("http://localhost", "")).status_code == 410


def test_only_administrators_manage_kiosks(app):
    jonas = login_as(app.test_client(), "jonas.holm", function="secretary")
    assert jonas.get("/clinic/kiosks").status_code == 403


def test_revoked_device_is_no_kiosk(app):
    tablet, _link = enrol_kiosk(app)
    hanne = login_as(app.test_client(), "hanne.lund")
    device = query_one(app, select(KioskDevice))[0]
    post_form(hanne, f"/clinic/kiosks/{device.id}/revoke", {}, page="/clinic/kiosks")
    assert tablet.get("/kiosk/aarhus").status_code == 403
    actions = {e.action for e in query_one(app, select(AuditEvent))}
    assert {"kiosk_created", "kiosk_enrolled", "kiosk_revoked"} <= actions


def test_idle_timeout_resets_on_the_next_request(app, clock):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    with tablet.session_transaction() as session:
        session["left_behind"] = "previous person's data"
    clock.now += timedelta(seconds=60)
    tablet.get("/kiosk/aarhus")
    with tablet.session_transaction() as session:
        assert session["left_behind"] == "previous person's data"  # still within 90 s
    clock.now += timedelta(seconds=91)
    page = tablet.get("/kiosk/aarhus").get_data(as_text=True)
    assert "Skærmen er nulstillet." in page
    with tablet.session_transaction() as session:
        assert "left_behind" not in session


def test_afslut_ends_the_session_on_the_server(app):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    with tablet.session_transaction() as session:
        session["left_behind"] = "x"
    answer = post_form(tablet, "/kiosk/aarhus/end", {}, page="/kiosk/aarhus")
    assert answer.location == "/kiosk/aarhus"
    with tablet.session_transaction() as session:
        assert "left_behind" not in session and set(session) <= {"kiosk", "csrf_token", "lang"}


@pytest.mark.parametrize("htmx", [True, False])
def test_still_here_restarts_the_idle_clock(app, clock, htmx):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    with tablet.session_transaction() as session:
        session["left_behind"] = "x"
    clock.now += timedelta(seconds=80)
    page = tablet.get("/kiosk/aarhus").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    headers = {"HX-Request": "true"} if htmx else {}
    answer = tablet.post("/kiosk/aarhus/still-here", data={"csrf_token": token},
                         headers=headers)
    assert answer.status_code == (204 if htmx else 303)
    clock.now += timedelta(seconds=80)
    tablet.get("/kiosk/aarhus")
    with tablet.session_transaction() as session:
        assert session["left_behind"] == "x"


# --- Kiosk mode inside the patient portal -------------------------------------------------


def kiosk_start(tablet, action: str):
    """Tap an action on the start screen; the portal page it leads to."""
    answer = tablet.get(f"/kiosk/aarhus/start/{action}")
    assert answer.status_code == 302
    return answer.location


def test_registration_on_the_kiosk_ends_by_itself_and_leaves_nothing(app):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    entry = kiosk_start(tablet, "register")
    assert entry == "/portal/aarhus/opret"
    form = tablet.get(entry).get_data(as_text=True)
    assert 'type="password"' in re.search(r'<input[^>]*name="cpr"[^>]*>', form).group(0)
    assert "Tidsbestilling" not in form and 'href="http' not in form
    sent = post_form(tablet, entry, registration_data())
    authorize = on_to_mitid(tablet, "aarhus", sent)
    assert query(authorize)["prompt"] == "login"  # the next person never reuses an IdP session
    back = mitid_back(tablet, authorize, "sofie.nielsen")
    assert back.location == "/kiosk/aarhus/done"
    start = tablet.get(back.location)
    assert start.location == "/kiosk/aarhus?done=1"
    assert "Tak. Du er færdig" in tablet.get(start.location).get_data(as_text=True)
    with tablet.session_transaction() as session:
        assert set(session) <= {"kiosk", "csrf_token", "lang"}
    assert all(row.ended_at is not None for row in query_one(app, select(PortalSession)))
    back_button = tablet.get("/portal/aarhus/hjem")  # what Back would ask for again
    assert back_button.status_code == 302 and "Sofie" not in back_button.get_data(as_text=True)


def test_idle_kiosk_portal_page_returns_to_start_and_ends_the_portal_session(app, clock):
    register(app.test_client(), "aarhus", "karen.jensen")  # at home, earlier
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    kiosk_start(tablet, "contact")
    assert portal_mitid(tablet, "aarhus", "karen.jensen").status_code in (302, 303)
    assert tablet.get("/portal/aarhus/hjem").status_code == 200
    clock.now += timedelta(seconds=91)
    answer = tablet.get("/portal/aarhus/hjem")
    assert answer.location == "/kiosk/aarhus?reset=1"
    assert "Skærmen er nulstillet." in tablet.get(answer.location).get_data(as_text=True)
    kiosk_rows = query_one(app, select(PortalSession).where(PortalSession.kiosk_device_id.is_not(
        None)))
    assert len(kiosk_rows) == 1 and kiosk_rows[0].ended_at is not None
    assert "Karen" not in tablet.get("/kiosk/aarhus").get_data(as_text=True)


def test_contact_check_on_the_kiosk(app, outbox):
    register(app.test_client(), "aarhus", "karen.jensen")  # at home, earlier
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    kiosk_start(tablet, "contact")
    portal_mitid(tablet, "aarhus", "karen.jensen")
    home = tablet.get("/portal/aarhus/hjem").get_data(as_text=True)
    assert "Ret e-mail og mobil" in home and "Klinikkens tjenester" not in home
    assert "Afslut" in home and "Log ud" not in home
    answer = post_form(tablet, "/portal/aarhus/bekraeft", {"email": "karen.ny@example.dk",
                                                      "mobile": "20000009"})
    assert answer.location == "/kiosk/aarhus/done"
    assert portal_user_email(app) == "karen.ny@example.dk"


def portal_user_email(app) -> str:
    return query_one(app, select(PortalUser))[0].email


def test_kiosk_cannot_wander_to_another_clinics_portal(app):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    kiosk_start(tablet, "join")
    assert tablet.get("/portal/vejle").location == "/kiosk/aarhus"


def test_a_copied_kiosk_session_cookie_is_useless_elsewhere(app):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    kiosk_start(tablet, "join")
    stranger = app.test_client()
    stranger.set_cookie("session", tablet.get_cookie("session").value)
    assert stranger.get("/portal/aarhus").status_code == 403



def test_after_a_reset_the_kiosk_shows_no_portal_page_outside_an_action(app):
    tablet, _link = enrol_kiosk(app)
    tablet.get("/kiosk/aarhus")
    kiosk_start(tablet, "register")
    post_form(tablet, "/kiosk/aarhus/end", {}, page="/kiosk/aarhus")
    for path in ("/portal/aarhus/opret", "/portal/aarhus", "/portal/vejle/opret",
                 "/portal/aarhus/mine-data"):
        assert tablet.get(path).location == "/kiosk/aarhus", path  # what Back would reload
