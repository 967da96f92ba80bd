"""The whole staff onboarding in Chromium, with JavaScript (htmx swaps) and without (form posts)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.walks import nemlog_in
from tests.helpers.mail import code_from

PERSONA = "asger.torring"
NAME = "Asger Tørring"
LEGACY_USER_ID, LEGACY_PASSWORD = "ato", "Kirpacs2024"
PRIVATE_EMAIL = "asger.privat@example.dk"
MASKED_EMAIL = "asg****@example.dk"  # the first three letters of the local part
MARKER = "window.__sameDocument"  # set on the first wizard page; gone after a full page load


def login_with_mitid(page, visit_checked):
    """From the app's login page: NEMLOG-IN, the simulator's two pages, back in the app."""
    nemlog_in(page, visit_checked, PERSONA)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_staff_onboarding_end_to_end(javascript, page, live_server, outbox, simulator,
                                     visit_checked, wait_for_mail):
    app_url = live_server.url
    wizard_posts = []
    page.on("request", lambda request: request.method == "POST"
            and request.url.startswith(app_url + "/onboarding/")
            and wizard_posts.append(request))

    def same_document() -> bool:
        """Whether the marker set on the first wizard page survived (no full page load)."""
        return page.evaluate(MARKER) is True

    def step_url(step: str) -> str:
        return f"{app_url}/onboarding/{step}"

    # Login page -> MitID simulator -> back in the app at the wizard's first step.
    visit_checked(page, app_url + "/login", label="login")
    login_with_mitid(page, visit_checked)
    expect(page).to_have_url(step_url("link"))
    expect(page.get_by_role("heading", name=f"Velkommen {NAME}")).to_be_visible()
    expect(page.get_by_text("Tak fordi du loggede ind med MitID")).to_be_visible()
    visit_checked(page, label="onboarding: link")
    page.evaluate(f"{MARKER} = true")  # works with JavaScript disabled too (DevTools evaluation)
    assert same_document()

    # Step 1, first with a wrong password: the error sits at the field, the user ID stays.
    page.get_by_label("Bruger ID").fill(LEGACY_USER_ID)
    page.get_by_label("Kodeord").fill("Forkert123")
    page.get_by_role("button", name="Login").click()
    password = page.get_by_label("Kodeord")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(
        re.compile(r"Forkert bruger ID eller kodeord\."))
    expect(password).to_have_value("")
    expect(page.get_by_label("Bruger ID")).to_have_value(LEGACY_USER_ID)
    expect(page).to_have_url(step_url("link"))
    visit_checked(page, label="onboarding: link, wrong password")
    assert same_document() is javascript

    password.fill(LEGACY_PASSWORD)
    page.get_by_role("button", name="Login").click()

    # Step 2: private e-mail and mobile.
    expect(page).to_have_url(step_url("contact"))
    expect(page.get_by_label("Email")).to_be_visible()
    visit_checked(page, label="onboarding: contact")
    assert same_document() is javascript
    page.get_by_label("Email").fill(PRIVATE_EMAIL)
    page.get_by_label("Mobil").fill("20123456")
    page.get_by_role("button", name="Send kode").click()

    # Step 3: the code from the e-mail.
    expect(page).to_have_url(step_url("verify"))
    expect(page.get_by_text(MASKED_EMAIL)).to_be_visible()
    expect(page.get_by_text(PRIVATE_EMAIL)).to_have_count(0)
    expect(page.get_by_role("button", name="Gensend kode")).to_be_visible()
    visit_checked(page, label="onboarding: verify")
    assert same_document() is javascript
    code = code_from(wait_for_mail(outbox, PRIVATE_EMAIL))
    page.get_by_label("Kode", exact=True).fill(code)
    page.get_by_role("button", name="Verificer kode").click()

    # Step 4: consent.
    expect(page).to_have_url(step_url("consent"))
    expect(page.get_by_text("ønsker vi dit samtykke", exact=False)).to_be_visible()
    for system in ("Kiroviden.dk", "KirCACS.dk", "KirPACS.dk"):
        expect(page.get_by_role("listitem").filter(has_text=system)).to_be_visible()
    visit_checked(page, label="onboarding: consent")
    assert same_document() is javascript
    page.get_by_role("button", name="Giv samtykke").click()

    # The start page (htmx leaves the wizard with HX-Redirect: a full page load in both modes).
    expect(page).to_have_url(app_url + "/?welcome=1")
    expect(page.get_by_role("heading", level=1, name=f"Velkommen {NAME}")).to_be_visible()
    expect(page.get_by_text("Du er onboardet")).to_be_visible()
    visit_checked(page, label="start page after onboarding")
    assert not same_document()

    # htmx swapped the steps (XHR with HX-Request) or the browser posted plain forms.
    posted = [(re.sub(r"^.*/onboarding/", "", request.url), request.resource_type,
               request.headers.get("hx-request")) for request in wizard_posts]
    expected_kind = ("xhr", "true") if javascript else ("document", None)
    assert [step for step, *_kind in posted] == ["link", "link", "contact", "verify", "consent"]
    assert {tuple(kind) for _step, *kind in posted} == {expected_kind}, posted

    # Log out (at MitID too), then log in with MitID again: straight to the start page, no wizard.
    page.get_by_role("button", name="Log ud").click()
    if not javascript:  # a form's answer may not redirect to MitID (form-action): a link does
        expect(page).to_have_url(app_url + "/auth/logget-ud")
        visit_checked(page, label="logged out, a link to log out of MitID")
        page.get_by_role("link", name="Log ud af MitID").click()
    expect(page.get_by_text("Du er logget ud af Klinikadgang og MitID.")).to_be_visible()
    visit_checked(page, label="logged out of MitID too")
    page.get_by_role("link", name="Log ind igen").click()
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="login after logout")
    # The next NEMLOG-IN on this browser shows the simulator's BRUGER-ID page, empty: the
    # broker's session ended at Log ud, so nobody comes straight back in as Asger.
    login_with_mitid(page, visit_checked)  # its first step expects the BRUGER-ID field
    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("heading", level=1, name=f"Velkommen {NAME}")).to_be_visible()
    expect(page.get_by_text("Du er onboardet")).to_have_count(0)
    visit_checked(page, label="start page, second MitID login")
    assert len(wizard_posts) == 5


@pytest.mark.browser
def test_htmx_swaps_move_focus(page, live_server, simulator, visit_checked):
    """After a swap, focus goes to the field in error, else to the new step's heading."""
    visit_checked(page, live_server.url + "/login", label="login")
    login_with_mitid(page, visit_checked)
    expect(page).to_have_url(live_server.url + "/onboarding/link")
    visit_checked(page, label="onboarding: link")
    page.get_by_label("Bruger ID").fill(LEGACY_USER_ID)
    page.get_by_role("button", name="Login").click()  # no password: "Skriv dit kodeord."
    password = page.get_by_label("Kodeord")
    expect(password).to_have_accessible_description(re.compile(r"Skriv dit kodeord\."))
    visit_checked(page, label="onboarding: link, no password")
    expect(password).to_be_focused(timeout=1000)
    password.fill(LEGACY_PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(live_server.url + "/onboarding/contact")
    visit_checked(page, label="onboarding: contact")
    expect(page.get_by_role("heading", level=1, name="KirPACS onboarding")).to_be_focused(timeout=1000)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_afbryd_og_log_ud_leaves_the_wizard_and_mitid(javascript, page, live_server, simulator,
                                                     simulator_server, visit_checked):
    """On a shared PC: Asger leaves at the first step; the next NEMLOG-IN asks for MitID."""
    app_url, simulator_url = live_server.url, simulator_server[0].url
    visit_checked(page, app_url + "/login", label="login")
    login_with_mitid(page, visit_checked)
    expect(page).to_have_url(app_url + "/onboarding/link")
    visit_checked(page, label="onboarding: link")
    page.get_by_role("button", name="Afbryd og log ud").click()
    if javascript:  # htmx navigates on to MitID, which returns here
        expect(page).to_have_url(re.compile(re.escape(app_url) + r"/auth/logget-ud\?state="))
        expect(page.get_by_text("Du er logget ud af Klinikadgang og MitID.")).to_be_visible()
        visit_checked(page, label="logged out, also at MitID")
    else:  # a form's answer may not redirect to MitID: our page links there
        expect(page).to_have_url(app_url + "/auth/logget-ud")
        visit_checked(page, label="logged out here, a link to log out of MitID")
        page.get_by_role("link", name="Log ud af MitID").click()
        expect(page).to_have_url(re.compile(re.escape(simulator_url) + r"/logout\?"))
        expect(page.get_by_text("Du er logget ud af MitID hos tjenesten.")).to_be_visible()
        visit_checked(page, label="MitID simulator: logged out")
    visit_checked(page, app_url + "/onboarding/link", label="the wizard is gone: login page")
    expect(page).to_have_url(app_url + "/login")
    page.get_by_role("link", name="NEMLOG-IN").click()
    expect(page).to_have_url(re.compile(re.escape(simulator_url) + r"/authorize\?"))
    expect(page.get_by_label("BRUGER-ID")).to_have_value("")
    visit_checked(page, label="MitID simulator asks again")
