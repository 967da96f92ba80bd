"""An invited staff member in Chromium: the e-mail's link, Fortsæt med MitID, Er det dig?, the wizard."""

import pytest
from playwright.sync_api import expect

from tests.browser.walks import sign_in_at_simulator
from tests.helpers.mitid import mitid_person
from tests.helpers.staff import invite

NAME = "Søren Ærø"


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_invited_user_claims_the_invitation_through_mitid(javascript, app, page, live_server,
                                                          simulator, visit_checked):
    _user_id, link = invite(app, NAME)
    mitid_user_id = mitid_person(simulator, NAME)

    visit_checked(page, live_server.url + link, label="invitation")
    expect(page.get_by_role("heading", name=f"Velkommen {NAME}")).to_be_visible()
    expect(page.get_by_text("Kiropraktisk Klinik Vejle")).to_be_visible()
    # The button's form answers with a redirect to MitID, which the page's CSP lets through.
    page.get_by_role("button", name="Fortsæt med MitID").click()
    sign_in_at_simulator(page, visit_checked, mitid_user_id)

    expect(page).to_have_url(live_server.url + "/onboarding/invitation")
    expect(page.get_by_role("heading", name="Er det dig?")).to_be_visible()
    expect(page.get_by_text(NAME, exact=True)).to_be_visible()
    visit_checked(page, label="invitation: er det dig?")
    page.get_by_role("button", name="Ja, det er mig").click()

    expect(page).to_have_url(live_server.url + "/onboarding/contact")
    expect(page.get_by_label("Email")).to_be_visible()
    visit_checked(page, label="onboarding: contact")
