"""MitID Erhverv identities of their own (issue 18): each has its own `sub`; a new one of an
onboarded person is linked by confirming with an identity already linked, not the legacy
password; Min profil lists the links and removes one."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AuditEvent, LoginSession, MitIDLink, Onboarding, StaffUser
from app.simulator import add_identity, subject_for
from tests.helpers.db import query_one
from tests.helpers.http import app_path, post_form
from tests.helpers.mitid import simulator_browser, walk_simulator
from tests.helpers.staff import (
    CLINIC_IDS,
    confirm_with_mitid,
    link_erhverv,
    login_with_mitid,
    not_onboarded,
    onboard_until,
)

VEJLE_CVR, AARHUS_CVR, ODENSE_CVR = "10000001", "10000002", "10000003"
TTL = timedelta(minutes=30)  # ONBOARDING_TTL_SECONDS by default


def links_of(app, legacy_user_id: str) -> list[MitIDLink]:
    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id))[0]
    return query_one(app, select(MitIDLink).where(MitIDLink.staff_user_id == user.id)
                     .order_by(MitIDLink.id))


def audits(app, action: str) -> list[dict]:
    rows = query_one(app, select(AuditEvent).where(AuditEvent.action == action))
    return [json.loads(row.detail or "{}") | {"actor": row.actor} for row in rows]


def log_out(client, page: str = "/") -> None:
    """Log ud (the next NEMLOG-IN in this browser asks MitID for credentials again)."""
    assert post_form(client, "/logout", {}, page=page).status_code in (302, 303)


def header_of(client) -> str:
    return client.get("/").get_data(as_text=True)


def into(client, clinic: str):
    """At the clinic picker: the preselected clinic is chosen (Vælg)."""
    page = client.get("/select/clinic").get_data(as_text=True)
    assert f'value="{CLINIC_IDS[clinic]}" checked' in page
    assert page.count(" checked") == 1
    return post_form(client, "/select/clinic", {"clinic_id": CLINIC_IDS[clinic]})


@pytest.fixture
def mette_new(app):
    """Mette Kjær (Vejle and Aarhus) before her first MitID login."""
    not_onboarded(app, "mkj")


def test_mette_onboards_privately_then_links_erhverv_aarhus_without_the_password(
        app, client, outbox, mette_new):
    onboard_until(client, outbox, "mette.kjaer", "consent", email="mette@example.dk")
    assert post_form(client, "/onboarding/consent", {}).location == "/select/clinic"
    log_out(client, page="/select/clinic")
    mails = len(outbox)

    first = login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    assert first.location == "/onboarding/"
    page = client.get("/onboarding/link").get_data(as_text=True)
    assert "Velkommen Mette Kjær" in page and "Rygcenter Aarhus (CVR 10000002)" in page
    assert 'href="/onboarding/link/mitid"' in page and "Bekræft med dit private MitID" in page

    linked = confirm_with_mitid(client, "mette.kjaer")
    assert linked.location == "/select/clinic"
    assert into(client, "aarhus").location == "/"
    assert "Rygcenter Aarhus · behandler" in header_of(client)
    assert len(outbox) == mails  # no code, no contact step, no consent again

    private, aarhus = links_of(app, "mkj")
    assert (private.idp, private.cvr, private.sub) == ("mitid", None, subject_for("mette.kjaer"))
    assert (aarhus.idp, aarhus.identity_type, aarhus.cvr, aarhus.org_name) == (
        "mitid_erhverv", "professional", AARHUS_CVR, "Rygcenter Aarhus")
    assert aarhus.sub == subject_for("mette.kjaer", AARHUS_CVR)
    assert len(aarhus.professional_id) == 36 and aarhus.last_used_at is not None
    assert [a["cvr"] for a in audits(app, "mitid_linked")] == [None, AARHUS_CVR]
    assert query_one(app, select(Onboarding)) == []
    session = query_one(app, select(LoginSession).order_by(LoginSession.id.desc()))[0]
    assert session.mitid_link_id == aarhus.id


def test_erhverv_at_two_clinics_each_preselects_its_clinic(app, client):
    """Mette (onboarded privately) links her MitID Erhverv of Vejle and of Aarhus."""
    assert link_erhverv(client, "mette.kjaer", VEJLE_CVR).location == "/select/clinic"
    log_out(client, page="/select/clinic")
    assert link_erhverv(client, "mette.kjaer", AARHUS_CVR).location == "/select/clinic"
    log_out(client, page="/select/clinic")
    assert [link.cvr for link in links_of(app, "mkj")] == [None, VEJLE_CVR, AARHUS_CVR]

    for cvr, clinic, name in [(VEJLE_CVR, "vejle", "Kiropraktisk Klinik Vejle"),
                              (AARHUS_CVR, "aarhus", "Rygcenter Aarhus")]:
        assert login_with_mitid(client, "mette.kjaer", login_as=cvr).location == "/select/clinic"
        assert into(client, clinic).location == "/"
        assert f"{name} · behandler" in header_of(client)
        log_out(client)


def test_private_and_erhverv_log_in_to_one_account(app, client):
    link_erhverv(client, "mette.kjaer", AARHUS_CVR)
    log_out(client, page="/select/clinic")
    assert login_with_mitid(client, "mette.kjaer").location == "/select/clinic"
    assert " checked" not in client.get("/select/clinic").get_data(as_text=True)
    log_out(client, page="/select/clinic")
    assert login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR).location \
        == "/select/clinic"
    private, aarhus = links_of(app, "mkj")
    sessions = query_one(app, select(LoginSession).order_by(LoginSession.id))
    assert {s.staff_user_id for s in sessions} == {private.staff_user_id}
    assert [s.mitid_link_id for s in sessions] == [aarhus.id, private.id, aarhus.id]
    assert [s.idp for s in sessions[1:]] == ["mitid", "mitid_erhverv"]


def test_the_legacy_password_no_longer_links_an_onboarded_account(app, client):
    login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    answer = post_form(client, "/onboarding/link", {"user_id": "mkj", "password": "Rygcenter2024"})
    assert answer.status_code == 422
    assert "bekræfte med dit private MitID" in answer.get_data(as_text=True)
    assert len(links_of(app, "mkj")) == 1


def test_a_first_onboarding_with_erhverv_and_the_password_keeps_the_organisation(
        app, client, outbox, mette_new):
    onboard_until(client, outbox, "mette.kjaer", "consent", login_as=VEJLE_CVR)
    assert post_form(client, "/onboarding/consent", {}).location == "/select/clinic"
    assert 'value="1" checked' in client.get("/select/clinic").get_data(as_text=True)
    [link] = links_of(app, "mkj")
    assert (link.idp, link.cvr, link.org_name) == ("mitid_erhverv", VEJLE_CVR,
                                                   "Kiropraktisk Klinik Vejle")


def _erhverv_person(simulator, name: str, cvr: str, org_name: str) -> str:
    """A MitID Erhverv identity of its own at the simulator (a person's second MitID user)."""
    user_id = f"e.{uuid.uuid4().hex[:10]}"
    add_identity(simulator, mitid_user_id=user_id, name=name, cpr="040485-2468",
                 erhverv=[{"cvr": cvr, "org_name": org_name}])
    return user_id


def test_a_cvr_of_no_clinic_of_the_account_is_refused(app, client, simulator):
    odense = _erhverv_person(simulator, "Mette Kjær", ODENSE_CVR, "Lægehuset Odense")
    assert login_with_mitid(client, odense, login_as=ODENSE_CVR).location == "/onboarding/"
    answer = confirm_with_mitid(client, "mette.kjaer")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "ikke er en af brugerkontoens klinikker" in body
    assert len(links_of(app, "mkj")) == 1
    [refusal] = audits(app, "mitid_link_refused_cvr")
    assert refusal["cvr"] == ODENSE_CVR and refusal["actor"].startswith("staff:")
    assert client.get("/").status_code == 302  # not logged in


def test_another_persons_private_mitid_cannot_adopt_mettes_erhverv_identity(app, client):
    """Jonas (Aarhus too) confirms Mette's new Erhverv identity with his own MitID: refused."""
    login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    answer = confirm_with_mitid(client, "jonas.holm")
    assert answer.status_code == 403
    assert "passer ikke med navnet på brugerkontoen" in answer.get_data(as_text=True)
    assert len(links_of(app, "jho")) == 1 and len(links_of(app, "mkj")) == 1
    assert query_one(app, select(MitIDLink).where(
        MitIDLink.sub == subject_for("mette.kjaer", AARHUS_CVR))) == []
    assert len(audits(app, "mitid_link_refused_name")) == 1
    assert client.get("/").status_code == 302
    assert client.get("/onboarding/link").location == "/login"  # the pending one is gone


def test_an_erhverv_identity_in_another_name_is_refused(app, client, simulator):
    other = _erhverv_person(simulator, "Mette Hansen", AARHUS_CVR, "Rygcenter Aarhus")
    login_with_mitid(client, other, login_as=AARHUS_CVR)
    answer = confirm_with_mitid(client, "mette.kjaer")
    assert answer.status_code == 403 and len(links_of(app, "mkj")) == 1
    assert len(audits(app, "mitid_link_refused_name")) == 1


def test_confirming_with_an_identity_not_linked_is_refused_and_may_be_retried(app, client):
    login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    answer = confirm_with_mitid(client, "asger.torring")  # not onboarded: linked to nothing
    assert answer.status_code == 403
    assert "ikke knyttet til en brugerkonto" in answer.get_data(as_text=True)
    assert confirm_with_mitid(client, "mette.kjaer").location == "/select/clinic"
    assert len(links_of(app, "mkj")) == 2 and len(links_of(app, "ato")) == 0


def test_a_stale_pending_onboarding_cannot_be_used(app, client, clock):
    login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    start = client.get("/onboarding/link/mitid")
    back = walk_simulator(start.location, "mette.kjaer", browser=simulator_browser(client))
    clock.now += TTL
    answer = client.get(app_path(back))
    assert answer.status_code == 410 and "Din onboarding er udløbet" in answer.get_data(as_text=True)
    assert len(links_of(app, "mkj")) == 1 and len(audits(app, "mitid_link_refused_expired")) == 1
    assert client.get("/").status_code == 302


def test_the_confirmation_is_bound_to_the_browser_that_started_it(app, client):
    """Another browser cannot finish this browser's round trip (the state is in its session)."""
    login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR)
    start = client.get("/onboarding/link/mitid")
    back = walk_simulator(start.location, "mette.kjaer", browser=simulator_browser(client))
    stranger = app.test_client()
    answer = stranger.get(app_path(back))
    assert answer.status_code == 400 and len(links_of(app, "mkj")) == 1
    assert client.get("/onboarding/link").status_code == 200  # still pending in its own browser


