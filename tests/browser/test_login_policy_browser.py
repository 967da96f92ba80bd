"""The MitID-first login policy in Chromium: pickers, the exempt external user, the outage fallback.

Every page the browser shows goes through ``visit_checked`` (axe-core). The cut-over date
(2024-10-02) lies in the past, so password login is refused to ordinary staff unless the
operator switches the outage fallback on.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.walks import nemlog_in
from tests.helpers.staff import link_erhverv

VEJLE, AARHUS = "Kiropraktisk Klinik Vejle", "Rygcenter Aarhus"
FALLBACK_BANNER = "MitID-nedbrud: log ind med brugernavn og adgangskode"
BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def login_with_mitid(page, visit_checked, user_id: str, login_as: str | None = None):
    """From the app's login page through the simulator; `login_as` picks Privat or a company."""
    nemlog_in(page, visit_checked, user_id, login_as)


def login_with_password(page, user_id: str, password: str):
    """Fill "Bruger ID" and "Kodeord" on the login page and press "Login"."""
    page.get_by_label("Bruger ID", exact=True).fill(user_id)
    page.get_by_label("Kodeord", exact=True).fill(password)
    page.get_by_role("button", name="Login").click()


def clinic_radio(page, clinic: str):
    """A radio of the clinic picker; its label is the clinic's name and its functions."""
    return page.get_by_role("group", name="De klinikker du har adgang til").get_by_role(
        "radio", name=re.compile(rf"^{re.escape(clinic)}\b"))


def expect_header_context(page, text: str):
    """The header names the session's clinic and function (e.g. "Rygcenter Aarhus · behandler")."""
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text(text)


def open_forbidden(page, url, visit_checked, expect_http_error, label):
    """Open a page this session may not see: 403 and the Danish "Ingen adgang" page."""
    expect_http_error(page, url, 403)
    response = page.goto(url)
    assert response is not None and response.status == 403, response and response.status
    visit_checked(page, label=label)
    expect(page.get_by_role("heading", level=1, name="Ingen adgang")).to_be_visible()
    expect(page.get_by_text("Du har ikke adgang til denne side.")).to_be_visible()


@pytest.mark.browser
@BOTH_MODES
def test_clinic_picker_and_switching_clinic(javascript, page, live_server, simulator,
                                            visit_checked):
    """Mette (two clinics) logs in privately, picks Aarhus, then switches to Vejle."""
    app_url = live_server.url
    visit_checked(page, app_url + "/login", label="login")
    login_with_mitid(page, visit_checked, "mette.kjaer", login_as="Privat")

    expect(page).to_have_url(app_url + "/select/clinic")
    expect(page.get_by_role("heading", level=1, name="Vælg klinik")).to_be_visible()
    expect(clinic_radio(page, VEJLE)).not_to_be_checked()  # a private login preselects nothing
    expect(clinic_radio(page, AARHUS)).not_to_be_checked()
    expect(clinic_radio(page, AARHUS)).to_have_accessible_name(f"{AARHUS} (behandler)")
    visit_checked(page, label="clinic picker")
    clinic_radio(page, AARHUS).check()
    page.get_by_role("button", name="Vælg").click()

    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("heading", level=1, name="Velkommen Mette Kjær")).to_be_visible()
    expect_header_context(page, f"{AARHUS} · behandler")
    expect(page.get_by_text("Du er logget ind som behandler.")).to_be_visible()
    visit_checked(page, label="start page, Aarhus")

    # "Skift klinik": the picker again, the current clinic chosen; no new login.
    page.get_by_role("link", name="Skift klinik").click()
    expect(page).to_have_url(app_url + "/select/clinic")
    expect(clinic_radio(page, AARHUS)).to_be_checked()
    visit_checked(page, label="clinic picker, switching")
    clinic_radio(page, VEJLE).check()
    page.get_by_role("button", name="Vælg").click()

    expect(page).to_have_url(app_url + "/")
    expect_header_context(page, f"{VEJLE} · behandler")
    expect(page.get_by_role("navigation", name="Bruger")).not_to_contain_text(AARHUS)
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    visit_checked(page, label="start page, Vejle")


