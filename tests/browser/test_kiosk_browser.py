"""The kiosk in the waiting room, in Chromium: one tablet, one patient after the other.

The tablet is one browser context. Hanne (administrator at Rygcenter Aarhus) enrols it with the
one-time link from "Kiosker", logs out and leaves it on the start screen. Sofie creates her user
on it (MitID at the simulator, asked with prompt=login) and the kiosk resets by itself; Back
shows nothing of hers; then Karen checks her contact details (MitID asks for her BRUGER-ID
again). The idle countdown runs with a short KIOSK_IDLE_SECONDS.

Every page the browser shows goes through ``visit_checked`` (axe-core). A patient taps: the
kiosk's buttons must be reachable, not lie under the fixed kiosk footer.
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.helpers.portal import CPR, PASSWORD, portal_user, register

AARHUS = "Rygcenter Aarhus"
START_HEADING = f"Velkommen til {AARHUS}"
SOFIE = {"name": "Sofie Nielsen", "first name": "Sofie", "last name": "Nielsen",
         "e-mail": "sofie.nielsen@example.dk", "CPR": CPR["sofie.nielsen"],
         "CPR without hyphen": CPR["sofie.nielsen"].replace("-", ""), "mobile": "20 00 00 03"}
KAREN = {"name": "Karen Jensen", "e-mail": "karen.jensen@example.dk"}
BACK_PRESSES = 4
NOT_HIDDEN_FIELDS = "input:not([type=hidden]), textarea"
# Scrolled as far as the page goes to bring `el` to the middle of the screen: what a patient's
# finger hits at its centre instead of `el` (null: `el` itself).
COVERED_BY = """el => {
  el.scrollIntoView({block: "center"});
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  if (hit === null || el.contains(hit)) return null;
  const part = hit.closest("header, footer, nav") || hit;
  return part.tagName.toLowerCase() + "." + part.className.trim().split(/\\s+/).join(".");
}"""


def tap(page, role: str, name, **options) -> None:
    """Tap a control as a patient does: it must be on top where it is shown, then click it."""
    target = page.get_by_role(role, name=name, **options)
    covered_by = target.evaluate(COVERED_BY)
    assert covered_by is None, (
        f"{role} {name!r} on {page.url} lies under {covered_by}: a patient cannot tap it")
    target.click()


def start_url(app_url: str) -> str:
    return app_url + "/kiosk/aarhus"


def expect_start_screen(page) -> None:
    """The kiosk's start screen with its three actions."""
    expect(page.get_by_role("heading", level=1, name=START_HEADING)).to_be_visible()
    for action in ("Opret bruger", "Registrer dig hos klinikken", "Tjek dine kontaktoplysninger"):
        expect(page.get_by_role("link", name=re.compile(rf"^{action}"))).to_be_visible()


def start_action(page, visit_checked, action: str, label: str) -> None:
    """Tap one of the start screen's actions."""
    tap(page, "link", re.compile(rf"^{action}"))
    page.wait_for_load_state()
    visit_checked(page, label=label)


def shown(page) -> str:
    """What the page shows: its text and the values in its fields (restored ones too)."""
    text = page.locator("body").inner_text() if page.locator("body").count() else ""
    values = page.locator(NOT_HIDDEN_FIELDS).evaluate_all("fields => fields.map(f => f.value)")
    return "\n".join([text, *values])


def found(person: dict, haystack: str) -> list[str]:
    """Which of a person's details occur in the text."""
    return [what for what, value in person.items() if value in haystack]


def expect_nothing_of(person: dict, page, where: str) -> None:
    leaked = found(person, shown(page))
    assert not leaked, f"{where} ({page.url}) shows the previous patient's {', '.join(leaked)}"


def at_mitid(page, visit_checked, persona: str, label: str) -> None:
    """The simulator asked with prompt=login shows its login page (empty BRUGER-ID); log in."""
    expect(page.get_by_role("heading", name="Log på hos via SEB")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query).get("prompt") == ["login"], page.url
    user_id = page.get_by_label("BRUGER-ID")
    expect(user_id).to_have_value("")
    visit_checked(page, label=f"MitID simulator: log på ({label})")
    user_id.fill(persona)
    page.get_by_role("button", name="FORTSÆT").click()
    expect(page.get_by_role("button", name="Godkend")).to_be_visible()
    visit_checked(page, label=f"MitID simulator: godkend ({label})")
    page.get_by_role("button", name="Godkend").click()


