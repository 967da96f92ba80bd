"""The clinic workspace in Chromium: a stamkort made into a portal user, and the approval queue.

Every page the browser shows goes through ``visit_checked`` (axe-core). E-mails are read from the
SMTP outbox; the outbox is emptied before an action whose e-mail a walk reads.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.walks import choose_function, create_patient, login_staff_with_mitid
from tests.helpers.mail import code_from
from tests.helpers.portal import CPR, PASSWORD, register

VEJLE, AARHUS = "Kiropraktisk Klinik Vejle", "Rygcenter Aarhus"
OLE_EMAIL = "ole.hansen@example.dk"
BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def link_in(mail) -> str:
    """The first http link in an e-mail's text."""
    match = re.search(r"(https?://\S+)", mail.text)
    assert match, f"no link in the mail {mail.subject!r}"
    return match.group(1)


def clinic_nav(page):
    """The workspace's navigation ("Klinik")."""
    return page.get_by_role("navigation", name="Klinik")


def requests_link(page):
    """The navigation's "Anmodninger" link (its name includes the badge, when there is one)."""
    return clinic_nav(page).get_by_role("link", name=re.compile(r"^Anmodninger\b"))


def stamkort_tab(page, name: str):
    """A tab of the stamkort ("Stamdata", "Kommunikation", "Patientportal")."""
    return page.get_by_role("navigation", name="Stamkort").get_by_role("link", name=name)


def open_tab(page, visit_checked, app_url: str, name: str, path: str, javascript: bool) -> None:
    """Open a stamkort tab (htmx swaps the panel and pushes the URL; without JS a page load)."""
    stamkort_tab(page, name).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/clinic/patients/\d+{path}$"))
    expect(page.locator("#tab-panel").get_by_role("heading", level=2, name=name)).to_be_visible()
    # htmx swaps the tab list with the panel, so the right tab is current with and without JS.
    expect(stamkort_tab(page, name)).to_have_attribute("aria-current", "page")
    visit_checked(page, label=f"stamkort: {name}")


# -- 6. The clinic creates Ole (no MitID) as portal user; Ole activates and logs in -----------