@pytest.mark.browser
def test_mitid_erhverv_preselects_the_organisation(app, page, live_server, simulator,
                                                   visit_checked):
    """Logged in on behalf of Rygcenter Aarhus (CVR 10000002): the picker preselects it."""
    link_erhverv(app.test_client(), "mette.kjaer", "10000002")  # her Erhverv identity, linked
    app_url = live_server.url
    visit_checked(page, app_url + "/login", label="login")
    login_with_mitid(page, visit_checked, "mette.kjaer",
                     login_as=f"{AARHUS} (CVR 10000002)")

    expect(page).to_have_url(app_url + "/select/clinic")
    expect(clinic_radio(page, AARHUS)).to_be_checked()
    expect(clinic_radio(page, VEJLE)).not_to_be_checked()
    visit_checked(page, label="clinic picker, Erhverv")
    page.get_by_role("button", name="Vælg").click()

    expect(page).to_have_url(app_url + "/")
    expect_header_context(page, f"{AARHUS} · behandler")
    visit_checked(page, label="start page, Aarhus via Erhverv")


@pytest.mark.browser
@BOTH_MODES
def test_function_picker_secretary(javascript, page, live_server, simulator, visit_checked,
                                   expect_http_error):
    """Jonas (behandler + sekretær in Aarhus) picks sekretær: patients yes, clinic settings no."""
    app_url = live_server.url
    visit_checked(page, app_url + "/login", label="login")
    login_with_mitid(page, visit_checked, "jonas.holm")

    expect(page).to_have_url(app_url + "/select/function")
    expect(page.get_by_role("heading", level=1, name="Vælg funktion")).to_be_visible()
    expect(page.get_by_text(f"Du har flere funktioner hos {AARHUS}.")).to_be_visible()
    functions = page.get_by_role("group", name="Dine funktioner")
    expect(functions.get_by_role("radio")).to_have_count(2)
    visit_checked(page, label="function picker")
    functions.get_by_role("radio", name="sekretær").check()
    page.get_by_role("button", name="Vælg").click()

    expect(page).to_have_url(app_url + "/")
    expect_header_context(page, f"{AARHUS} · sekretær")
    clinic_nav = page.get_by_role("navigation", name="Klinik")
    expect(clinic_nav.get_by_role("link", name="Patienter")).to_be_visible()
    expect(clinic_nav.get_by_role("link", name="Klinik", exact=True)).to_have_count(0)
    visit_checked(page, label="start page, sekretær")

    open_forbidden(page, app_url + "/clinic/settings/", visit_checked, expect_http_error,
                   label="clinic settings as sekretær")


@pytest.mark.browser
@BOTH_MODES
def test_exempt_external_user_has_limited_access(javascript, page, live_server, visit_checked,
                                                 expect_http_error):
    """Bente (external, no MitID, exempted) logs in with a password and gets limited access."""
    app_url = live_server.url
    visit_checked(page, app_url + "/login", label="login")
    # After the cut-over the password form is only for approved external users.
    expect(page.get_by_role("heading", level=2, name="Eksterne brugere")).to_be_visible()
    expect(page.get_by_text(FALLBACK_BANNER)).to_have_count(0)
    login_with_password(page, "bente.ext", "Bogholder2024")

    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("heading", level=1, name="Velkommen Bente Bogholder")).to_be_visible()
    limited = page.get_by_role("status").filter(has_text="Begrænset adgang")
    expect(limited).to_be_visible()
    expect(limited).to_contain_text("Du har ikke adgang til patientdata.")
    expect(limited).to_contain_text("Klinikken kan til enhver tid trække undtagelsen tilbage.")
    expect_header_context(page, f"{VEJLE} · ekstern")
    expect(page.get_by_role("navigation", name="Klinik")
           .get_by_role("link", name="Patienter")).to_have_count(0)
    visit_checked(page, label="start page, external user")

    open_forbidden(page, app_url + "/clinic/patients/", visit_checked, expect_http_error,
                   label="patients as external user")


