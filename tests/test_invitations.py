"""An onboarding invitation: the page claims nothing; its button carries it through one MitID login."""

from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.blueprints.enrolment.invitations import names_match
from app.models import Invitation, MitIDLink, Onboarding
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import app_path, csrf_from, post_form, session_of
from tests.helpers.mail import code_from
from tests.helpers.mitid import mitid_person, simulator_browser, walk_simulator
from tests.helpers.staff import claim_with_mitid, invite, login_with_mitid

CONFIRM = "/onboarding/invitation"


@pytest.fixture
def invited(app, clock):
    """Søren Ærø, new at Kiropraktisk Klinik Vejle without a password, and his invitation link."""
    user_id, link = invite(app, "Søren Ærø")
    return SimpleNamespace(id=user_id, link=link)


def invitation_used_at(app, invited):
    return query_one(app, select(Invitation.used_at).where(Invitation.staff_user_id == invited.id))


def onboarding_accounts(app):
    return query_one(app, select(Onboarding.staff_user_id))


def test_the_page_shows_whose_account_and_which_clinic_and_claims_nothing(app, client, invited):
    page = client.get(invited.link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Velkommen Søren Ærø" in html
    assert "Kiropraktisk Klinik Vejle" in html and "Fortsæt med MitID" in html
    assert 'method="post"' in html
    # The button's answer is a redirect to MitID: the page lets its form go there (CSP).
    simulator_origin = app.config["STAFF_BROKER_METADATA_URL"].split("/.well-known")[0]
    assert f"form-action 'self' {simulator_origin};" in page.headers["Content-Security-Policy"]
    assert set(session_of(app, client)) == {"csrf_token"}
    assert invitation_used_at(app, invited) == [None]
    assert audit_events(app, "invitation_used") == []


def test_an_unrelated_login_after_opening_the_link_links_nothing(app, simulator, invited):
    browser = app.test_client()
    assert browser.get(invited.link).status_code == 200
    # Somebody else (even of the same name) logs in with MitID in that browser afterwards.
    back = login_with_mitid(browser, mitid_person(simulator, "Søren Ærø"))
    assert back.location == "/onboarding/"
    assert browser.get("/onboarding/").location == "/onboarding/link"
    assert browser.get(CONFIRM).location == "/onboarding/"
    assert onboarding_accounts(app) == [None]
    assert invitation_used_at(app, invited) == [None]


def test_claim_by_post_asks_er_det_dig_then_links_on_yes(app, simulator, invited, outbox, clock):
    browser = app.test_client()
    back = claim_with_mitid(browser, invited.link, mitid_person(simulator, "Søren Ærø"))
    assert (back.status_code, back.location) == (302, CONFIRM)
    page = browser.get(CONFIRM)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Er det dig?" in html
    assert "Søren Ærø" in html and "Kiropraktisk Klinik Vejle" in html
    assert onboarding_accounts(app) == [None]  # nothing written before the yes
    assert invitation_used_at(app, invited) == [None]

    yes = post_form(browser, CONFIRM, {"confirm": "Ja, det er mig"})
    assert (yes.status_code, yes.location) == (303, "/onboarding/contact")
    assert onboarding_accounts(app) == [invited.id]
    assert invitation_used_at(app, invited) == [clock.now]
    assert len(audit_events(app, "invitation_used")) == 1
    assert browser.get(CONFIRM).location == "/onboarding/"  # asked once

    post_form(browser, "/onboarding/contact", {"email": "soeren@example.dk", "mobile": "20112233"})
    post_form(browser, "/onboarding/verify", {"code": code_from(outbox[-1])})
    assert post_form(browser, "/onboarding/consent", {}).status_code == 303
    assert query_one(app, select(MitIDLink.staff_user_id)).count(invited.id) == 1


def test_no_on_the_confirmation_links_nothing_and_leaves_the_invitation(app, simulator, invited):
    browser = app.test_client()
    claim_with_mitid(browser, invited.link, mitid_person(simulator, "Søren Ærø"))
    no = post_form(browser, CONFIRM, {"decline": "Nej, det er ikke mig"})
    assert (no.status_code, no.location) == (303, "/onboarding/")
    assert browser.get("/onboarding/").location == "/onboarding/link"
    assert onboarding_accounts(app) == [None]
    assert invitation_used_at(app, invited) == [None]


def test_a_later_unrelated_login_drops_a_claim_waiting_for_its_yes(app, simulator, invited):
    browser = app.test_client()
    claim_with_mitid(browser, invited.link, mitid_person(simulator, "Søren Ærø"))
    # The wizard has no Log ud: Søren's MitID session must have ended (at MitID) for Lise to
    # log in as herself in this browser.
    simulator_browser(browser).cookies.clear()
    login_with_mitid(browser, mitid_person(simulator, "Lise Berg"))  # somebody else, same browser
    assert browser.get(CONFIRM).location == "/onboarding/"
    assert invitation_used_at(app, invited) == [None]


def test_the_invitation_goes_only_with_the_login_its_button_started(app, simulator, invited):
    browser = app.test_client()
    claimed = post_form(browser, invited.link, {})  # a MitID login with the invitation ...
    assert claimed.status_code == 303
    other = browser.get("/auth/mitid/login")  # ... and, in the same browser, one without
    back = browser.get(app_path(walk_simulator(other.location, mitid_person(simulator, "Søren Ærø"))))
    assert back.location == "/onboarding/"
    assert browser.get(CONFIRM).location == "/onboarding/"
    assert onboarding_accounts(app) == [None]
    assert invitation_used_at(app, invited) == [None]


def test_a_mismatching_name_is_stopped_audited_and_the_invitation_stays(app, simulator, invited):
    browser = app.test_client()
    login_with_mitid(browser, mitid_person(simulator, "Søren Ærø"))  # a wizard of before ...
    simulator_browser(browser).cookies.clear()  # ... whose MitID session has ended since
    stopped = claim_with_mitid(browser, invited.link, mitid_person(simulator, "Lise Berg"))
    html = stopped.get_data(as_text=True)
    assert stopped.status_code == 403 and "Navnet passer ikke" in html
    assert "passer ikke med navnet på den brugerkonto" in html
    [event] = audit_events(app, "invitation_name_mismatch")
    assert (event.actor, event.target_type) == ("anonymous", "invitation")
    assert "Lise" not in (event.detail or "") and "Søren" not in (event.detail or "")
    assert onboarding_accounts(app) == [None]  # ... is the only onboarding, and unlinked
    assert invitation_used_at(app, invited) == [None]
    assert browser.get(CONFIRM).location == "/login"  # and no longer this browser's

    right = app.test_client()
    back = claim_with_mitid(right, invited.link, mitid_person(simulator, "søren   ærø"))
    assert back.location == CONFIRM
    assert post_form(right, CONFIRM, {"confirm": "Ja, det er mig"}).location == "/onboarding/contact"
    assert set(onboarding_accounts(app)) == {None, invited.id}


def test_the_claim_post_without_csrf_token_is_refused(app, client, invited):
    client.get(invited.link)
    assert client.post(invited.link).status_code == 400
    assert not any(key.startswith("_state_") for key in session_of(app, client))


def test_an_invitation_used_meanwhile_is_not_claimed_at_the_yes(app, simulator, invited):
    browser = app.test_client()
    claim_with_mitid(browser, invited.link, mitid_person(simulator, "Søren Ærø"))
    token = csrf_from(browser.get(CONFIRM).get_data(as_text=True))
    other = app.test_client()  # the same person with another MitID (private and Erhverv, say)
    claim_with_mitid(other, invited.link, mitid_person(simulator, "Søren Ærø"))
    assert post_form(other, CONFIRM, {"confirm": "Ja"}).location == "/onboarding/contact"
    late = browser.post(CONFIRM, data={"csrf_token": token, "confirm": "Ja"})
    assert late.status_code == 410 and "Invitationen kan ikke længere bruges" in late.get_data(as_text=True)
    assert set(onboarding_accounts(app)) == {None, invited.id}


@pytest.mark.parametrize("account, mitid, match", [
    ("Søren Ærø", "Søren Ærø", True),
    ("Søren Ærø", "  SØREN   ærø ", True),
    ("Søren Ærø", "Søren Peter Ærø", True),  # MitID has the full name, middle names too
    ("Andre\u0301 Holm", "André Holm", True),  # the same letter, composed or not (NFKC)
    ("Søren Ærø", "Søren Hansen", False),
    ("Søren Ærø", "Lise Ærø", False),
    ("Søren Ærø", "", False),
])
def test_names_match_on_first_and_last_name(account, mitid, match):
    assert names_match(account, mitid) is match
