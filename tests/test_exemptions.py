"""External users keep user ID + password (seed: kircacs FAQ): request, decide, link, withdraw."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.core.db import get_session
from app.models import Clinic, Invitation, LoginSession, Membership, PasswordExemption, StaffUser
from app.security import token_hash
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import post_form
from tests.helpers.mail import token_from
from tests.helpers.staff import login_with_function, login_with_mitid, open_session, set_email, user_by_id

PAGE = "/clinic/exemptions"
QUEUE = "/operator/exemptions"
REQUEST = {"name": "Kim Ågård", "email": "Kim@Revisorhuset.example.dk",
           "organisation": "Revisorhuset", "role": "auditor", "reason": "Årsregnskab"}


@pytest.fixture
def admin(app, client):
    """Hanne Lund, administrator at Rygcenter Aarhus (with a work e-mail for the decision mail)."""
    set_email(app, "hlu", "hanne@rygcenter.example.dk")
    login_with_function(app, client, "hanne.lund", "aarhus", "administrator")
    return client


@pytest.fixture
def operator(app):
    """Lars Drift at the support desk, in a browser of his own."""
    browser = app.test_client()
    assert login_with_mitid(browser, "lars.drift").status_code == 302
    return browser


def requests_(app) -> list[PasswordExemption]:
    return query_one(app, select(PasswordExemption).order_by(PasswordExemption.id))


def submit(admin, **changes):
    return post_form(admin, PAGE, {**REQUEST, **changes})


def approve(operator, exemption_id: int, note: str = ""):
    page = f"{QUEUE}/{exemption_id}"
    return post_form(operator, page, {"note": note, "approve": "Godkend"})


def test_form_has_the_fields_of_the_seed(admin):
    html = admin.get(PAGE).get_data(as_text=True)
    for label in ("Navn", "E-mail", "Firma/organisation", "Rolle", "Begrundelse", "Bogholder",
                  "Revisor", "Eksternt sekretærbureau", "Andet", "Send anmodning"):
        assert label in html
    assert "<h1>Eksterne brugere</h1>" in html


def test_request_is_stored_listed_and_audited(app, admin):
    response = submit(admin)
    assert (response.status_code, response.location) == (303, PAGE)
    html = admin.get(PAGE).get_data(as_text=True)
    assert "Anmodningen er sendt til driften." in html
    assert "Kim Ågård" in html and "Afventer godkendelse" in html and "Revisor" in html
    [row] = requests_(app)
    assert (row.status, row.external_email, row.role) == ("pending", "kim@revisorhuset.example.dk",
                                                          "auditor")
    assert row.requested_by_id == user_by_id(app, "hlu").id
    [event] = audit_events(app, "password_exemption_requested")
    assert json.loads(event.detail) == {"role": "auditor"}  # no name or address in the trail


@pytest.mark.parametrize("changes, field, message", [
    ({"name": ""}, "name", "Skriv den eksterne brugers navn."),
    ({"email": "ikke-en-adresse"}, "email", "Skriv en gyldig e-mailadresse."),
    ({"organisation": ""}, "organisation", "Skriv firmaets eller organisationens navn."),
    ({"role": ""}, "role", "Vælg en rolle."),
    ({"role": "director"}, "role", "Vælg en rolle."),
    ({"reason": ""}, "reason", "Skriv en begrundelse."),
])
def test_invalid_request_is_422_with_errors_and_typed_values(app, admin, changes, field, message):
    response = submit(admin, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert 'value="Revisorhuset"' in html or field == "organisation"
    assert "Årsregnskab" in html or field == "reason"
    assert requests_(app) == []


def test_second_request_for_the_same_address_is_refused(app, admin):
    submit(admin)
    again = submit(admin, email="KIM@revisorhuset.example.dk")
    assert again.status_code == 422
    assert "Der er allerede en anmodning" in again.get_data(as_text=True)
    assert len(requests_(app)) == 1


def test_approval_creates_the_external_account_and_mails_a_single_use_link(app, admin, operator,
                                                                           outbox, clock):
    submit(admin)
    [row] = requests_(app)
    queue = operator.get(QUEUE).get_data(as_text=True)
    assert "Kim Ågård" in queue and "Rygcenter Aarhus" in queue
    response = approve(operator, row.id, note="OK fra driften")
    assert (response.status_code, response.location) == (303, QUEUE)

    user = user_by_id(app, "kim.aagaard")
    assert user.password_exempt and user.legacy_password_hash is None
    assert user.email == "kim@revisorhuset.example.dk"
    assert query_one(app, select(Membership.function).where(Membership.staff_user_id == user.id)) == [
        "external"]
    [row] = requests_(app)
    assert (row.status, row.staff_user_id, row.decision_note) == ("approved", user.id, "OK fra driften")

    to_external, to_admin = outbox
    assert to_external.recipients == ["kim@revisorhuset.example.dk"]
    assert "kim.aagaard" in to_external.text and "72 timer" in to_external.text
    assert to_admin.recipients == ["hanne@rygcenter.example.dk"]
    assert "er godkendt" in to_admin.subject and "OK fra driften" in to_admin.text

    token = token_from(to_external)
    [invitation] = query_one(app, select(Invitation).where(Invitation.staff_user_id == user.id))
    assert invitation.purpose == "set_password" and invitation.token_hash == token_hash(token)
    assert invitation.expires_at - clock.now == timedelta(hours=72)
    actions = [e.action for e in audit_events(app, "password_exemption_approved")
               + audit_events(app, "invitation_issued") + audit_events(app, "membership_added")]
    assert actions == ["password_exemption_approved", "invitation_issued", "membership_added"]
    assert "Godkendt" in admin.get(PAGE).get_data(as_text=True)


def test_external_user_sets_a_password_once_and_logs_in_with_it(app, admin, operator, outbox):
    submit(admin)
    approve(operator, requests_(app)[0].id)
    link = f"/invitation/{token_from(outbox[0])}"
    external = app.test_client()
    page = external.get(link).get_data(as_text=True)
    assert "Vælg dit kodeord" in page and "kim.aagaard" in page

    weak = post_form(external, link, {"password": "kodeord12", "confirm": "kodeord12"})
    assert weak.status_code == 422
    assert "små og store bogstaver" in weak.get_data(as_text=True)
    different = post_form(external, link, {"password": "Revision2026", "confirm": "Revision2027"})
    assert different.status_code == 422 and "ikke ens" in different.get_data(as_text=True)
    short = post_form(external, link, {"password": "Rev1", "confirm": "Rev1"})
    assert short.status_code == 422 and "mindst 8 tegn" in short.get_data(as_text=True)

    done = post_form(external, link, {"password": "Revision2026", "confirm": "Revision2026"})
    assert done.status_code == 200 and "Dit kodeord er gemt" in done.get_data(as_text=True)
    assert audit_events(app, "password_set")[0].target_id == str(user_by_id(app, "kim.aagaard").id)

    again = external.get(link)
    assert again.status_code == 410 and "Linket er allerede brugt" in again.get_data(as_text=True)

    login = post_form(external, "/login/password", {"user_id": "kim.aagaard",
                                                    "password": "Revision2026"}, page="/login")
    assert login.status_code == 303
    [session_row] = query_one(app, select(LoginSession).where(
        LoginSession.staff_user_id == user_by_id(app, "kim.aagaard").id))
    assert session_row.method in ("exempt", "password")


def test_expired_link_is_410(app, admin, operator, outbox, clock):
    submit(admin)
    approve(operator, requests_(app)[0].id)
    link = f"/invitation/{token_from(outbox[0])}"
    clock.now += timedelta(hours=72, seconds=1)
    response = app.test_client().get(link)
    assert response.status_code == 410 and "Linket er udløbet" in response.get_data(as_text=True)


def test_unknown_link_is_404(client):
    response = client.get("/invitation/not-a-real-token")
    assert response.status_code == 404 and "Linket er ugyldigt" in response.get_data(as_text=True)


def test_approval_reuses_an_account_with_the_same_address(app, admin, operator, outbox):
    set_email(app, "bente.ext", "bente@bogholderiet.example.dk")
    submit(admin, name="Bente Bogholder", email="bente@bogholderiet.example.dk", role="bookkeeper")
    approve(operator, requests_(app)[0].id)
    bente = user_by_id(app, "bente.ext")
    assert requests_(app)[0].staff_user_id == bente.id
    assert query_one(app, select(StaffUser).where(StaffUser.name == "Bente Bogholder"))[0].id == bente.id
    functions = query_one(app, select(Clinic.key, Membership.function)
                          .join(Clinic, Membership.clinic_id == Clinic.id)
                          .where(Membership.staff_user_id == bente.id).order_by(Clinic.key))
    assert functions == [("aarhus", "external"), ("vejle", "external")]
    assert "bente.ext" in outbox[0].text


def test_rejection_is_shown_to_the_clinic_and_mailed(app, admin, operator, outbox):
    submit(admin)
    row = requests_(app)[0]
    response = post_form(operator, f"{QUEUE}/{row.id}", {"note": "Brug MitID i stedet",
                                                          "reject": "Afvis"})
    assert response.status_code == 303
    assert requests_(app)[0].status == "rejected"
    assert query_one(app, select(StaffUser).where(StaffUser.email == REQUEST["email"].lower())) == []
    [mail] = outbox
    assert mail.recipients == ["hanne@rygcenter.example.dk"] and "afvist" in mail.subject
    html = admin.get(PAGE).get_data(as_text=True)
    assert "Afvist" in html and "Brug MitID i stedet" in html
    assert operator.get(f"{QUEUE}/{row.id}").get_data(as_text=True).count('name="approve"') == 0


def test_deciding_twice_is_refused(app, admin, operator, outbox):
    submit(admin)
    row_id = requests_(app)[0].id
    approve(operator, row_id)
    again = post_form(operator, f"{QUEUE}/{row_id}", {"reject": "Afvis"})
    assert again.status_code == 409
    assert "Anmodningen er allerede behandlet." in again.get_data(as_text=True)
    assert requests_(app)[0].status == "approved" and len(outbox) == 2


def test_decision_without_a_button_is_422(app, admin, operator):
    submit(admin)
    response = post_form(operator, f"{QUEUE}/{requests_(app)[0].id}", {"note": "x" * 1001})
    assert response.status_code == 422
    assert requests_(app)[0].status == "pending"


def test_smtp_failure_rolls_the_approval_back(app, admin, operator, outbox):
    submit(admin)
    row_id = requests_(app)[0].id
    app.config["MAIL_PORT"] = 1  # nothing listens there
    app.extensions["mail"].port = 1
    response = approve(operator, row_id)
    assert response.status_code == 503
    assert "intet er gemt" in response.get_data(as_text=True)
    assert requests_(app)[0].status == "pending"
    assert query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "kim.aagaard")) == []
    assert query_one(app, select(Invitation)) == []
    assert audit_events(app, "password_exemption_approved") == []


def test_withdrawal_ends_password_login_sessions_and_unused_links(app, admin, operator, outbox):
    submit(admin)
    row_id = requests_(app)[0].id
    approve(operator, row_id)
    external = app.test_client()
    session_id = open_session(app, external, "kim.aagaard", "aarhus", "external")
    response = post_form(admin, f"{PAGE}/{row_id}/withdraw", {}, page=PAGE)
    assert (response.status_code, response.location) == (303, PAGE)
    assert requests_(app)[0].status == "withdrawn"
    assert not user_by_id(app, "kim.aagaard").password_exempt
    ended = query_one(app, select(LoginSession).where(LoginSession.id == session_id))[0]
    assert ended.ended_reason == "exemption_withdrawn"
    link = f"/invitation/{token_from(outbox[0])}"
    assert external.get(link).status_code == 410
    assert [e.action for e in audit_events(app, "password_exempt_cleared")] == ["password_exempt_cleared"]
    assert "Trukket tilbage" in admin.get(PAGE).get_data(as_text=True)


def test_another_clinics_request_cannot_be_withdrawn(app, admin, client):
    with app.app_context():
        db = get_session()
        vejle = db.exec(select(Clinic).where(Clinic.key == "vejle")).one()
        other = PasswordExemption(clinic_id=vejle.id, external_name="X", external_email="x@example.dk",
                                  organisation="Y", role="other", reason="Z", status="approved")
        db.add(other)
        db.commit()
        other_id = other.id
    assert post_form(admin, f"{PAGE}/{other_id}/withdraw", {}, page=PAGE).status_code == 404
    assert "x@example.dk" not in admin.get(PAGE).get_data(as_text=True)
    assert query_one(app, select(PasswordExemption.status))[0] == "approved"


@pytest.mark.parametrize("path", [PAGE, QUEUE])
def test_secretary_gets_403(app, client, path):
    login_with_function(app, client, "jonas.holm", "aarhus", "secretary")
    assert client.get(path).status_code == 403


def test_external_user_gets_403(app, client):
    open_session(app, client, "bente.ext", "vejle", "external")
    assert client.get(PAGE).status_code == 403
    assert client.get(QUEUE).status_code == 403


def test_administrator_is_not_an_operator(app, admin, operator):
    submit(admin)
    row_id = requests_(app)[0].id
    assert admin.get(QUEUE).status_code == 403
    assert admin.get(f"{QUEUE}/{row_id}").status_code == 403
    assert post_form(admin, f"{QUEUE}/{row_id}", {"approve": "Godkend"}, page=PAGE).status_code == 403
    assert requests_(app)[0].status == "pending"


def test_posts_without_csrf_token_are_refused(app, admin, operator):
    assert admin.post(PAGE, data=REQUEST).status_code == 400
    assert requests_(app) == []
    submit(admin)
    row_id = requests_(app)[0].id
    assert operator.post(f"{QUEUE}/{row_id}", data={"approve": "Godkend"}).status_code == 400
    assert requests_(app)[0].status == "pending"


def test_htmx_request_returns_the_fragment(app, admin):
    response = post_form(admin, PAGE, REQUEST, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="exemptions">') and "Anmodningen er sendt" in html
