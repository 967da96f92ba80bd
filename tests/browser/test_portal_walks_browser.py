"""Walks through the patient portal as patients (and, for approval, a clinic) take them.

Every page the browser shows goes through ``visit_checked`` (axe-core). E-mails are read from the
SMTP outbox; the outbox is emptied before an action whose e-mail a walk reads, so the newest mail
to an address is always the one that action sent.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.walks import login_staff_with_mitid, sign_in_at_simulator
from tests.helpers.mail import code_from
from tests.helpers.portal import CPR, NEW_PASSWORD, PASSWORD, register

VEJLE, AARHUS = "Kiropraktisk Klinik Vejle", "Rygcenter Aarhus"
KAREN_EMAIL = "karen.jensen@example.dk"
SOFIE_EMAIL = "sofie.nielsen@example.dk"
BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def digits(cpr: str) -> str:
    """A CPR number as typed without the hyphen (the field or the server inserts it)."""
    return cpr.replace("-", "")


def link_in(mail) -> str:
    """The first http link in an e-mail's text."""
    match = re.search(r"(https?://\S+)", mail.text)
    assert match, f"no link in the mail {mail.subject!r}"
    return match.group(1)




def submit_registration(page, visit_checked, javascript: bool) -> None:
    """Press "Opret bruger"; without JS the "Bekræft med MitID" page links on to MitID."""
    page.get_by_role("button", name="Opret bruger").click()
    if not javascript:
        # A form's answer may not redirect to another site (CSP form-action): a link goes on.
        expect(page.get_by_role("heading", name="Bekræft med MitID")).to_be_visible()
        visit_checked(page, label="Bekræft med MitID")
        page.get_by_role("link", name="Fortsæt til MitID").click()


def fill_person(page, first: str, last: str, email: str, password: str = PASSWORD) -> None:
    """The fields both registration forms share, and the terms."""
    page.get_by_label("Fornavn").fill(first)
    page.get_by_label("Efternavn").fill(last)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Bekræft e-mail").fill(email)
    page.get_by_label("Adgangskode", exact=True).fill(password)
    page.get_by_label("Bekræft adgangskode").fill(password)
    page.get_by_label("Jeg accepterer vilkår").check()


def open_registration(page, visit_checked, app_url: str, key: str, link: str) -> None:
    """The clinic's portal front page, then "Opret ny bruger" or "Opret bruger under 15 år"."""
    visit_checked(page, f"{app_url}/portal/{key}", label=f"portal front {key}")
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=link)).to_be_visible()
    visit_checked(page, label=link)


def start_code_login(page, cpr: str, password: str = PASSWORD) -> None:
    """Log ind med sikkerhedskode, step 1, on the front page: CPR-nummer, Adgangskode, Log ind."""
    page.get_by_label("CPR-nummer", exact=True).press_sequentially(digits(cpr))
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind", exact=True).click()


def code_login(page, visit_checked, outbox, wait_for_mail, *, app_url: str, key: str, cpr: str,
               email: str, password: str = PASSWORD) -> None:
    """Both steps of security-code login from the front page; the code comes from the e-mail."""
    outbox.clear()
    start_code_login(page, cpr, password)
    expect(page).to_have_url(f"{app_url}/portal/{key}/log-ind/sikkerhedskode")
    expect(page.get_by_role("heading", level=1, name="Log ind med sikkerhedskode")).to_be_visible()
    visit_checked(page, label="sikkerhedskode")
    mail = wait_for_mail(outbox, email)
    assert mail.subject == "Din sikkerhedskode til Patientportalen"
    page.get_by_label("Sikkerhedskode").fill(code_from(mail))
    page.get_by_role("button", name="Log ind").click()


def expect_home(page, visit_checked, app_url: str, key: str, first_name: str, label: str) -> None:
    """The logged-in patient's home page at the clinic."""
    expect(page).to_have_url(f"{app_url}/portal/{key}/hjem")
    expect(page.get_by_role("heading", level=1, name=f"Velkommen {first_name}")).to_be_visible()
    visit_checked(page, label=label)


