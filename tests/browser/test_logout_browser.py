"""Issue 18 in Chromium: after Log ud, the next NEMLOG-IN on that browser asks for MitID again.

Hanne Lund (already onboarded) stands for the person on the shared clinic PC: Asger would first
walk the whole onboarding, which its own browser test covers. With JavaScript, htmx sends Log ud
and navigates on to the broker's logout; without, our logged-out page links there (a form's
answer may not redirect to another site: CSP form-action 'self', which Chromium enforces).
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.walks import login_staff_with_mitid


def log_ud(page) -> None:
    """The header's Log ud button."""
    page.get_by_role("navigation", name="Bruger").get_by_role("button", name="Log ud").click()


def expect_bruger_id_page(page, simulator_url: str, visit_checked) -> dict:
    """The simulator asks for credentials (BRUGER-ID); returns the authorization request."""
    expect(page).to_have_url(re.compile(re.escape(simulator_url) + r"/authorize\?"))
    expect(page.get_by_label("BRUGER-ID")).to_be_visible()
    expect(page.get_by_label("BRUGER-ID")).to_have_value("")
    visit_checked(page, label="MitID simulator asks again")
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_after_log_ud_the_next_nemlog_in_asks_for_mitid(javascript, page, live_server,
                                                        simulator_server, visit_checked):
    app_url, simulator_url = live_server.url, simulator_server[0].url
    posts = []
    page.on("request", lambda request: request.method == "POST"
            and request.url == app_url + "/logout"
            and posts.append((request.resource_type, request.headers.get("hx-request"))))
    login_staff_with_mitid(page, visit_checked, app_url, "hanne.lund")
    expect(page).to_have_url(app_url + "/")
    visit_checked(page, label="start page")

    # Still logged in at MitID, NEMLOG-IN would come straight back: the simulator's SSO.
    log_ud(page)
    if not javascript:
        expect(page).to_have_url(app_url + "/auth/logget-ud")
        expect(page.get_by_text("Afslut også dit login hos MitID")).to_be_visible()
        visit_checked(page, label="logged out here, a link to log out of MitID")
        page.get_by_role("link", name="Log ud af MitID").click()
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/auth/logget-ud\?state="))
    expect(page.get_by_role("heading", level=1, name="Du er logget ud")).to_be_visible()
    expect(page.get_by_text("Du er logget ud af Klinikadgang og MitID.")).to_be_visible()
    visit_checked(page, label="logged out, also at MitID")

    page.get_by_role("link", name="Log ind igen").click()
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="login page")
    page.get_by_role("link", name="NEMLOG-IN").click()
    request = expect_bruger_id_page(page, simulator_url, visit_checked)
    assert "prompt" not in request  # the simulator's session really ended
    # htmx sent Log ud (XHR, then a navigation to the broker), or the browser posted the form.
    assert posts == ([("xhr", "true")] if javascript else [("document", None)])


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [False], ids=["nojs"])
def test_log_ud_without_going_on_to_mitid_still_asks(javascript, page, live_server,
                                                     simulator_server, visit_checked):
    app_url, simulator_url = live_server.url, simulator_server[0].url
    login_staff_with_mitid(page, visit_checked, app_url, "hanne.lund")
    expect(page).to_have_url(app_url + "/")
    visit_checked(page, label="start page")
    log_ud(page)
    expect(page).to_have_url(app_url + "/auth/logget-ud")
    visit_checked(page, label="logged out here")
    page.get_by_role("link", name="Log ind igen").click()
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="login page")
    page.get_by_role("link", name="NEMLOG-IN").click()
    request = expect_bruger_id_page(page, simulator_url, visit_checked)
    assert request["prompt"] == "login"


@pytest.mark.browser
def test_without_log_ud_nemlog_in_comes_straight_back(page, live_server, visit_checked):
    """The control: the simulator's SSO is real in Chromium too."""
    app_url = live_server.url
    login_staff_with_mitid(page, visit_checked, app_url, "hanne.lund")
    expect(page).to_have_url(app_url + "/")
    visit_checked(page, label="start page")
    visit_checked(page, app_url + "/auth/mitid/login", label="NEMLOG-IN while still logged in")
    expect(page).to_have_url(app_url + "/")