@pytest.mark.browser
@BOTH_MODES
def test_secretary_creates_ole_as_portal_user_without_mitid(
        javascript, page, browser_context, live_server, simulator, outbox, visit_checked,
        wait_for_mail):
    app_url = live_server.url

    # Jonas (behandler + sekretær at Aarhus) picks sekretær, then Patienter -> Opret patient.
    login_staff_with_mitid(page, visit_checked, app_url, "jonas.holm")
    choose_function(page, visit_checked, app_url, AARHUS, "sekretær")
    create_patient(page, visit_checked, cpr=CPR["ole.hansen"], first="Ole", last="Hansen",
                   email=OLE_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("030344-XXXX")
    expect(stamkort_tab(page, "Stamdata")).to_have_attribute("aria-current", "page")
    visit_checked(page, label="stamkort: Stamdata")

    # Kommunikation: "Patienten har ikke MitID", with the clinic's responsibility spelled out.
    open_tab(page, visit_checked, app_url, "Kommunikation", "/communication", javascript)
    expect(page.get_by_label("E-mail")).to_have_value(OLE_EMAIL)
    warning = page.locator("#no-mitid-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("er det klinikkens ansvar, at den mailadresse")
    no_mitid = page.get_by_label("Patienten har ikke MitID")
    expect(no_mitid).not_to_be_checked()
    no_mitid.check()
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status")).to_contain_text("Kommunikation er gemt.")
    expect(page.get_by_label("Patienten har ikke MitID")).to_be_checked()
    visit_checked(page, label="stamkort: Kommunikation saved")

    # Patientportal: "Opret som bruger" e-mails Ole an activation link.
    open_tab(page, visit_checked, app_url, "Patientportal", "/portal", javascript)
    expect(page.get_by_text("Patienten er ikke bruger af Patientportalen.")).to_be_visible()
    outbox.clear()
    page.get_by_role("button", name="Opret som bruger").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Patienten er oprettet som bruger, og der er sendt et aktiveringslink.")
    expect(page.get_by_text("Brugeren er endnu ikke aktiveret.")).to_be_visible()
    expect(page.get_by_role("button", name="Send aktiveringslink igen")).to_be_visible()
    visit_checked(page, label="stamkort: Patientportal, user created")

    mail = wait_for_mail(outbox, OLE_EMAIL)
    assert mail.subject == "Aktivér din bruger på Patientportalen"
    assert CPR["ole.hansen"] not in mail.text and "0303441357" not in mail.text
    link = link_in(mail)
    assert link.startswith(app_url + "/portal/aarhus/aktiver/"), link

    # Ole, in his own browser: the link, a password, then security code without MitID.
    ole = browser_context(javascript=javascript).new_page()
    visit_checked(ole, link, label="activate")
    expect(ole.get_by_role("heading", level=1, name="Aktivér din bruger")).to_be_visible()
    expect(ole.get_by_text(f"Hej Ole. {AARHUS} har oprettet dig som bruger")).to_be_visible()
    ole.get_by_label("Adgangskode", exact=True).fill(PASSWORD)
    ole.get_by_label("Bekræft adgangskode").fill(PASSWORD)
    ole.get_by_role("button", name="Gem adgangskode").click()
    expect(ole).to_have_url(app_url + "/portal/aarhus")
    expect(ole.get_by_role("status")).to_contain_text(
        "Din adgangskode er gemt. Du kan nu logge ind med sikkerhedskode.")
    visit_checked(ole, label="front after activation")

    outbox.clear()
    ole.get_by_label("CPR-nummer", exact=True).press_sequentially(
        CPR["ole.hansen"].replace("-", ""))
    ole.get_by_label("Adgangskode").fill(PASSWORD)
    ole.get_by_role("button", name="Log ind", exact=True).click()
    expect(ole).to_have_url(app_url + "/portal/aarhus/log-ind/sikkerhedskode")
    visit_checked(ole, label="security code")
    ole.get_by_label("Sikkerhedskode").fill(code_from(wait_for_mail(outbox, OLE_EMAIL)))
    ole.get_by_role("button", name="Log ind").click()
    expect(ole).to_have_url(app_url + "/portal/aarhus/hjem")
    expect(ole.get_by_role("heading", level=1, name="Velkommen Ole")).to_be_visible()
    visit_checked(ole, label="Ole's home")

    # The stamkort now shows an activated user: no "Send aktiveringslink igen".
    page.reload()
    expect(page.get_by_text("Patienten er bruger af Patientportalen og tilknyttet klinikken."))\
        .to_be_visible()
    expect(page.get_by_role("button", name="Send aktiveringslink igen")).to_have_count(0)
    visit_checked(page, label="stamkort: Patientportal, activated")


# -- 7. The approval queue: badge, the data shown, Godkend and Afvis, the patients' e-mails ---

@pytest.mark.browser
def test_approval_queue_badge_decisions_and_emails(app, page, live_server, simulator, outbox,
                                                   visit_checked, wait_for_mail):
    app_url = live_server.url
    # Two self-registrations at Vejle (mode approval), each confirmed with MitID.
    for persona in ("karen.jensen", "sofie.nielsen"):
        done = register(app.test_client(), "vejle", persona)
        assert done.location == "/portal/vejle/oprettelse/requested", done.location

    # Mette (behandler at Vejle and Aarhus) logs in and picks Vejle.
    login_staff_with_mitid(page, visit_checked, app_url, "mette.kjaer", login_as="Privat")
    expect(page).to_have_url(app_url + "/select/clinic")
    visit_checked(page, label="clinic picker")
    page.get_by_role("group", name="De klinikker du har adgang til").get_by_role(
        "radio", name=re.compile(rf"^{re.escape(VEJLE)}\b")).check()
    page.get_by_role("button", name="Vælg").click()
    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text(f"{VEJLE} · behandler")

    # The badge: two requests wait.
    expect(requests_link(page)).to_have_accessible_name("Anmodninger 2 venter")
    visit_checked(page, label="start page, two requests")
    requests_link(page).click()
    expect(page).to_have_url(app_url + "/clinic/requests/")
    expect(page.get_by_role("heading", level=1, name="Anmodninger om oprettelse")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Venter (2)")).to_be_visible()
    visit_checked(page, label="approval queue")

    def card(name: str):
        return page.get_by_role("article").filter(
            has=page.get_by_role("heading", level=3, name=name))

    karen, sofie = card("Karen Jensen"), card("Sofie Nielsen")
    for shown in ("150381-XXXX", "karen.jensen@example.dk", "+4520000003", "Ja"):
        expect(karen).to_contain_text(shown)
    expect(karen).not_to_contain_text(CPR["karen.jensen"])
    expect(karen.get_by_role("definition")).to_have_count(5)
    expect(sofie).to_contain_text("071198-XXXX")

    # Godkend Karen: the badge goes down, the decision is listed, Karen gets the portal's link.
    outbox.clear()
    karen.get_by_role("button", name="Godkend").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Anmodningen er godkendt, og patienten har fået besked.")
    expect(requests_link(page)).to_have_accessible_name("Anmodninger 1 venter")
    expect(page.get_by_role("heading", level=2, name="Venter (1)")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Karen Jensen Godkendt"))).to_be_visible()
    visit_checked(page, label="approval queue after Godkend")
    mail = wait_for_mail(outbox, "karen.jensen@example.dk")
    assert mail.subject == "Din anmodning om oprettelse på Patientportalen"
    assert f"{VEJLE} har accepteret din anmodning" in mail.text
    assert link_in(mail) == app_url + "/portal/vejle"
    assert "150381" not in mail.text

    # Afvis Sofie with a reason: the queue is empty, the badge gone, Sofie gets the reason.
    outbox.clear()
    sofie.get_by_label("Begrundelse (valgfri)").fill("Vi tager ikke nye patienter lige nu.")
    sofie.get_by_role("button", name="Afvis").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Anmodningen er afvist, og patienten har fået besked.")
    expect(page.get_by_text("Ingen anmodninger venter.")).to_be_visible()
    expect(requests_link(page)).to_have_accessible_name("Anmodninger")
    expect(page.get_by_role("row", name=re.compile(r"^Sofie Nielsen Afvist"))).to_be_visible()
    visit_checked(page, label="approval queue, all decided")
    mail = wait_for_mail(outbox, "sofie.nielsen@example.dk")
    assert f"{VEJLE} har ikke accepteret din anmodning" in mail.text
    assert "Vi tager ikke nye patienter lige nu." in mail.text
    assert "http" not in mail.text  # no link to the portal for a rejection
