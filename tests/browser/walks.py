"""Steps that many browser walks share: logging in at the MitID simulator like a person."""

import re

from playwright.sync_api import expect

from tests.helpers.mail import code_from


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


def choose_function(page, visit_checked, app_url: str, clinic: str, function: str) -> None:
    """The function picker after the MitID login of someone with several functions."""
    expect(page).to_have_url(app_url + "/select/function")
    visit_checked(page, label="function picker")
    page.get_by_role("group", name="Dine funktioner").get_by_role("radio", name=function).check()
    page.get_by_role("button", name="Vælg").click()
    expect(page).to_have_url(app_url + "/")
    expect(page.get_by_role("navigation", name="Bruger")).to_contain_text(f"{clinic} · {function}")
    visit_checked(page, label=f"start page, {function}")


def create_patient(page, visit_checked, *, cpr: str, first: str, last: str, email: str) -> None:
    """Patienter -> Opret patient: the stamkort's first fields, then Opret patient."""
    page.get_by_role("navigation", name="Klinik").get_by_role("link", name="Patienter").click()
    expect(page.get_by_role("heading", level=1, name="Patienter")).to_be_visible()
    visit_checked(page, label="patients")
    page.get_by_role("link", name="Opret patient").click()
    expect(page.get_by_role("heading", level=1, name="Opret patient")).to_be_visible()
    visit_checked(page, label="new patient")
    page.get_by_label("CPR-nummer").fill(cpr)
    page.get_by_label("Fornavn").fill(first)
    page.get_by_label("Efternavn").fill(last)
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Opret patient").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(f"^{first} {last}")))\
        .to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Patienten er oprettet.")


def onboard(page, visit_checked, app_url: str, outbox, wait_for_mail, *, user_id: str,
            password: str, email: str) -> None:
    """The onboarding wizard after a first MitID login: link, contact, verify, Giv samtykke."""
    expect(page).to_have_url(app_url + "/onboarding/link")
    visit_checked(page, label="onboarding: link")
    page.get_by_label("Bruger ID").fill(user_id)
    page.get_by_label("Kodeord").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(app_url + "/onboarding/contact")
    visit_checked(page, label="onboarding: contact")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mobil").fill("20123456")
    page.get_by_role("button", name="Send kode").click()
    expect(page).to_have_url(app_url + "/onboarding/verify")
    visit_checked(page, label="onboarding: verify")
    page.get_by_label("Kode", exact=True).fill(code_from(wait_for_mail(outbox, email)))
    page.get_by_role("button", name="Verificer kode").click()
    expect(page).to_have_url(app_url + "/onboarding/consent")
    visit_checked(page, label="onboarding: consent")
    page.get_by_role("button", name="Giv samtykke").click()