def test_a_private_identity_is_not_linked_by_confirmation(app, client, mette_new):
    """Only a new MitID Erhverv identity joins an account this way; a private one links as ever."""
    login_with_mitid(client, "mette.kjaer")
    assert "Bekræft med dit private MitID" not in client.get(
        "/onboarding/link").get_data(as_text=True)
    assert client.get("/onboarding/link/mitid").location == "/onboarding/link"


def test_min_profil_lists_the_identities_and_removes_one(app, client):
    link_erhverv(client, "mette.kjaer", AARHUS_CVR)
    log_out(client, page="/select/clinic")
    login_with_mitid(client, "mette.kjaer")  # the private MitID this time
    private, aarhus = links_of(app, "mkj")
    page = client.get("/profile/").get_data(as_text=True)
    assert "Privat MitID" in page and "MitID Erhverv – Rygcenter Aarhus (CVR 10000002)" in page
    assert "Du er logget ind med det" in page
    assert f'href="/profile/mitid/{aarhus.id}/remove"' in page
    assert f'href="/profile/mitid/{private.id}/remove"' not in page

    url = f"/profile/mitid/{aarhus.id}/remove"
    full, fragment = client.get(url), client.get(url, headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True) and "Ja, fjern det" in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="mitid-links"' in fragment.get_data(as_text=True)

    removed = post_form(client, url, {}, htmx=True)
    body = removed.get_data(as_text=True)
    assert removed.status_code == 200 and "MitID er fjernet fra din brugerkonto." in body
    assert "<html" not in body and "Rygcenter Aarhus" not in body
    assert [link.id for link in links_of(app, "mkj")] == [private.id]
    assert audits(app, "mitid_unlinked")[0]["cvr"] == AARHUS_CVR

    # The identity of this login cannot be removed; nor can somebody else's.
    mine = post_form(client, f"/profile/mitid/{private.id}/remove", {}, page="/profile/")
    assert mine.status_code == 400 and "kan ikke fjernes" in mine.get_data(as_text=True)
    jonas = links_of(app, "jho")[0]
    assert post_form(client, f"/profile/mitid/{jonas.id}/remove", {},
                     page="/profile/").status_code == 404
    log_out(client, page="/profile/")
    # Removed: the next login with it is a new identity again.
    assert login_with_mitid(client, "mette.kjaer", login_as=AARHUS_CVR).location \
        == "/onboarding/"


def test_removing_an_identity_without_js_ends_its_sessions_elsewhere(app, client):
    link_erhverv(client, "mette.kjaer", AARHUS_CVR)  # this browser: logged in with Erhverv
    other = app.test_client()
    login_with_mitid(other, "mette.kjaer")  # another computer, the private MitID
    aarhus = links_of(app, "mkj")[1]
    answer = post_form(other, f"/profile/mitid/{aarhus.id}/remove", {},
                       page=f"/profile/mitid/{aarhus.id}/remove")
    assert (answer.status_code, answer.location) == (303, "/profile/#mitid-links")
    assert "MitID er fjernet fra din brugerkonto." in other.get("/profile/").get_data(as_text=True)
    assert client.get("/").status_code == 302  # logged out where the removed identity was used
    ended = query_one(app, select(LoginSession).where(LoginSession.ended_reason == "mitid_unlinked"))
    assert len(ended) == 1 and ended[0].mitid_link_id is None
