"""A stranger self-registers Sofie's CPR number with their own e-mail and never goes to MitID; the
clinic's "Patienten har ikke MitID" alone lets nobody in, and vouching puts her address back.

Every page the browser shows goes through ``visit_checked`` (axe-core).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_portal_walks_browser import (
    SOFIE_EMAIL,
    digits,
    fill_person,
    open_registration,
    start_code_login,
)
from tests.browser.test_workspace_browser import AARHUS, open_tab
from tests.browser.walks import choose_function, create_patient, login_staff_with_mitid
from tests.helpers.mail import code_from
from tests.helpers.portal import CPR

STRANGER_EMAIL = "fremmed@example.net"
SOFIE = CPR["sofie.nielsen"]
BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


@pytest.mark.browser
@BOTH_MODES
def test_a_strangers_registration_needs_the_clinic_to_vouch_for_the_address(
        javascript, page, browser_context, live_server, simulator, outbox, visit_checked,
        wait_for_mail):
    app_url = live_server.url

    # The stranger types Sofie's CPR number with their own e-mail, then stops short of MitID.
    stranger = browser_context(javascript=javascript).new_page()
    open_registration(stranger, visit_checked, app_url, "aarhus", "Opret ny bruger")
    stranger.get_by_label("CPR-nummer", exact=True).press_sequentially(digits(SOFIE))
    fill_person(stranger, "Sofie", "Nielsen", STRANGER_EMAIL)
    stranger.get_by_role("button", name="Opret bruger").click()
    expect(stranger).not_to_have_url(app_url + "/portal/aarhus/opret")
    if javascript:  # htmx goes on to MitID at once; without JS "Bekræft med MitID" links there
        expect(stranger.get_by_label("BRUGER-ID")).to_be_visible()
    visit_checked(stranger, label="on the way to MitID")
    visit_checked(stranger, app_url + "/portal/aarhus", label="front, stranger")
    start_code_login(stranger, SOFIE)
    expect(stranger.get_by_text("Ved første login skal din identitet bekræftes med MitID"))\
        .to_be_visible()
    visit_checked(stranger, label="first login needs MitID")

    # Jonas (sekretær at Aarhus) creates Sofie's stamkort and ticks "Patienten har ikke MitID".
    login_staff_with_mitid(page, visit_checked, app_url, "jonas.holm")
    choose_function(page, visit_checked, app_url, AARHUS, "sekretær")
    create_patient(page, visit_checked, cpr=SOFIE, first="Sofie", last="Nielsen",
                   email=SOFIE_EMAIL)
    visit_checked(page, label="stamkort")
    open_tab(page, visit_checked, app_url, "Kommunikation", "/communication", javascript)
    page.get_by_label("Patienten har ikke MitID").check()
    page.get_by_role("button", name="Gem").click()

    # The Patientportal tab shows the portal user's address and asks the clinic to vouch.
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/clinic/patients/\d+/portal$"))
    panel = page.locator("#tab-panel")
    expect(panel).to_contain_text(STRANGER_EMAIL)
    expect(panel.get_by_role("button", name="Bekræft e-mailadressen")).to_be_visible()
    visit_checked(page, label="stamkort: Patientportal asks to vouch")

    # Still no login for the stranger: the clinic has not vouched for the address.
    outbox.clear()
    visit_checked(stranger, app_url + "/portal/aarhus", label="front, stranger again")
    start_code_login(stranger, SOFIE)
    expect(stranger.get_by_text("Ved første login skal din identitet bekræftes med MitID"))\
        .to_be_visible()
    visit_checked(stranger, label="first login still needs MitID")
    assert list(outbox) == []

    # Jonas does not recognise the address: he puts the stamkort's e-mail in its place.
    panel.get_by_role("button", name=f"Erstat med stamkortets e-mail ({SOFIE_EMAIL})").click()
    expect(page.get_by_role("status")).to_contain_text("E-mailadressen er bekræftet.")
    expect(page.locator("#tab-panel")).to_contain_text("er bekræftet af Jonas Holm")
    visit_checked(page, label="stamkort: Patientportal vouched")

    # The stranger's next try sends the code to Sofie, never to the stranger.
    visit_checked(stranger, app_url + "/portal/aarhus", label="front, stranger last")
    start_code_login(stranger, SOFIE)
    expect(stranger).to_have_url(app_url + "/portal/aarhus/log-ind/sikkerhedskode")
    expect(stranger.get_by_text("sof****@example.dk")).to_be_visible()
    visit_checked(stranger, label="sikkerhedskode sent to Sofie")
    mail = wait_for_mail(outbox, SOFIE_EMAIL)
    assert all(STRANGER_EMAIL not in m.recipients for m in list(outbox))
    assert len(code_from(mail)) == 6
