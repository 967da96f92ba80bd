"""The clinic administrator's user overview: functions added, removed, ended; access and audit."""

import json

import pytest
from sqlmodel import select

from app.models import Clinic, LoginSession, Membership, StaffUser
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_with_function, open_session, user_by_id

PAGE = "/clinic/memberships/"
ADVICE = ("Det anbefales at have mindst 2 administratorer, så klinikken ikke er så sårbar ved ferie "
          "eller andet forfald.")


@pytest.fixture
def admin(app, client):
    """Hanne Lund, administrator at Rygcenter Aarhus, logged in with MitID."""
    login_with_function(app, client, "hanne.lund", "aarhus", "administrator")
    return client


def memberships_of(app, legacy_user_id: str, clinic_key: str) -> list[str]:
    """The functions of an account at a clinic, sorted."""
    rows = query_one(app, select(Membership.function)
                     .join(StaffUser, Membership.staff_user_id == StaffUser.id)
                     .join(Clinic, Membership.clinic_id == Clinic.id)
                     .where(StaffUser.legacy_user_id == legacy_user_id, Clinic.key == clinic_key))
    return sorted(rows)


def membership_id(app, legacy_user_id: str, clinic_key: str, function: str) -> int:
    return query_one(app, select(Membership.id)
                     .join(StaffUser, Membership.staff_user_id == StaffUser.id)
                     .join(Clinic, Membership.clinic_id == Clinic.id)
                     .where(StaffUser.legacy_user_id == legacy_user_id, Clinic.key == clinic_key,
                            Membership.function == function))[0]


def test_overview_lists_only_this_clinics_staff_and_advises_two_administrators(admin):
    page = admin.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Brugeroversigt</h1>" in html
    for name in ("Hanne Lund", "Jonas Holm", "Mette Kjær"):
        assert name in html
    assert "Asger Tørring" not in html and "Bente Bogholder" not in html  # Vejle's staff
    assert "sekretær" in html and "behandler" in html
    assert ADVICE in html
    assert '<th scope="col">' in html
    assert "Eneste administrator" in html  # no remove buttons that would be refused anyway


def test_add_function_is_audited_and_a_second_administrator_removes_the_advice(app, admin):
    jonas = user_by_id(app, "jho")
    prefix = f"member{jonas.id}"
    response = post_form(admin, f"{PAGE}{jonas.id}/functions", {f"{prefix}-function": "administrator"},
                         page=PAGE, prefix=prefix)
    assert (response.status_code, response.location) == (303, PAGE)
    assert memberships_of(app, "jho", "aarhus") == ["administrator", "clinician", "secretary"]
    html = admin.get(PAGE).get_data(as_text=True)
    assert "Jonas Holm er nu også administrator." in html
    assert ADVICE not in html
    event = audit_events(app, "membership_added")[-1]
    assert (event.target_id, event.actor) == (str(jonas.id), f"staff:{user_by_id(app, 'hlu').id}")
    assert json.loads(event.detail) == {"function": "administrator"}  # no personal data
    assert event.clinic_id == query_one(app, select(Clinic.id).where(Clinic.key == "aarhus"))[0]


@pytest.mark.parametrize("function, message", [
    ("", "Vælg en funktion."),
    ("secretary", "Brugeren har allerede denne funktion."),
    ("external", "Vælg en funktion."),  # external access only through an exemption request
])
def test_invalid_add_function_is_422_next_to_the_field(app, admin, function, message):
    jonas = user_by_id(app, "jho")
    prefix = f"member{jonas.id}"
    response = post_form(admin, f"{PAGE}{jonas.id}/functions", {f"{prefix}-function": function},
                         page=PAGE, prefix=prefix)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{prefix}-function-error"' in html and message in html
    assert memberships_of(app, "jho", "aarhus") == ["clinician", "secretary"]


def test_remove_function_is_audited_and_detaches_sessions_using_it(app, admin):
    other = app.test_client()
    jonas_session = open_session(app, other, "jho", "aarhus", "secretary", method="mitid")
    response = post_form(admin, f"{PAGE}functions/{membership_id(app, 'jho', 'aarhus', 'secretary')}"
                         "/remove", {}, page=PAGE)
    assert (response.status_code, response.location) == (303, PAGE)
    assert memberships_of(app, "jho", "aarhus") == ["clinician"]
    assert "Funktionen sekretær er fjernet." in admin.get(PAGE).get_data(as_text=True)
    assert json.loads(audit_events(app, "membership_removed")[-1].detail) == {"function": "secretary"}
    row = query_one(app, select(LoginSession).where(LoginSession.id == jonas_session))[0]
    assert row.function is None and row.clinic_id is not None  # must pick a function again