@pytest.mark.browser
def test_outage_fallback_on_and_off(browser_context, live_server, simulator, visit_checked):
    """Lars (operator) opens password login during an outage; Asger uses it, and is logged out
    when Lars closes it again."""
    app_url = live_server.url
    login_url = app_url + "/login"
    lars = browser_context().new_page()
    asger = browser_context().new_page()

    # Before the outage: Asger's password is refused, with a pointer to MitID.
    visit_checked(asger, login_url, label="login, Asger before the outage")
    login_with_password(asger, "ato", "Kirpacs2024")
    refused = asger.get_by_label("Kodeord", exact=True)
    expect(refused).to_have_accessible_description(
        re.compile(r"Login med bruger ID og kodeord er udfaset\. Log ind med MitID"))
    visit_checked(asger, label="login, Asger refused")

    # Lars logs in with MitID and goes to "Drift".
    visit_checked(lars, login_url, label="login, Lars")
    login_with_mitid(lars, visit_checked, "lars.drift")
    expect(lars).to_have_url(app_url + "/")
    visit_checked(lars, label="start page, operator")
    lars.get_by_role("link", name="Drift", exact=True).click()
    expect(lars).to_have_url(app_url + "/operator/")
    expect(lars.get_by_role("heading", level=1, name="Drift")).to_be_visible()
    expect(lars.get_by_text("Alternativt login er slået fra.", exact=False)).to_be_visible()
    visit_checked(lars, label="operator page")

    # Switch ON with a reason.
    lars.get_by_label("Begrundelse").fill("MitID svarer ikke; driftsstatus hos Digitaliseringsstyrelsen.")
    lars.get_by_role("button", name="Slå alternativt login til").click()
    expect(lars).to_have_url(app_url + "/operator/")
    expect(lars.get_by_text("Alternativt login er slået til.")).to_be_visible()
    expect(lars.get_by_text(re.compile(r"Alternativt login er slået TIL siden"))).to_be_visible()
    expect(lars.get_by_role("button", name="Slå alternativt login fra")).to_be_visible()
    visit_checked(lars, label="operator page, fallback on")

    # Asger's login page now shows the outage banner, and his password works.
    visit_checked(asger, login_url, label="login, Asger during the outage")
    expect(asger.get_by_role("status").filter(has_text=FALLBACK_BANNER)).to_be_visible()
    login_with_password(asger, "ato", "Kirpacs2024")
    expect(asger).to_have_url(app_url + "/")
    expect(asger.get_by_role("heading", level=1, name="Velkommen Asger Tørring")).to_be_visible()
    expect(asger.get_by_text(
        "Du er logget ind med alternativt login under et MitID-nedbrud.")).to_be_visible()
    expect(asger.get_by_role("button", name="Log ud")).to_be_visible()
    visit_checked(asger, label="start page, Asger via fallback")

    # Switch OFF with a reason.
    lars.get_by_label("Begrundelse").fill("MitID virker igen.")
    lars.get_by_role("button", name="Slå alternativt login fra").click()
    expect(lars.get_by_text("Alternativt login er slået fra.", exact=True)).to_be_visible()
    expect(lars.get_by_role("button", name="Slå alternativt login til")).to_be_visible()
    visit_checked(lars, label="operator page, fallback off")

    # Asger's next page load: logged out, back at the login page, no banner.
    asger.reload()
    expect(asger).to_have_url(re.compile(re.escape(login_url) + r"(\?.*)?$"))
    expect(asger.get_by_role("heading", level=1, name="Log ind")).to_be_visible()
    expect(asger.get_by_role("button", name="Log ud")).to_have_count(0)
    expect(asger.get_by_text(FALLBACK_BANNER)).to_have_count(0)
    visit_checked(asger, label="login, Asger logged out")

    # And his password is refused again, pointing to MitID.
    login_with_password(asger, "ato", "Kirpacs2024")
    refused = asger.get_by_label("Kodeord", exact=True)
    expect(refused).to_have_accessible_description(
        re.compile(r"Login med bruger ID og kodeord er udfaset\. Log ind med MitID"))
    expect(asger.get_by_role("button", name="Log ud")).to_have_count(0)
    visit_checked(asger, label="login, Asger refused after the outage")
