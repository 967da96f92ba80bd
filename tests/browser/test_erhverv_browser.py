"""Issue 18 in Chromium: Mette Kjær onboards with her private MitID, then logs in with her MitID
Erhverv identity for Rygcenter Aarhus and reaches Aarhus without the legacy password: the new
identity is linked by confirming with the private MitID already linked, in the same browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.walks import nemlog_in, onboard, sign_in_at_simulator
from tests.helpers.staff import not_onboarded

VEJLE, AARHUS = "Kiropraktisk Klinik Vejle", "Rygcenter Aarhus"
EMAIL = "mette.privat@example.dk"


def clinic_radio(page, clinic: str):
    return page.get_by_role("group", name="De klinikker du har adgang til").get_by_role(
        "radio", name=re.compile(rf"^{re.escape(clinic)}\b"))


def log_ud(page, visit_checked, app_url: str, javascript: bool) -> None:
    """Log ud here and at MitID; then back to the login page."""
    page.get_by_role("navigation", name="Bruger").get_by_role("button", name="Log ud").click()
    if not javascript:
        expect(page).to_have_url(app_url + "/auth/logget-ud")
        visit_checked(page, label="logged out here, a link to log out of MitID")
        page.get_by_role("link", name="Log ud af MitID").click()
    expect(page.get_by_text("Du er logget ud af Klinikadgang og MitID.")).to_be_visible()
    visit_checked(page, label="logged out, also at MitID")
    page.get_by_role("link", name="Log ind igen").click()
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="login page after Log ud")


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_mette_links_her_erhverv_identity_for_aarhus_without_the_password(
        javascript, app, page, live_server, outbox, simulator, visit_checked, wait_for_mail):
    not_onboarded(app, "mkj")
    app_url = live_server.url
    visit_checked(page, app_url + "/login", label="login")

    # Her first MitID login, with the private MitID: the onboarding, with the legacy password.
    nemlog_in(page, visit_checked, "mette.kjaer", login_as="Privat")
    expect(page.get_by_role("heading", name="Velkommen Mette Kjær")).to_be_visible()
    onboard(page, visit_checked, app_url, outbox, wait_for_mail, user_id="mkj",
            password="Rygcenter2024", email=EMAIL)
    expect(page).to_have_url(app_url + "/select/clinic")
    visit_checked(page, label="clinic picker after onboarding")
    clinic_radio(page, VEJLE).check()
    page.get_by_role("button", name="Vælg").click()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/(\?.*)?$"))
    visit_checked(page, label="start page, Vejle")
    log_ud(page, visit_checked, app_url, javascript)

    # Now MitID Erhverv for Rygcenter Aarhus: an identity of its own, not linked yet.
    nemlog_in(page, visit_checked, "mette.kjaer", login_as=f"{AARHUS} (CVR 10000002)")
    expect(page).to_have_url(app_url + "/onboarding/link")
    expect(page.get_by_role("heading", name="Velkommen Mette Kjær")).to_be_visible()
    expect(page.get_by_text(f"{AARHUS} (CVR 10000002)")).to_be_visible()
    visit_checked(page, label="a new MitID Erhverv identity: confirm it")
    page.get_by_role("link", name="Bekræft med dit private MitID").click()
    # The broker asks for MitID again (prompt=login): the person proves it now, in this browser.
    sign_in_at_simulator(page, visit_checked, "mette.kjaer", login_as="Privat")

    expect(page).to_have_url(app_url + "/select/clinic")
    expect(clinic_radio(page, AARHUS)).to_be_checked()
    visit_checked(page, label="clinic picker, Aarhus preselected")
    page.get_by_role("button", name="Vælg").click()
    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text(
        f"{AARHUS} · behandler")
    visit_checked(page, label="start page, Aarhus through MitID Erhverv")