def enrol_tablet(page, visit_checked, app_url: str) -> None:
    """Hanne logs in on the tablet, adds a kiosk, opens its one-time link there, logs out."""
    visit_checked(page, app_url + "/login", label="staff login on the tablet")
    page.get_by_role("link", name="NEMLOG-IN").click()
    expect(page.get_by_label("BRUGER-ID")).to_be_visible()
    visit_checked(page, label="MitID simulator: log på (Hanne)")
    page.get_by_label("BRUGER-ID").fill("hanne.lund")
    page.get_by_role("button", name="FORTSÆT").click()
    expect(page.get_by_role("button", name="Godkend")).to_be_visible()
    visit_checked(page, label="MitID simulator: godkend (Hanne)")
    page.get_by_role("button", name="Godkend").click()
    expect(page).to_have_url(app_url + "/")
    visit_checked(page, label="start page, Hanne")
    page.get_by_role("navigation", name="Klinik").get_by_role("link", name="Kiosker").click()
    expect(page.get_by_role("heading", level=1, name="Kiosker i venteværelset")).to_be_visible()
    visit_checked(page, label="Kiosker")
    page.get_by_label("Navn på kiosken").fill("Venteværelset")
    page.get_by_role("button", name="Tilføj kiosk").click()
    link = page.locator("code.kiosk-link")
    expect(link).to_be_visible()
    visit_checked(page, label="kiosk added, its link")
    visit_checked(page, link.inner_text(), label="enrolment link opened on the tablet")
    expect(page.get_by_role("heading", level=1, name="Kiosken er tilmeldt")).to_be_visible()
    page.get_by_role("main").get_by_role("button", name="Log ud").click()
    # A plain form: logged out here, and a link ends Hanne's login at MitID on the tablet too.
    expect(page).to_have_url(app_url + "/auth/logget-ud")
    visit_checked(page, label="Hanne logged out, a link to log out of MitID")
    page.get_by_role("link", name="Log ud af MitID").click()
    expect(page.get_by_text("Du er logget ud af Klinikadgang og MitID.")).to_be_visible()
    visit_checked(page, label="Hanne logged out of MitID too")
    page.get_by_role("link", name="Log ind igen").click()
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="staff login after Hanne's Log ud")


def sofie_registers(app, page, visit_checked, app_url: str, javascript: bool) -> None:
    """Step 1: "Opret bruger" on the kiosk, MitID with prompt=login, back at the start by itself."""
    visit_checked(page, start_url(app_url), label="kiosk start")
    expect_start_screen(page)
    start_action(page, visit_checked, "Opret bruger", "Opret ny bruger on the kiosk")
    expect(page).to_have_url(app_url + "/portal/aarhus/opret")
    cpr = page.get_by_label("CPR-nummer", exact=True)
    expect(cpr).to_have_attribute("type", "password")  # hidden by default on a kiosk
    expect(page.get_by_label("Skjul CPR-nummer")).to_be_checked()
    cpr.press_sequentially(SOFIE["CPR without hyphen"])
    expect(cpr).to_have_attribute("type", "password")
    page.get_by_label("Fornavn").fill(SOFIE["first name"])
    page.get_by_label("Efternavn").fill(SOFIE["last name"])
    page.get_by_label("E-mail", exact=True).fill(SOFIE["e-mail"])
    page.get_by_label("Bekræft e-mail").fill(SOFIE["e-mail"])
    page.get_by_label("Mobil").fill(SOFIE["mobile"])
    page.get_by_label("Adgangskode", exact=True).fill(PASSWORD)
    page.get_by_label("Bekræft adgangskode").fill(PASSWORD)
    page.get_by_label("Jeg accepterer vilkår").check()
    tap(page, "button", "Opret bruger")
    if not javascript:
        # A form's answer may not redirect to another site (CSP form-action): a link goes on.
        expect(page.get_by_role("heading", name="Bekræft med MitID")).to_be_visible()
        visit_checked(page, label="Bekræft med MitID")
        tap(page, "link", "Fortsæt til MitID")
    at_mitid(page, visit_checked, "sofie.nielsen", "Sofie")

    expect(page).to_have_url(start_url(app_url) + "?done=1")
    expect(page.get_by_role("status")).to_contain_text(
        "Tak. Du er færdig, og alt er nulstillet til den næste.")
    expect_start_screen(page)
    expect_nothing_of(SOFIE, page, "the start screen after Sofie")
    visit_checked(page, label="kiosk start: Tak. Du er færdig")
    assert portal_user(app, "sofie.nielsen") is not None


