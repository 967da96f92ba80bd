"""Offboarding: ending a person's memberships ends their sessions there and, at last, their access."""

from sqlmodel import select

from app.models import AuditEvent, LoginSession, StaffUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_as, login_with_mitid


def user_id(app, legacy_user_id: str) -> int:
    return query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id))[0].id


def end_all(admin, app, legacy_user_id: str):
    uid = user_id(app, legacy_user_id)
    return post_form(admin, f"/clinic/memberships/{uid}/end", {},
                     page=f"/clinic/memberships/{uid}/end")


def test_ended_memberships_end_the_open_session_and_refuse_the_next_login(app):
    hanne = login_as(app.test_client(), "hanne.lund")
    jonas = login_as(app.test_client(), "jonas.holm", function="secretary")
    assert jonas.get("/clinic/patients/").status_code == 200
    assert end_all(hanne, app, "jho").status_code == 303
    assert jonas.get("/clinic/patients/").status_code == 302  # the session in flight ended
    rows = query_one(app, select(LoginSession).where(
        LoginSession.staff_user_id == user_id(app, "jho")))
    assert [r.ended_reason for r in rows] == ["membership_ended"]
    again = login_with_mitid(app.test_client(), "jonas.holm")
    body = again.get_data(as_text=True)
    assert again.status_code == 403 and "Du har ikke længere adgang" in body
    assert "ikke længere tilknyttet nogen klinik" in body
    events = query_one(app, select(AuditEvent).where(AuditEvent.action.in_(
        ["memberships_ended", "login_refused_no_membership"])))
    assert sorted(e.action for e in events) == ["login_refused_no_membership", "memberships_ended"]


def test_ending_one_clinic_keeps_the_other(app):
    mette = login_as(app.test_client(), "mette.kjaer", clinic="aarhus")
    hanne = login_as(app.test_client(), "hanne.lund")
    end_all(hanne, app, "mkj")
    assert mette.get("/").status_code == 302  # her Aarhus session ended
    back = login_with_mitid(mette, "mette.kjaer")
    assert back.location == "/"  # only Vejle is left: no picker
    assert "Kiropraktisk Klinik Vejle · behandler" in mette.get("/").get_data(as_text=True)


def test_password_login_is_refused_too_without_membership(app, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2024, 9, 1, 9, tzinfo=UTC)  # before the cut-over: passwords still work
    hanne = login_as(app.test_client(), "hanne.lund")
    end_all(hanne, app, "jho")
    answer = post_form(app.test_client(), "/login/password",
                       {"user_id": "jho", "password": "Sekretaer2024"}, page="/login")
    assert answer.status_code == 403 and "Du har ikke længere adgang" in answer.get_data(
        as_text=True)


def test_a_session_still_at_the_picker_ends_when_the_last_membership_goes(app):
    jonas = app.test_client()
    assert login_with_mitid(jonas, "jonas.holm").location == "/select/function"
    hanne = login_as(app.test_client(), "hanne.lund")
    end_all(hanne, app, "jho")
    assert jonas.get("/select/function").status_code == 302
