"""A half-finished onboarding lives ONBOARDING_TTL_SECONDS from its MitID login, then is purged."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import EmailCode, Invitation, Onboarding
from tests.helpers.db import query_one
from tests.helpers.http import csrf_from, post_form
from tests.helpers.mitid import mitid_person
from tests.helpers.staff import claim_with_mitid, invite, login_with_mitid, onboard_until

TTL = timedelta(minutes=30)  # the default
EXPIRED = "Din onboarding er udløbet"


def retention(app, *args):
    return app.test_cli_runner().invoke(args=["retention", *args])


def test_the_wizard_is_usable_until_its_time_is_up(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "contact")
    clock.now += TTL - timedelta(seconds=1)
    assert client.get("/onboarding/contact").status_code == 200


@pytest.mark.parametrize("path", ["/onboarding/contact", "/onboarding/", "/onboarding/link"])
def test_an_expired_wizard_sends_to_a_fresh_mitid_login(client, outbox, clock, path):
    onboard_until(client, outbox, "asger.torring", "contact")
    clock.now += TTL
    answer = client.get(path)
    assert (answer.status_code, answer.location) == (302, "/login")
    login_page = client.get("/login").get_data(as_text=True)
    assert EXPIRED in login_page and "NEMLOG-IN" in login_page
    assert client.get("/onboarding/contact").location == "/login"  # and it stays so


def test_a_post_to_an_expired_wizard_changes_nothing(app, client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "contact")
    token = csrf_from(client.get("/onboarding/contact").get_data(as_text=True))
    clock.now += TTL
    answer = client.post("/onboarding/contact", data={
        "csrf_token": token, "email": "asger@example.dk", "mobile": "20123456"})
    assert (answer.status_code, answer.location) == (303, "/login")
    assert outbox == [] and query_one(app, select(Onboarding.email)) == [None]


def test_an_expired_wizard_under_htmx_reloads_the_whole_page_at_login(client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "contact")
    clock.now += TTL
    answer = client.get("/onboarding/contact", headers={"HX-Request": "true"})
    assert answer.headers["HX-Redirect"] == "/login"


def test_a_fresh_mitid_login_gives_a_usable_wizard_again(app, client, outbox, clock):
    onboard_until(client, outbox, "asger.torring", "contact")
    clock.now += TTL + timedelta(minutes=5)
    assert client.get("/onboarding/contact").location == "/login"
    assert login_with_mitid(client, "asger.torring").location == "/onboarding/"
    assert client.get("/onboarding/contact").status_code == 200  # where Asger left off
    clock.now += TTL - timedelta(seconds=1)  # counted from the new login
    assert post_form(client, "/onboarding/contact", {
        "email": "asger@example.dk", "mobile": "20123456"}).location == "/onboarding/verify"


def test_the_lifetime_is_configurable(app, client, outbox, clock):
    app.config["ONBOARDING_TTL_SECONDS"] = 120
    onboard_until(client, outbox, "asger.torring", "contact")
    clock.now += timedelta(seconds=119)
    assert client.get("/onboarding/contact").status_code == 200
    clock.now += timedelta(seconds=1)
    assert client.get("/onboarding/contact").location == "/login"


def test_retention_purges_expired_onboardings_with_their_codes(app, simulator, outbox, clock):
    old, fresh = app.test_client(), app.test_client()
    onboard_until(old, outbox, "asger.torring", "verify")  # a code was mailed
    clock.now += TTL
    login_with_mitid(fresh, mitid_person(simulator, "Jonas Holm"))
    dry = retention(app, "--dry-run")
    assert "Would purge 1 unfinished onboardings." in dry.output
    assert len(query_one(app, select(Onboarding))) == 2

    done = retention(app)
    assert done.exit_code == 0 and "Purged 1 unfinished onboardings." in done.output
    assert [row.name for row in query_one(app, select(Onboarding))] == ["Jonas Holm"]
    assert query_one(app, select(EmailCode).where(EmailCode.onboarding_id.is_not(None))) == []
    assert old.get("/onboarding/verify").location == "/login"
    assert fresh.get("/onboarding/link").status_code == 200
    # A fresh login starts Asger's wizard anew.
    assert login_with_mitid(old, "asger.torring").location == "/onboarding/"
    assert old.get("/onboarding/").location == "/onboarding/link"


def test_purging_a_claimed_invitation_gives_the_link_back(app, simulator, clock):
    _user_id, link = invite(app, "Søren Ærø")
    browser = app.test_client()
    claim_with_mitid(browser, link, mitid_person(simulator, "Søren Ærø"))
    assert post_form(browser, "/onboarding/invitation", {"confirm": "Ja"}).status_code == 303
    clock.now += TTL
    assert "Purged 1 unfinished onboardings." in retention(app).output
    # Nothing was linked: the (still valid) link can be used again rather than be lost.
    assert query_one(app, select(Invitation.used_at)) == [None]
    again = app.test_client()
    back = claim_with_mitid(again, link, mitid_person(simulator, "Søren Ærø"))
    assert back.location == "/onboarding/invitation"