def go_back(page, browser_harness) -> None:
    """Back. To the result of a POST (the simulator's) Chromium answers with its own error page
    ("Confirm Form Resubmission", ERR_CACHE_MISS): no page of the app, nothing for axe (which
    cannot replay it without JavaScript), so the harness's record of it is marked as looked at."""
    try:
        page.go_back()
        return
    except PlaywrightError as error:
        if "ERR_CACHE_MISS" not in str(error):
            raise
    deadline = time.monotonic() + 5
    while not page.url.startswith("chrome-error://"):
        assert time.monotonic() < deadline, f"no error page after Back, at {page.url}"
        page.wait_for_timeout(50)
    page.wait_for_load_state()
    for visit in browser_harness.logs[page].visits:
        if visit.url.startswith("chrome-error://"):
            visit.checked = True


def what_is_shown(page, app_url: str) -> str:
    """The start screen, the portal's front page, another page of the app, or not the app."""
    if page.url.startswith("chrome-error://"):
        return "the browser's own error page"
    if not page.url.startswith(app_url):
        return "MitID"
    if page.get_by_role("heading", level=1, name=START_HEADING).count():
        return "start screen"
    if (page.get_by_role("heading", level=1, name=AARHUS, exact=True).count()
            and page.get_by_role("heading", level=2, name="Log ind med MitID").count()):
        return "front page"
    return "app page " + urlsplit(page.url).path


def back_shows_nothing_of_sofie(page, visit_checked, browser_harness, app_url: str) -> None:
    """Step 2: Back a few times; no page shows her data; the app's pages are start or front."""
    seen, wrong = [], False
    for press in range(1, BACK_PRESSES + 1):
        go_back(page, browser_harness)
        if not page.url.startswith("chrome-error://"):
            visit_checked(page, label=f"Back no. {press} after Sofie")
        what, data = what_is_shown(page, app_url), found(SOFIE, shown(page))
        wrong = wrong or bool(data) or what.startswith("app page")
        seen.append(f"Back no. {press}: {what} at {page.url.split('?')[0]}"
                    + (f", shows her {', '.join(data)}" if data else ""))
    assert not wrong, "Back after Sofie:\n  " + "\n  ".join(seen)


def karen_checks_her_contact_details(page, visit_checked, app_url: str) -> None:
    """Step 3: "Tjek dine kontaktoplysninger", MitID asks again, her details, "Det er rigtigt"."""
    visit_checked(page, start_url(app_url), label="kiosk start, Karen's turn")
    expect_start_screen(page)
    start_action(page, visit_checked, "Tjek dine kontaktoplysninger", "portal front on the kiosk")
    expect(page).to_have_url(app_url + "/portal/aarhus")
    expect(page.get_by_role("navigation", name="Bruger").get_by_role(
        "button", name="Afslut")).to_be_visible()
    expect(page.get_by_label("CPR-nummer", exact=True)).to_have_attribute("type", "password")
    expect_nothing_of(SOFIE, page, "the portal front for Karen")
    tap(page, "link", "Log ind", exact=True)
    at_mitid(page, visit_checked, "karen.jensen", "Karen")

    expect(page).to_have_url(app_url + "/portal/aarhus/hjem")
    expect(page.get_by_role("heading", level=1, name="Velkommen Karen")).to_be_visible()
    details = page.get_by_role("region", name="Dine oplysninger")
    expect(details).to_contain_text(KAREN["name"])
    expect(details).to_contain_text(KAREN["e-mail"])
    expect(page.get_by_role("link", name="Ret e-mail og mobil")).to_be_visible()
    expect(page.get_by_role("heading", name="Klinikkens tjenester")).to_have_count(0)
    expect(page.get_by_role("button", name="Log ud")).to_have_count(0)
    expect_nothing_of(SOFIE, page, "Karen's home page")
    visit_checked(page, label="Karen's home on the kiosk")

    tap(page, "button", "Det er rigtigt – afslut")
    expect(page).to_have_url(start_url(app_url))
    expect_start_screen(page)
    expect_nothing_of(KAREN, page, "the start screen after Karen")
    visit_checked(page, label="kiosk start after Karen")


