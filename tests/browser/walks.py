"""Steps that many browser walks share: logging in at the MitID simulator like a person."""

from playwright.sync_api import expect


def sign_in_at_simulator(page, visit_checked, user_id: str, login_as: str | None = None):
    """At the simulator: BRUGER-ID, FORTSÆT, (Privat or a company), Godkend."""
    expect(page.get_by_label("BRUGER-ID")).to_be_visible()
    visit_checked(page, label="MitID simulator: log på")
    page.get_by_label("BRUGER-ID").fill(user_id)
    page.get_by_role("button", name="FORTSÆT").click()
    if login_as is not None:
        expect(page.get_by_role("heading", name="Vælg hvordan du vil logge ind")).to_be_visible()
        visit_checked(page, label="MitID simulator: privat eller erhverv")
        page.get_by_role("button", name=login_as).click()
    expect(page.get_by_role("button", name="Godkend")).to_be_visible()
    visit_checked(page, label="MitID simulator: godkend")
    page.get_by_role("button", name="Godkend").click()


def nemlog_in(page, visit_checked, user_id: str, login_as: str | None = None):
    """From the app's staff login page on screen: NEMLOG-IN, then the simulator."""
    page.get_by_role("link", name="NEMLOG-IN").click()
    sign_in_at_simulator(page, visit_checked, user_id, login_as)


def login_staff_with_mitid(page, visit_checked, app_url: str, user_id: str,
                           login_as: str | None = None) -> None:
    """A staff member opens the login page and logs in with MitID."""
    visit_checked(page, app_url + "/login", label="staff login")
    nemlog_in(page, visit_checked, user_id, login_as)