def log_out(page, visit_checked, label: str) -> None:
    """"Log ud" (the header's button): back on the front page, logged out."""
    page.get_by_role("navigation", name="Bruger").get_by_role("button", name="Log ud").click()
    expect(page.get_by_role("heading", level=2, name="Log ind med sikkerhedskode")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Du er logget ud.")
    visit_checked(page, label=label)


def pick_clinic(page, visit_checked, app_url: str, clinic: str) -> None:
    """The clinic picker after a MitID login of someone employed at several clinics."""
    expect(page).to_have_url(app_url + "/select/clinic")
    visit_checked(page, label="clinic picker")
    page.get_by_role("group", name="De klinikker du har adgang til").get_by_role(
        "radio", name=re.compile(rf"^{re.escape(clinic)}\b")).check()
    page.get_by_role("button", name="Vælg").click()
    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text(clinic)
    visit_checked(page, label=f"start page, {clinic}")


# -- 1. Opret ny bruger at a clinic without approval; later security-code login ------------------

@pytest.mark.browser
def test_sofie_registers_at_aarhus_then_logs_in_with_security_code(
        page, live_server, simulator, outbox, visit_checked, wait_for_mail):
    app_url = live_server.url
    open_registration(page, visit_checked, app_url, "aarhus", "Opret ny bruger")
    expect(page.get_by_text("oprettes brugeren med det samme")).to_be_visible()  # mode auto

    cpr = page.get_by_label("CPR-nummer", exact=True)
    cpr.press_sequentially(digits(CPR["sofie.nielsen"]))
    expect(cpr).to_have_value(CPR["sofie.nielsen"])  # the hyphen comes while typing
    fill_person(page, "Sofie", "Nielsen", SOFIE_EMAIL)
    page.get_by_label("Mobil").fill("20 00 00 03")
    submit_registration(page, visit_checked, javascript=True)
    sign_in_at_simulator(page, visit_checked, "sofie.nielsen")

    expect(page.get_by_role("status")).to_contain_text(
        "Din bruger er oprettet, og du er logget ind.")
    expect_home(page, visit_checked, app_url, "aarhus", "Sofie", "home after registration")
    clinics = page.get_by_role("table")
    expect(clinics.get_by_role("row", name=re.compile(AARHUS))).to_contain_text("Du er her")
    expect(page.get_by_text("071198-3014")).to_have_count(0)  # the CPR is masked
    log_out(page, visit_checked, "front after logout")

    code_login(page, visit_checked, outbox, wait_for_mail, app_url=app_url, key="aarhus",
               cpr=CPR["sofie.nielsen"], email=SOFIE_EMAIL)
    expect_home(page, visit_checked, app_url, "aarhus", "Sofie", "home after security code")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text("Sofie Nielsen")


# -- 2. Opret ny bruger at a clinic with approval; the clinic accepts ----------------------------

@pytest.mark.browser
def test_sofie_registers_at_vejle_and_the_clinic_accepts(
        page, browser_context, live_server, simulator, outbox, visit_checked, wait_for_mail):
    app_url = live_server.url
    open_registration(page, visit_checked, app_url, "vejle", "Opret ny bruger")
    expect(page.get_by_text("Klinikken godkender nye brugere.")).to_be_visible()
    page.get_by_label("CPR-nummer", exact=True).press_sequentially(digits(CPR["sofie.nielsen"]))
    fill_person(page, "Sofie", "Nielsen", SOFIE_EMAIL)
    submit_registration(page, visit_checked, javascript=True)
    sign_in_at_simulator(page, visit_checked, "sofie.nielsen")

    # The request is sent; no session: logging in shows that it waits for the clinic.
    expect(page).to_have_url(app_url + "/portal/vejle/oprettelse/requested")
    expect(page.get_by_role("heading", level=1,
                            name="Anmodningen er sendt til klinikken")).to_be_visible()
    visit_checked(page, label="request sent")
    page.get_by_role("link", name="Til Patientportalens forside").click()
    expect(page.get_by_role("heading", level=1, name=VEJLE)).to_be_visible()
    visit_checked(page, label="vejle front")
    code_login(page, visit_checked, outbox, wait_for_mail, app_url=app_url, key="vejle",
               cpr=CPR["sofie.nielsen"], email=SOFIE_EMAIL)
    expect(page).to_have_url(app_url + "/portal/vejle/afventer")
    expect(page.get_by_role("heading", level=1,
                            name="Anmodningen afventer klinikken")).to_be_visible()
    visit_checked(page, label="awaiting the clinic")
    log_out(page, visit_checked, "vejle front after logout")

    # Mette (behandler at Vejle and Aarhus) accepts it in Vejle's queue.
    mette = browser_context().new_page()
    login_staff_with_mitid(mette, visit_checked, app_url, "mette.kjaer", login_as="Privat")
    pick_clinic(mette, visit_checked, app_url, VEJLE)
    mette.get_by_role("navigation", name="Klinik").get_by_role(
        "link", name=re.compile(r"^Anmodninger")).click()
    expect(mette).to_have_url(app_url + "/clinic/requests/")
    request = mette.get_by_role("article").filter(has=mette.get_by_role(
        "heading", level=3, name="Sofie Nielsen"))
    expect(request).to_contain_text(SOFIE_EMAIL)
    visit_checked(mette, label="approval queue")
    outbox.clear()
    request.get_by_role("button", name="Godkend").click()
    expect(mette.get_by_role("status")).to_contain_text("Anmodningen er godkendt")
    visit_checked(mette, label="approval queue after Godkend")

    # Sofie's e-mail links to the portal, where MitID now logs her in to the home page.
    mail = wait_for_mail(outbox, SOFIE_EMAIL)
    assert mail.subject == "Din anmodning om oprettelse på Patientportalen"
    assert "har accepteret din anmodning" in mail.text
    assert link_in(mail) == app_url + "/portal/vejle"
    visit_checked(page, link_in(mail), label="portal link from the acceptance e-mail")
    # MitID still knows Sofie from her registration (there was nothing to log out of since):
    # the simulator's session answers at once.
    page.get_by_role("link", name="Log ind", exact=True).click()
    expect_home(page, visit_checked, app_url, "vejle", "Sofie", "vejle home after acceptance")


# -- 3. Opret bruger under 15 år: Karen creates Emma; Emma logs in with a security code ----------

@pytest.mark.browser
@BOTH_MODES
def test_karen_creates_emma_who_logs_in_with_security_code(
        javascript, page, live_server, simulator, outbox, visit_checked, wait_for_mail):
    app_url = live_server.url
    open_registration(page, visit_checked, app_url, "aarhus", "Opret bruger under 15 år")
    page.get_by_label("Barnets CPR-nummer").press_sequentially(digits(CPR["emma"]))
    page.get_by_label("Forælder/værge CPR-nummer").press_sequentially(
        digits(CPR["karen.jensen"]))
    # The child's security codes go to the address typed here: her mother's.
    fill_person(page, "Emma", "Jensen", KAREN_EMAIL)
    submit_registration(page, visit_checked, javascript)
    sign_in_at_simulator(page, visit_checked, "karen.jensen")  # the guardian's own MitID

    expect(page).to_have_url(app_url + "/portal/aarhus/oprettelse/child_created")
    expect(page.get_by_role("heading", level=1, name="Barnets bruger er oprettet")).to_be_visible()
    visit_checked(page, label="child created")
    page.get_by_role("link", name="Til Patientportalens forside").click()
    expect(page.get_by_role("heading", level=1, name=AARHUS)).to_be_visible()
    visit_checked(page, label="front, Emma's turn")

    code_login(page, visit_checked, outbox, wait_for_mail, app_url=app_url, key="aarhus",
               cpr=CPR["emma"], email=KAREN_EMAIL)
    expect_home(page, visit_checked, app_url, "aarhus", "Emma", "Emma's home")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text("Emma Jensen")


# -- 4. Glemt adgangskode? ----------------------------------------------------------------------

@pytest.mark.browser
@BOTH_MODES
def test_forgotten_password_is_reset_from_the_emailed_link(
        javascript, app, page, live_server, simulator, outbox, visit_checked, wait_for_mail):
    app_url = live_server.url
    assert register(app.test_client(), "aarhus", "sofie.nielsen").status_code == 302

    visit_checked(page, app_url + "/portal/aarhus", label="front")
    page.get_by_role("link", name="Glemt adgangskode?").click()
    expect(page.get_by_role("heading", level=1, name="Glemt adgangskode?")).to_be_visible()
    visit_checked(page, label="forgot password")
    page.get_by_label("CPR-nummer", exact=True).press_sequentially(digits(CPR["sofie.nielsen"]))
    page.get_by_label("E-mail").fill(SOFIE_EMAIL)
    outbox.clear()
    page.get_by_role("button", name="Nulstil adgangskode").click()
    expect(page.get_by_role("heading", level=1, name="Tjek din e-mail")).to_be_visible()
    visit_checked(page, label="check your e-mail")

    mail = wait_for_mail(outbox, SOFIE_EMAIL)
    assert mail.subject == "Nulstil din adgangskode til Patientportalen"
    link = link_in(mail)
    assert link.startswith(app_url + "/portal/aarhus/nulstil/"), link
    visit_checked(page, link, label="choose a new password")
    expect(page.get_by_role("heading", level=1, name="Vælg ny adgangskode")).to_be_visible()
    expect(page.get_by_text("Hej Sofie.")).to_be_visible()
    page.get_by_label("Adgangskode", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Bekræft adgangskode").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Gem adgangskode").click()

    expect(page).to_have_url(app_url + "/portal/aarhus")
    expect(page.get_by_role("status")).to_contain_text(
        "Din adgangskode er gemt. Du kan nu logge ind med sikkerhedskode.")
    visit_checked(page, label="front after the new password")

    # The old password no longer works; the new one does, with the security code.
    start_code_login(page, CPR["sofie.nielsen"], PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Forkert CPR-nummer eller adgangskode.")
    visit_checked(page, label="old password refused")
    page.get_by_label("CPR-nummer", exact=True).clear()
    code_login(page, visit_checked, outbox, wait_for_mail, app_url=app_url, key="aarhus",
               cpr=CPR["sofie.nielsen"], email=SOFIE_EMAIL, password=NEW_PASSWORD)
    expect_home(page, visit_checked, app_url, "aarhus", "Sofie", "home with the new password")


# -- 5. Log ind med MitID -----------------------------------------------------------------------

@pytest.mark.browser
def test_karen_logs_in_with_mitid_to_the_home_page(app, page, live_server, simulator,
                                                   visit_checked):
    app_url = live_server.url
    assert register(app.test_client(), "aarhus", "karen.jensen").status_code == 302

    visit_checked(page, app_url + "/portal/aarhus", label="front")
    expect(page.get_by_text("kan ikke anvendes af eller på vegne af brugere under 15 år"))\
        .to_be_visible()
    page.get_by_role("link", name="Log ind", exact=True).click()
    sign_in_at_simulator(page, visit_checked, "karen.jensen")
    expect_home(page, visit_checked, app_url, "aarhus", "Karen", "home after MitID")
    details = page.get_by_role("region", name="Dine oplysninger")
    expect(details).to_contain_text("Karen Jensen")
    expect(details).to_contain_text(KAREN_EMAIL)
    expect(details).not_to_contain_text(CPR["karen.jensen"])


# -- 6. Opret bruger under 15 år by an adult whose custody nobody confirmed: the clinic checks ----

@pytest.mark.browser
def test_sofie_creates_a_child_at_aarhus_which_waits_in_the_clinics_queue(
        page, browser_context, live_server, simulator, visit_checked):
    app_url = live_server.url
    open_registration(page, visit_checked, app_url, "aarhus", "Opret bruger under 15 år")
    page.get_by_label("Barnets CPR-nummer").press_sequentially(digits(CPR["ida"]))
    page.get_by_label("Forælder/værge CPR-nummer").press_sequentially(
        digits(CPR["sofie.nielsen"]))
    fill_person(page, "Ida", "Nielsen", SOFIE_EMAIL)
    submit_registration(page, visit_checked, javascript=True)
    sign_in_at_simulator(page, visit_checked, "sofie.nielsen")

    # Aarhus links new users at once, but not a child whose custody the register did not confirm.
    expect(page).to_have_url(app_url + "/portal/aarhus/oprettelse/child_custody_requested")
    expect(page.get_by_role("heading", level=1,
                            name="Klinikken skal bekræfte forældremyndigheden")).to_be_visible()
    visit_checked(page, label="child waits for the clinic's custody check")

    # Mette (behandler at Vejle and Aarhus) finds the request in Aarhus's queue, with the adult.
    mette = browser_context().new_page()
    login_staff_with_mitid(mette, visit_checked, app_url, "mette.kjaer", login_as="Privat")
    pick_clinic(mette, visit_checked, app_url, AARHUS)
    mette.get_by_role("navigation", name="Klinik").get_by_role(
        "link", name=re.compile(r"^Anmodninger")).click()
    expect(mette).to_have_url(app_url + "/clinic/requests/")
    request = mette.get_by_role("article").filter(has=mette.get_by_role(
        "heading", level=3, name="Ida Nielsen"))
    expect(request).to_contain_text(
        "Kontrollér, at den voksne har forældremyndighed over barnet, før du godkender.")
    expect(request).to_contain_text("Sofie Nielsen")
    expect(request).to_contain_text("071198-XXXX")
    expect(request).not_to_contain_text(CPR["sofie.nielsen"])
    visit_checked(mette, label="approval queue with a custody check")
    request.get_by_role("button", name="Godkend").click()
    expect(mette.get_by_role("status")).to_contain_text("Anmodningen er godkendt")
    visit_checked(mette, label="approval queue after the custody check")