def test_the_last_administrator_cannot_be_removed_or_ended(app, admin):
    hanne = user_by_id(app, "hlu")
    removed = post_form(admin, f"{PAGE}functions/{membership_id(app, 'hlu', 'aarhus', 'administrator')}"
                        "/remove", {}, page=PAGE)
    assert removed.status_code == 409
    assert "Klinikken skal have mindst én administrator" in removed.get_data(as_text=True)
    ended = post_form(admin, f"{PAGE}{hanne.id}/end", {}, page=PAGE)
    assert ended.status_code == 409
    assert memberships_of(app, "hlu", "aarhus") == ["administrator"]
    assert audit_events(app, "membership_removed") == audit_events(app, "memberships_ended") == []


def test_end_memberships_asks_first_then_removes_every_function_here(app, admin):
    jonas = user_by_id(app, "jho")
    confirm = admin.get(f"{PAGE}{jonas.id}/end")
    assert confirm.status_code == 200
    assert "Fjern Jonas Holm fra klinikken" in confirm.get_data(as_text=True)
    response = post_form(admin, f"{PAGE}{jonas.id}/end", {}, page=PAGE)
    assert (response.status_code, response.location) == (303, PAGE)
    assert memberships_of(app, "jho", "aarhus") == []
    assert json.loads(audit_events(app, "memberships_ended")[-1].detail) == {
        "functions": ["clinician", "secretary"]}
    assert "Jonas Holm" not in admin.get(PAGE).get_data(as_text=True).split("<tbody>")[1]


def test_add_existing_account_by_user_id(app, admin):
    response = post_form(admin, f"{PAGE}add", {"add-user_id": " ATO ", "add-function": "secretary"},
                         page=PAGE, prefix="add")
    assert (response.status_code, response.location) == (303, PAGE)
    assert memberships_of(app, "ato", "aarhus") == ["secretary"]
    assert memberships_of(app, "ato", "vejle") == ["clinician"]  # other clinics untouched
    assert "Asger Tørring er tilføjet klinikken." in admin.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize("user_id, function, field, message", [
    ("nobody", "clinician", "user_id", "Der findes ingen bruger med dette bruger ID."),
    ("", "clinician", "user_id", "Skriv brugerens bruger ID."),
    ("mkj", "clinician", "function", "Brugeren har allerede denne funktion."),
    ("mkj", "", "function", "Vælg en funktion."),
])
def test_invalid_add_member_is_422_with_typed_values_kept(app, admin, user_id, function, field,
                                                           message):
    response = post_form(admin, f"{PAGE}add", {"add-user_id": user_id, "add-function": function},
                         page=PAGE, prefix="add")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="add-{field}-error"' in html and message in html
    if user_id:
        assert f'value="{user_id}"' in html
    assert memberships_of(app, "mkj", "aarhus") == ["clinician"]


def test_another_clinics_ids_are_404_and_change_nothing(app, admin):
    asger = user_by_id(app, "ato")  # member at Vejle only
    vejle_membership = membership_id(app, "ato", "vejle", "clinician")
    prefix = f"member{asger.id}"
    assert post_form(admin, f"{PAGE}functions/{vejle_membership}/remove", {},
                     page=PAGE).status_code == 404
    assert post_form(admin, f"{PAGE}{asger.id}/functions", {f"{prefix}-function": "secretary"},
                     page=PAGE, prefix=prefix).status_code == 404
    assert admin.get(f"{PAGE}{asger.id}/end").status_code == 404
    assert post_form(admin, f"{PAGE}{asger.id}/end", {}, page=PAGE).status_code == 404
    assert memberships_of(app, "ato", "vejle") == ["clinician"]
    assert memberships_of(app, "ato", "aarhus") == []


@pytest.mark.parametrize("persona, function", [("jonas.holm", "secretary"),
                                               ("jonas.holm", "clinician")])
def test_staff_without_the_administrator_function_get_403(app, client, persona, function):
    login_with_function(app, client, persona, "aarhus", function)
    assert client.get(PAGE).status_code == 403
    jonas = user_by_id(app, "jho")
    response = post_form(client, f"{PAGE}{jonas.id}/end", {}, page="/")
    assert response.status_code == 403
    assert memberships_of(app, "jho", "aarhus") == ["clinician", "secretary"]


def test_external_user_gets_403(app, client):
    open_session(app, client, "bente.ext", "vejle", "external")
    assert client.get(PAGE).status_code == 403


def test_anonymous_is_sent_to_login(client):
    assert client.get(PAGE).status_code == 302


def test_post_without_csrf_token_is_refused(app, admin):
    jonas = user_by_id(app, "jho")
    response = admin.post(f"{PAGE}{jonas.id}/end")
    assert response.status_code == 400
    assert memberships_of(app, "jho", "aarhus") == ["clinician", "secretary"]


def test_htmx_change_returns_the_overview_fragment_with_the_notice(app, admin):
    jonas = user_by_id(app, "jho")
    response = post_form(admin, f"{PAGE}functions/{membership_id(app, 'jho', 'aarhus', 'secretary')}"
                         "/remove", {}, page=PAGE, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Push-Url"] == PAGE
    assert html.lstrip().startswith('<div id="memberships">') and "<html" not in html
    assert "Funktionen sekretær er fjernet." in html and str(jonas.id) in html
