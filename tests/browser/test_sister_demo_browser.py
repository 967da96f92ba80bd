"""Single sign-on in Chromium: the demo sister systems log in through Klinikadgang (issue 19).

Asger opens the demo KirPACS, logs in (onboarding the first time), opens the demo KirCACS and is
in without a login; Log ud in KirCACS logs him out of KirPACS too (back-channel logout). Mette
picks Aarhus and the demo shows Aarhus. Lars switches the outage fallback off, and a fallback
session's sister systems are logged out. Every page, the demos' included, goes through axe.
"""

import re

import pytest
from playwright.sync_api import expect

from app.blueprints.auth import policy
from app.provider import backchannel
from tests.browser.walks import nemlog_in, onboard
from tests.conftest import LIVE_PORT
from tests.helpers.sister import give_consent

BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
KIRPACS, KIRCACS = "KirPACS billedviewer (demo)", "KirCACS (demo)"
VEJLE, AARHUS = "Kiropraktisk Klinik Vejle", "Rygcenter Aarhus"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OP_ISSUER": f"http://127.0.0.1:{LIVE_PORT}"}


def deliver(app) -> dict:
    """What the delivery worker does every few seconds, at once."""
    with app.app_context():
        return backchannel.deliver_due()


def open_demo(page, visit_checked, demo, name: str) -> None:
    visit_checked(page, demo.url + "/", label=f"{name}: not logged in")
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_role("heading", name="Du er ikke logget ind")).to_be_visible()
    page.get_by_role("link", name="Log ind med Klinikadgang").click()


def expect_logged_in_at(page, visit_checked, demo, name: str, person: str, clinic: str,
                        function: str) -> None:
    expect(page).to_have_url(demo.url + "/")
    expect(page.get_by_role("heading", name="Du er logget ind")).to_be_visible()
    expect(page.get_by_test_id("name")).to_have_text(person)
    expect(page.get_by_test_id("clinic")).to_contain_text(clinic)
    expect(page.get_by_test_id("function")).to_have_text(function)
    visit_checked(page, label=f"{name}: logged in")


@pytest.mark.browser
@BOTH_MODES
def test_asger_onboards_from_kirpacs_gets_into_kircacs_and_logs_out_of_both(
        javascript, app, page, live_server, demos, outbox, simulator, visit_checked,
        wait_for_mail):
    kirpacs, kircacs = demos["kirpacs"], demos["kircacs"]
    app_url = live_server.url

    # KirPACS sends him to Klinikadgang: NEMLOG-IN, and the onboarding of a first MitID login.
    open_demo(page, visit_checked, kirpacs, KIRPACS)
    expect(page).to_have_url(app_url + "/login")
    visit_checked(page, label="Klinikadgang login, from KirPACS")
    nemlog_in(page, visit_checked, "asger.torring")
    onboard(page, visit_checked, app_url, outbox, wait_for_mail, user_id="ato",
            password="Kirpacs2024", email="asger.privat@example.dk")

    # Back at KirPACS, logged in as Asger at Vejle, as behandler, with MitID.
    expect_logged_in_at(page, visit_checked, kirpacs, KIRPACS, "Asger Tørring", VEJLE,
                        "behandler")
    expect(page.get_by_test_id("amr")).to_contain_text("mitid")

    # KirCACS: Log ind med Klinikadgang, and he is in without logging in again.
    open_demo(page, visit_checked, kircacs, KIRCACS)
    expect_logged_in_at(page, visit_checked, kircacs, KIRCACS, "Asger Tørring", VEJLE,
                        "behandler")

    # Log ud in KirCACS: at Klinikadgang too, and back at KirCACS.
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(re.compile(re.escape(kircacs.url + "/logget-ud")))
    expect(page.get_by_role("status")).to_have_text("Du er logget ud.")
    visit_checked(page, label="KirCACS: logged out")
    visit_checked(page, app_url + "/", label="Klinikadgang after Log ud in KirCACS")
    expect(page).to_have_url(re.compile(re.escape(app_url + "/login")))

    # KirPACS got the logout token: its session has ended too.
    assert deliver(app) == {"delivered": 2, "failed": 0}
    visit_checked(page, kirpacs.url + "/", label="KirPACS after the back-channel logout")
    expect(page.get_by_role("status")).to_have_text(
        "Din session er afsluttet: du er logget ud i Klinikadgang.")
    expect(page.get_by_role("heading", name="Du er ikke logget ind")).to_be_visible()


@pytest.mark.browser
@BOTH_MODES
def test_mette_picks_aarhus_and_the_demo_shows_aarhus(javascript, app, page, live_server,
                                                      demos, simulator, visit_checked):
    give_consent(app, "mkj")
    kirpacs = demos["kirpacs"]
    open_demo(page, visit_checked, kirpacs, KIRPACS)
    visit_checked(page, label="Klinikadgang login, from KirPACS")
    nemlog_in(page, visit_checked, "mette.kjaer", login_as="Privat")
    expect(page).to_have_url(live_server.url + "/select/clinic")
    visit_checked(page, label="clinic picker")
    page.get_by_role("group", name="De klinikker du har adgang til").get_by_role(
        "radio", name=re.compile(rf"^{AARHUS}\b")).check()
    page.get_by_role("button", name="Vælg").click()
    expect_logged_in_at(page, visit_checked, kirpacs, KIRPACS, "Mette Kjær", AARHUS,
                        "behandler")


@pytest.mark.browser
def test_switching_the_fallback_off_logs_a_fallback_session_out_of_the_sister_systems(
        app, browser_context, live_server, demos, simulator, visit_checked):
    kirpacs = demos["kirpacs"]
    give_consent(app, "ato")
    with app.app_context():
        policy.switch_fallback(on=True, reason="MitID svarer ikke", actor="test")
    asger = browser_context().new_page()
    open_demo(asger, visit_checked, kirpacs, KIRPACS)
    expect(asger).to_have_url(live_server.url + "/login")
    visit_checked(asger, label="Klinikadgang login during the outage, from KirPACS")
    asger.get_by_label("Bruger ID", exact=True).fill("ato")
    asger.get_by_label("Kodeord", exact=True).fill("Kirpacs2024")
    asger.get_by_role("button", name="Login").click()
    expect_logged_in_at(asger, visit_checked, kirpacs, KIRPACS, "Asger Tørring", VEJLE,
                        "behandler")
    expect(asger.get_by_test_id("amr")).to_contain_text("pwd (password)")

    # Lars switches the fallback off at Drift.
    lars = browser_context().new_page()
    visit_checked(lars, live_server.url + "/login", label="login, Lars")
    nemlog_in(lars, visit_checked, "lars.drift")
    expect(lars).to_have_url(live_server.url + "/")
    visit_checked(lars, label="start page, operator")
    visit_checked(lars, live_server.url + "/operator/", label="operator page, fallback on")
    lars.get_by_label("Begrundelse").fill("MitID virker igen.")
    lars.get_by_role("button", name="Slå alternativt login fra").click()
    expect(lars.get_by_text("Alternativt login er slået fra.", exact=True)).to_be_visible()
    visit_checked(lars, label="operator page, fallback off")

    assert deliver(app) == {"delivered": 1, "failed": 0}
    visit_checked(asger, kirpacs.url + "/", label="KirPACS after the fallback was switched off")
    expect(asger.get_by_role("status")).to_have_text(
        "Din session er afsluttet: du er logget ud i Klinikadgang.")