@pytest.mark.browser
def test_two_patients_one_after_the_other_on_one_tablet(
        app, page, live_server, simulator, visit_checked, browser_harness):
    app_url = live_server.url
    assert register(app.test_client(), "aarhus", "karen.jensen").status_code == 302  # at home
    enrol_tablet(page, visit_checked, app_url)
    sofie_registers(app, page, visit_checked, app_url, javascript=True)
    back_shows_nothing_of_sofie(page, visit_checked, browser_harness, app_url)
    karen_checks_her_contact_details(page, visit_checked, app_url)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [False], ids=["nojs"])
def test_without_javascript_registration_back_and_the_server_side_reset(
        javascript, app, page, live_server, simulator, visit_checked, browser_harness):
    app_url = live_server.url
    enrol_tablet(page, visit_checked, app_url)
    sofie_registers(app, page, visit_checked, app_url, javascript=False)
    back_shows_nothing_of_sofie(page, visit_checked, browser_harness, app_url)

    # No countdown without JavaScript: the server resets an idle kiosk at the next request.
    visit_checked(page, start_url(app_url), label="kiosk start")
    start_action(page, visit_checked, "Registrer dig hos klinikken", "portal front on the kiosk")
    expect(page).to_have_url(app_url + "/portal/aarhus")
    app.config["KIOSK_IDLE_SECONDS"] = 1  # read on every request
    time.sleep(1.1)
    page.reload()
    expect(page).to_have_url(start_url(app_url) + "?reset=1")
    expect_start_screen(page)
    expect(page.get_by_text("Skærmen er nulstillet.")).to_be_visible()
    visit_checked(page, label="kiosk start after the idle time")


@pytest.mark.browser
def test_idle_countdown_resets_the_kiosk_and_jeg_er_her_stadig_keeps_the_page(
        app, page, live_server, simulator, visit_checked, browser_harness):
    app_url = live_server.url
    app.config["KIOSK_IDLE_SECONDS"] = 5  # read on every request: the live server's pages use it
    enrol_tablet(page, visit_checked, app_url)
    visit_checked(page, start_url(app_url), label="kiosk start")
    start_action(page, visit_checked, "Registrer dig hos klinikken", "portal front on the kiosk")
    portal_front = app_url + "/portal/aarhus"
    expect(page).to_have_url(portal_front)
    loads = len(browser_harness.logs[page].visits)

    # The countdown shows; "Jeg er her stadig" tells the server and starts it again.
    countdown = page.locator(".kiosk-countdown")
    seconds = countdown.locator("[data-kiosk-seconds]")
    expect(countdown).to_be_visible(timeout=3_000)
    expect(countdown).to_contain_text("Nulstilles om")
    expect(seconds).to_have_text(re.compile(r"^[23]$"), timeout=5_000)
    with page.expect_response(re.compile(r"/kiosk/aarhus/still-here$")) as answer:
        tap(page, "button", "Jeg er her stadig")
    assert answer.value.status == 204
    expect(seconds).to_have_text("4")  # counting from the top again
    # Past the moment the first countdown would have ended: the page is still there.
    expect(seconds).to_have_text("1", timeout=5_000)
    expect(page).to_have_url(portal_front)
    assert len(browser_harness.logs[page].visits) == loads

    # Nobody taps: the kiosk ends the session and shows the start screen.
    expect(page).to_have_url(start_url(app_url), timeout=5_000)
    expect_start_screen(page)
    visit_checked(page, label="kiosk start after the countdown")
    page.close()  # the start screen counts down too; nothing more to see
