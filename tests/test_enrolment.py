"""Clinic enrolment online (PACSKlinikForum): the form, the operator's decision, the invitations."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.blueprints.enrolment.accounts import ascii_slug, unique_clinic_key, unique_legacy_user_id
from app.blueprints.enrolment.invitations import claim_invitation_for_onboarding, issue_invitation
from app.core.db import get_session
from app.models import (
    AuditEvent,
    Clinic,
    ClinicEnrolment,
    EnrolmentUser,
    Invitation,
    Membership,
    MitIDLink,
    Onboarding,
    StaffUser,
)
from app.security import token_hash
from app.simulator import add_identity
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import app_path, post_form, session_of
from tests.helpers.mail import code_from, token_from
from tests.helpers.mitid import walk_simulator
from tests.helpers.staff import claim_with_mitid, login_with_mitid, set_email

FORM = "/enrolment"
QUEUE = "/operator/enrolments"
CLINIC = {
    "clinic_name": "Søren Ærø Kiropraktik", "cvr": "12 34 56 78", "address": "Havnegade 1",
    "postcode": "5000", "city": "Odense C", "phone": "66 12 34 56",
    "contact_name": "Søren Ærø", "contact_email": "kontakt@aeroe-kiro.example.dk",
}
USERS = {
    "users-0-name": "Søren Ærø", "users-0-email": "soeren@aeroe-kiro.example.dk",
    "users-0-function": "administrator",
    "users-1-name": "Lise Berg", "users-1-email": "lise@aeroe-kiro.example.dk",
    "users-1-function": "secretary",
}


def enrolment_data(**changes) -> dict:
    return {**CLINIC, **USERS, **changes}


@pytest.fixture
def operator(app):
    """Lars Drift at the support desk."""
    browser = app.test_client()
    assert login_with_mitid(browser, "lars.drift").status_code == 302
    return browser


@pytest.fixture
def submitted(app, client):
    """A submitted enrolment; returns its id."""
    response = post_form(client, FORM, enrolment_data())
    assert response.status_code == 303, response.get_data(as_text=True)
    return query_one(app, select(ClinicEnrolment.id))[0]


@pytest.fixture
def approved(app, operator, submitted, outbox, clock):
    """The enrolment approved by the operator; returns the mails by recipient."""
    response = post_form(operator, f"{QUEUE}/{submitted}", {"approve": "Godkend"})
    assert (response.status_code, response.location) == (303, QUEUE)
    return {mail.recipients[0]: mail for mail in outbox}


def test_form_has_clinic_information_and_five_user_rows(client):
    response = client.get(FORM)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Tilmelding af klinik</h1>" in html
    for label in ("Klinikkens navn", "CVR-nummer", "Adresse", "Postnummer", "By", "Telefon",
                  "Kontaktperson", "Kontaktpersonens e-mail", "Brugeroversigt", "Funktion",
                  "behandler", "sekretær", "administrator", "Tilføj flere brugere"):
        assert label in html
    assert 'name="users-4-name"' in html and 'name="users-5-name"' not in html
    assert 'for="users-0-email"' in html


def test_more_rows_without_javascript_keep_what_was_typed(client):
    response = post_form(client, FORM, enrolment_data(more="Tilføj flere brugere"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="users-7-name"' in html and 'name="users-8-name"' not in html
    assert 'value="Søren Ærø Kiropraktik"' in html and 'value="lise@aeroe-kiro.example.dk"' in html
    assert "form-error-message" not in html


def test_valid_form_is_stored_for_the_operator_and_audited(app, client):
    response = post_form(client, FORM, enrolment_data())
    assert (response.status_code, response.location) == (303, "/enrolment/sent")
    assert "Tilmeldingen er sendt" in client.get("/enrolment/sent").get_data(as_text=True)
    [row] = query_one(app, select(ClinicEnrolment))
    assert (row.cvr, row.postcode, row.phone, row.status) == ("12345678", "5000", "+4566123456",
                                                              "pending")
    users = query_one(app, select(EnrolmentUser).order_by(EnrolmentUser.id))
    assert [(u.name, u.function) for u in users] == [("Søren Ærø", "administrator"),
                                                     ("Lise Berg", "secretary")]
    [event] = audit_events(app, "clinic_enrolment_submitted")
    assert (event.actor, json.loads(event.detail)) == ("public", {"users": 2})


@pytest.mark.parametrize("changes, error_id, message", [
    ({"clinic_name": ""}, "clinic_name-error", "Skriv klinikkens navn."),
    ({"cvr": "1234567"}, "cvr-error", "CVR-nummeret er 8 cifre."),
    ({"cvr": "10000002"}, "cvr-error", "allerede tilmeldt"),  # Rygcenter Aarhus
    ({"postcode": "50000"}, "postcode-error", "Postnummeret er 4 cifre."),
    ({"phone": "123"}, "phone-error", "Skriv et dansk telefonnummer med 8 cifre."),
    ({"contact_email": "kontakt"}, "contact_email-error", "Skriv en gyldig e-mailadresse."),
    ({"users-0-function": "clinician"}, "users-error", "Mindst én bruger skal være administrator."),
    ({"users-1-email": ""}, "users-1-email-error", "Skriv brugerens e-mailadresse."),
    ({"users-1-function": "operator"}, "users-1-function-error", "Vælg en funktion."),
    ({"users-1-email": "soeren@aeroe-kiro.example.dk"}, "users-error", "sin egen e-mailadresse"),
])
def test_invalid_form_is_422_with_errors_next_to_fields_and_nothing_lost(app, client, changes,
                                                                        error_id, message):
    response = post_form(client, FORM, enrolment_data(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{error_id}"' in html and message in html
    assert 'value="Havnegade 1"' in html and 'value="Lise Berg"' in html
    assert query_one(app, select(ClinicEnrolment)) == []


def test_form_without_users_is_422(client):
    response = post_form(client, FORM, CLINIC)
    assert response.status_code == 422
    assert "Skriv mindst én bruger i brugeroversigten." in response.get_data(as_text=True)


def test_second_enrolment_for_a_pending_cvr_is_422(client, submitted):
    again = post_form(client, FORM, enrolment_data())
    assert again.status_code == 422
    assert "allerede en tilmelding under behandling" in again.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, client):
    assert client.post(FORM, data=enrolment_data()).status_code == 400
    assert query_one(app, select(ClinicEnrolment)) == []


@pytest.mark.ratelimit
def test_public_post_is_rate_limited(client):
    statuses = [post_form(client, FORM, {"cvr": "1"}).status_code for _ in range(21)]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429


def test_htmx_submit_swaps_in_the_receipt_and_pushes_its_url(client):
    response = post_form(client, FORM, enrolment_data(), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Push-Url"] == "/enrolment/sent"
    assert "<html" not in html and "Tilmeldingen er sendt" in html


def test_operator_sees_the_queue_and_others_get_403(app, client, operator, submitted):
    queue = operator.get(QUEUE).get_data(as_text=True)
    assert "Søren Ærø Kiropraktik" in queue and "12345678" in queue
    detail = operator.get(f"{QUEUE}/{submitted}").get_data(as_text=True)
    assert "Lise Berg" in detail and "sekretær" in detail and "Godkend" in detail
    assert login_with_mitid(client, "hanne.lund").status_code == 302  # a clinic administrator
    assert client.get(QUEUE).status_code == 403
    assert post_form(client, f"{QUEUE}/{submitted}", {"approve": "Godkend"},
                     page="/").status_code == 403
    assert query_one(app, select(ClinicEnrolment.status)) == ["pending"]


def test_approval_creates_clinic_users_memberships_and_invitations(app, approved, clock):
    [clinic] = query_one(app, select(Clinic).where(Clinic.cvr == "12345678"))
    assert (clinic.key, clinic.name, clinic.self_registration) == (
        "soeren-aeroe-kiropraktik", "Søren Ærø Kiropraktik", "none")
    users = query_one(app, select(StaffUser).join(Membership).where(Membership.clinic_id == clinic.id)
                      .order_by(StaffUser.id))
    assert [(u.legacy_user_id, u.legacy_password_hash, u.email) for u in users] == [
        ("soeren.aeroe", None, "soeren@aeroe-kiro.example.dk"),
        ("lise.berg", None, "lise@aeroe-kiro.example.dk")]
    functions = query_one(app, select(Membership.function).where(Membership.clinic_id == clinic.id)
                          .order_by(Membership.id))
    assert functions == ["administrator", "secretary"]
    invitations = query_one(app, select(Invitation).order_by(Invitation.id))
    assert [i.purpose for i in invitations] == ["onboarding", "onboarding"]
    assert all(i.expires_at - clock.now == timedelta(days=7) for i in invitations)

    mail = approved["soeren@aeroe-kiro.example.dk"]
    token = token_from(mail)
    assert "Fortsæt med MitID" in mail.text and "7 dage" in mail.text
    assert invitations[0].token_hash == token_hash(token)  # only the hash is stored
    assert token_from(approved["lise@aeroe-kiro.example.dk"]) != token
    assert "er godkendt" in approved["kontakt@aeroe-kiro.example.dk"].text
    [row] = query_one(app, select(ClinicEnrolment))
    assert (row.status, row.clinic_id) == ("approved", clinic.id)
    details = [e.detail or "" for e in query_one(app, select(AuditEvent))]
    assert not any("aeroe-kiro" in d or "Søren" in d for d in details)
    assert len(audit_events(app, "invitation_issued")) == 2


def test_invited_user_walks_on_through_mitid_onboarding(app, simulator, approved, outbox, clock):
    link = f"/invitation/{token_from(approved['soeren@aeroe-kiro.example.dk'])}"
    browser = app.test_client()
    page = browser.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Velkommen Søren Ærø" in html
    assert "Søren Ærø Kiropraktik" in html and "Fortsæt med MitID" in html
    assert set(session_of(app, browser)) == {"csrf_token"}  # opening the link claims nothing

    mitid_user_id = f"soeren.{uuid.uuid4().hex[:8]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name="Søren Ærø", cpr="010190-1234")
    back = claim_with_mitid(browser, link, mitid_user_id)
    assert (back.status_code, back.location) == (302, "/onboarding/invitation")
    stored = json.dumps(session_of(app, browser))
    assert link.rsplit("/", 1)[1] not in stored  # the row id, never the token
    confirmed = post_form(browser, "/onboarding/invitation", {"confirm": "Ja, det er mig"})
    assert (confirmed.status_code, confirmed.location) == (303, "/onboarding/contact")
    sent = post_form(browser, "/onboarding/contact", {"email": "soeren.privat@example.dk",
                                                      "mobile": "20 11 22 33"})
    assert sent.status_code == 303
    assert post_form(browser, "/onboarding/verify", {"code": code_from(outbox[-1])}).status_code == 303
    assert post_form(browser, "/onboarding/consent", {}).status_code == 303

    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "soeren.aeroe"))[0]
    assert user.onboarded_at is not None and user.email == "soeren.privat@example.dk"
    assert query_one(app, select(MitIDLink.staff_user_id)).count(user.id) == 1
    [invitation] = query_one(app, select(Invitation).where(Invitation.staff_user_id == user.id))
    assert invitation.used_at == clock.now
    assert [e.target_id for e in audit_events(app, "invitation_used")] == [str(invitation.id)]

    again = app.test_client().get(link)
    assert again.status_code == 410 and "Linket er allerede brugt" in again.get_data(as_text=True)


def test_expired_invitation_is_410_and_cannot_be_claimed(app, simulator, approved, clock):
    link = f"/invitation/{token_from(approved['lise@aeroe-kiro.example.dk'])}"
    browser = app.test_client()
    start = post_form(browser, link, {})  # Fortsæt med MitID in time ...
    assert start.status_code == 303
    clock.now += timedelta(days=7, seconds=1)  # ... but back from MitID only after it ran out
    mitid_user_id = f"lise.{uuid.uuid4().hex[:8]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name="Lise Berg", cpr="020290-1234")
    back = browser.get(app_path(walk_simulator(start.location, mitid_user_id)))
    assert back.location == "/onboarding/"  # the ordinary wizard, which asks for user ID + password
    assert browser.get("/onboarding/").location == "/onboarding/link"
    assert query_one(app, select(Invitation.used_at).where(Invitation.used_at.is_not(None))) == []
    expired = app.test_client().get(link)
    assert expired.status_code == 410 and "Linket er udløbet" in expired.get_data(as_text=True)


def test_existing_mitid_user_is_given_access_instead_of_an_invitation(app, client, operator, outbox):
    set_email(app, "mkj", "mette@example.dk")
    post_form(client, FORM, enrolment_data(**{"users-1-name": "Mette Kjær",
                                              "users-1-email": "Mette@Example.dk"}))
    enrolment_id = query_one(app, select(ClinicEnrolment.id))[0]
    assert post_form(operator, f"{QUEUE}/{enrolment_id}", {"approve": "Godkend"}).status_code == 303
    mette = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "mkj"))[0]
    clinic_ids = query_one(app, select(Membership.clinic_id).where(Membership.staff_user_id == mette.id))
    assert len(clinic_ids) == 3
    assert query_one(app, select(Invitation).where(Invitation.staff_user_id == mette.id)) == []
    mail = next(m for m in outbox if m.recipients == ["mette@example.dk"])
    assert "Log ind med MitID, som du plejer" in mail.text and "/invitation/" not in mail.text


def test_rejection_mails_the_contact_person_and_creates_nothing(app, operator, submitted, outbox):
    response = post_form(operator, f"{QUEUE}/{submitted}", {"note": "CVR findes ikke",
                                                            "reject": "Afvis"})
    assert response.status_code == 303
    assert query_one(app, select(ClinicEnrolment.status)) == ["rejected"]
    assert query_one(app, select(Clinic).where(Clinic.cvr == "12345678")) == []
    [mail] = outbox
    assert mail.recipients == ["kontakt@aeroe-kiro.example.dk"] and "CVR findes ikke" in mail.text
    assert audit_events(app, "clinic_enrolment_rejected")[0].target_id == str(submitted)


def test_smtp_failure_rolls_the_whole_approval_back(app, operator, submitted, outbox):
    app.extensions["mail"].port = 1  # nothing listens there
    response = post_form(operator, f"{QUEUE}/{submitted}", {"approve": "Godkend"})
    assert response.status_code == 503 and "intet er gemt" in response.get_data(as_text=True)
    assert query_one(app, select(ClinicEnrolment.status)) == ["pending"]
    assert query_one(app, select(Clinic).where(Clinic.cvr == "12345678")) == []
    assert query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "lise.berg")) == []
    assert query_one(app, select(Invitation)) == []
    assert audit_events(app, "clinic_created") == []


def test_approving_twice_is_refused(app, operator, submitted, approved):
    again = post_form(operator, f"{QUEUE}/{submitted}", {"approve": "Godkend"})
    assert again.status_code == 409
    assert len(query_one(app, select(Clinic).where(Clinic.cvr == "12345678"))) == 1


def test_operator_post_without_csrf_token_is_refused(app, operator, submitted):
    assert operator.post(f"{QUEUE}/{submitted}", data={"approve": "Godkend"}).status_code == 400
    assert query_one(app, select(ClinicEnrolment.status)) == ["pending"]


def test_generated_user_ids_and_clinic_keys_are_ascii_and_unique(app):
    with app.app_context():
        assert ascii_slug("Søren Ærø-Åsted", ".") == "soeren.aeroe.aasted"
        assert unique_legacy_user_id("Bente Ext") == "bente.ext2"  # bente.ext is taken
        assert unique_legacy_user_id("Åse") == "aase"
        assert unique_clinic_key("Rygcenter Aarhus") == "rygcenter-aarhus"
        assert unique_clinic_key("Aarhus") == "aarhus2"  # the demo clinic's key
        assert len(unique_clinic_key("Klinik " * 20)) <= 40


def test_claim_invitation_for_onboarding_only_once_and_only_for_onboarding(app, clock):
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "ato")).one()
        issue_invitation(staff_user_id=user.id, purpose="onboarding")
        issue_invitation(staff_user_id=user.id, purpose="set_password")
        db.commit()
        onboarding_invite, password_invite = db.exec(select(Invitation).order_by(Invitation.id)).all()
        row = Onboarding(sub="sub-1", idp="mitid", identity_type="private", name="Asger Tørring")
        db.add(row)
        db.commit()
        assert not claim_invitation_for_onboarding(password_invite.id, row)
        assert not claim_invitation_for_onboarding(None, row)
        other = Onboarding(sub="sub-2", idp="mitid", identity_type="private", name="Lise Berg")
        assert not claim_invitation_for_onboarding(onboarding_invite.id, other)  # not the name
        assert onboarding_invite.used_at is None
        assert row.step == "link" and row.staff_user_id is None
        assert claim_invitation_for_onboarding(onboarding_invite.id, row)
        assert (row.step, row.staff_user_id) == ("contact", user.id)
        assert not claim_invitation_for_onboarding(onboarding_invite.id, row)  # single use
        linked = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "mkj")).one()
        issue_invitation(staff_user_id=linked.id, purpose="onboarding")
        db.commit()
        for_linked = db.exec(select(Invitation).order_by(Invitation.id.desc())).first()
        assert not claim_invitation_for_onboarding(for_linked.id, row)  # already has a MitID
        assert for_linked.used_at is None


def test_invited_user_restarting_the_wizard_starts_at_the_email_step(app, simulator, approved):
    link = f"/invitation/{token_from(approved['soeren@aeroe-kiro.example.dk'])}"
    browser = app.test_client()
    mitid_user_id = f"soeren.{uuid.uuid4().hex[:8]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name="Søren Ærø", cpr="010190-1234")
    claim_with_mitid(browser, link, mitid_user_id)
    post_form(browser, "/onboarding/invitation", {"confirm": "Ja, det er mig"})
    restarted = post_form(browser, "/onboarding/restart", {}, page="/onboarding/contact")
    assert restarted.location == "/onboarding/contact"
    assert browser.get("/onboarding/link").location == "/onboarding/contact"
