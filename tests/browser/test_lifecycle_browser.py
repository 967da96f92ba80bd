"""A staff member's life cycle in Chromium: offboarded by the administrator, and "Mine data".

Every page the browser shows goes through ``visit_checked`` (axe-core); pages that answer 403
on purpose are announced with ``expect_http_error`` first.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.mail import code_from

AARHUS, VEJLE = "Rygcenter Aarhus", "Kiropraktisk Klinik Vejle"
CONSENT_VERSION = "2024-1"
EXPORT_KEYS = ("staff_user", "mitid_link", "membership", "consent_record", "login_session",
               "audit_event")
BOTH_MODES = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def login_with_mitid(page, visit_checked, user_id: str, who: str):
    """From the app's login page through the simulator's two pages; ends on "Godkend"'s click."""
    page.get_by_role("link", name="NEMLOG-IN").click()
    expect(page.get_by_label("BRUGER-ID")).to_be_visible()
    visit_checked(page, label=f"MitID simulator: log på ({who})")
    page.get_by_label("BRUGER-ID").fill(user_id)
    page.get_by_role("button", name="FORTSÆT").click()
    expect(page.get_by_role("button", name="Godkend")).to_be_visible()
    visit_checked(page, label=f"MitID simulator: godkend ({who})")
    page.get_by_role("button", name="Godkend").click()


def expect_login_page(page, app_url: str):
    """The app's login page (with or without ?next=...), nobody logged in."""
    expect(page).to_have_url(re.compile(re.escape(app_url + "/login") + r"(\?.*)?$"))
    expect(page.get_by_role("heading", level=1, name="Log ind")).to_be_visible()
    expect(page.get_by_role("button", name="Log ud")).to_have_count(0)


@pytest.mark.browser
def test_offboarded_staff_member_is_logged_out_and_refused(
        browser_context, live_server, simulator, visit_checked, expect_http_error):
    """Hanne ends all of Jonas's functions at Aarhus: his open session ends, and his next
    MitID login is refused with "Du har ikke længere adgang" (403)."""
    app_url = live_server.url
    jonas = browser_context().new_page()
    hanne = browser_context().new_page()

    # Jonas logs in, picks "sekretær" and works with patients.
    visit_checked(jonas, app_url + "/login", label="login, Jonas")
    login_with_mitid(jonas, visit_checked, "jonas.holm", "Jonas")
    expect(jonas).to_have_url(app_url + "/select/function")
    functions = jonas.get_by_role("group", name="Dine funktioner")
    visit_checked(jonas, label="function picker, Jonas")
    functions.get_by_role("radio", name="sekretær").check()
    jonas.get_by_role("button", name="Vælg").click()
    expect(jonas).to_have_url(app_url + "/")
    expect(jonas.get_by_role("navigation", name="Bruger")).to_contain_text(f"{AARHUS} · sekretær")
    patients = jonas.get_by_role("navigation", name="Klinik").get_by_role("link", name="Patienter")
    expect(patients).to_be_visible()
    visit_checked(jonas, label="start page, Jonas as sekretær")

    # Hanne (the administrator) logs in: one clinic, one function, straight to the start page.
    visit_checked(hanne, app_url + "/login", label="login, Hanne")
    login_with_mitid(hanne, visit_checked, "hanne.lund", "Hanne")
    expect(hanne).to_have_url(app_url + "/")
    expect(hanne.get_by_role("heading", level=1, name="Velkommen Hanne Lund")).to_be_visible()
    visit_checked(hanne, label="start page, Hanne")

    # The user overview: Jonas is listed with both functions.
    hanne.get_by_role("navigation", name="Klinik").get_by_role("link", name="Medarbejdere").click()
    expect(hanne).to_have_url(app_url + "/clinic/memberships/")
    expect(hanne.get_by_role("heading", level=1, name="Brugeroversigt")).to_be_visible()
    jonas_row = hanne.get_by_role("row").filter(has_text="Jonas Holm")
    expect(jonas_row.get_by_role("listitem")).to_have_text(
        [re.compile(r"^\s*behandler\b"), re.compile(r"^\s*sekretær\b")])
    visit_checked(hanne, label="user overview")

    # "Fjern fra klinikken": a confirm page first; "Fortryd" would go back.
    jonas_row.get_by_role("link", name="Fjern fra klinikken (Jonas Holm)").click()
    expect(hanne).to_have_url(re.compile(re.escape(app_url) + r"/clinic/memberships/\d+/end$"))
    expect(hanne.get_by_role("heading", level=1,
                             name="Fjern Jonas Holm fra klinikken")).to_be_visible()
    expect(hanne.get_by_text(f"Jonas Holm mister alle sine funktioner på {AARHUS}.")).to_be_visible()
    expect(hanne.get_by_role("link", name="Fortryd")).to_have_attribute(
        "href", "/clinic/memberships/")
    visit_checked(hanne, label="confirm: end Jonas's memberships")
    hanne.get_by_role("button", name="Fjern fra klinikken").click()

    expect(hanne).to_have_url(app_url + "/clinic/memberships/")
    expect(hanne.get_by_role("status").filter(
        has_text="Jonas Holm har ikke længere adgang til klinikken.")).to_be_visible()
    expect(hanne.get_by_role("row").filter(has_text="Jonas Holm")).to_have_count(0)
    visit_checked(hanne, label="user overview after offboarding Jonas")

    # Jonas's next page load: his session has ended, he is at the login page.
    jonas.reload()
    expect_login_page(jonas, app_url)
    visit_checked(jonas, label="login, Jonas logged out")

    # A new MitID login is refused: 403, "Du har ikke længere adgang". The callback's URL carries
    # the one-time code and state, so the expected 403 is announced when its response arrives
    # (before Chromium logs the failed load).
    def refused_callback(response):
        if response.url.startswith(app_url + "/auth/mitid/callback") and response.status == 403:
            expect_http_error(jonas, response.url, 403)

    jonas.on("response", refused_callback)
    with jonas.expect_response(lambda r: r.url.startswith(app_url + "/auth/mitid/callback")
                               ) as callback:
        # Jonas never pressed Log ud, so MitID still knows him: NEMLOG-IN comes straight back.
        jonas.get_by_role("link", name="NEMLOG-IN").click()
    assert callback.value.status == 403, callback.value.status
    expect(jonas.get_by_role("heading", level=1, name="Du har ikke længere adgang")).to_be_visible()
    expect(jonas.get_by_text("Du er ikke længere tilknyttet nogen klinik")).to_be_visible()
    expect(jonas.get_by_role("button", name="Log ud")).to_have_count(0)
    visit_checked(jonas, label="Jonas refused: no membership left")

    # Still logged out: the start page sends him to the login page.
    visit_checked(jonas, app_url + "/", label="start page, Jonas refused")
    expect_login_page(jonas, app_url)


def onboard_asger(page, app_url, outbox, visit_checked, wait_for_mail):
    """Asger's first MitID login and the whole wizard, ending on the start page."""
    visit_checked(page, app_url + "/login", label="login, Asger")
    login_with_mitid(page, visit_checked, "asger.torring", "Asger")
    expect(page).to_have_url(app_url + "/onboarding/link")
    visit_checked(page, label="onboarding: link")
    page.get_by_label("Bruger ID").fill("ato")
    page.get_by_label("Kodeord").fill("Kirpacs2024")
    page.get_by_role("button", name="Login").click()

    expect(page).to_have_url(app_url + "/onboarding/contact")
    expect(page.get_by_label("Email")).to_be_visible()
    visit_checked(page, label="onboarding: contact")
    page.get_by_label("Email").fill("asger.privat@example.dk")
    page.get_by_label("Mobil").fill("20123456")
    page.get_by_role("button", name="Send kode").click()

    expect(page).to_have_url(app_url + "/onboarding/verify")
    expect(page.get_by_role("button", name="Verificer kode")).to_be_visible()
    visit_checked(page, label="onboarding: verify")
    page.get_by_label("Kode", exact=True).fill(
        code_from(wait_for_mail(outbox, "asger.privat@example.dk")))
    page.get_by_role("button", name="Verificer kode").click()

    expect(page).to_have_url(app_url + "/onboarding/consent")
    expect(page.get_by_role("button", name="Giv samtykke")).to_be_visible()
    visit_checked(page, label="onboarding: consent")
    page.get_by_role("button", name="Giv samtykke").click()

    expect(page).to_have_url(app_url + "/?welcome=1")
    expect(page.get_by_text("Du er onboardet")).to_be_visible()
    visit_checked(page, label="start page after onboarding")


@pytest.mark.browser
@BOTH_MODES
def test_my_data_download_and_consent(javascript, page, live_server, outbox, simulator,
                                      visit_checked, wait_for_mail):
    """Asger onboards, reads "Mine data", downloads it as JSON, withdraws and gives consent."""
    app_url = live_server.url
    onboard_asger(page, app_url, outbox, visit_checked, wait_for_mail)

    # Min profil -> Mine data.
    page.get_by_role("navigation", name="Bruger").get_by_role("link", name="Min profil").click()
    expect(page).to_have_url(app_url + "/profile/")
    expect(page.get_by_role("heading", level=1, name="Min profil")).to_be_visible()
    expect(page.get_by_text("Du har givet samtykke.")).to_be_visible()
    visit_checked(page, label="Min profil")
    page.get_by_role("link", name="Mine data").click()

    expect(page).to_have_url(app_url + "/profile/data")
    expect(page.get_by_role("heading", level=1, name="Mine data")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("definition").filter(has_text="Asger Tørring")).to_be_visible()
    expect(main.get_by_role("listitem").filter(has_text=VEJLE)).to_have_text(
        f"{VEJLE} – behandler")
    consents = main.get_by_role("table").filter(has_text="Tekstversion")
    expect(consents.get_by_role("row")).to_have_count(2)  # header + the wizard's consent
    expect(consents.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        [re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"), "Givet", CONSENT_VERSION])
    logins = main.get_by_role("table").filter(has_text="Metode")
    expect(page.get_by_role("heading", level=2, name="Seneste logins")).to_be_visible()
    expect(logins.get_by_role("row").filter(has_text="mitid")).to_have_count(1)
    visit_checked(page, label="Mine data")

    # "Hent som JSON": a download (no navigation), parsed and checked.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent som JSON").click()
    download = download_info.value
    assert download.suggested_filename == "mine-data.json"
    with open(download.path(), encoding="utf-8") as handle:
        data = json.load(handle)
    missing = [key for key in EXPORT_KEYS if key not in data]
    assert not missing, f"missing keys in the export: {missing}"
    assert data["staff_user"]["name"] == "Asger Tørring"
    assert data["staff_user"]["legacy_password_hash"] == "[skjult]"
    assert [m["clinic_name"] for m in data["membership"]] == [VEJLE]
    assert [(c["action"], c["text_version"]) for c in data["consent_record"]] == [
        ("given", CONSENT_VERSION)]
    assert len(data["mitid_link"]) == 1
    assert [s["method"] for s in data["login_session"]] == ["mitid"]
    assert "[skjult]" in {s["token_hash"] for s in data["login_session"]}
    assert any(e["action"] == "consent_given" for e in data["audit_event"]), data["audit_event"]
    expect(page).to_have_url(app_url + "/profile/data")  # the download left the page alone

    # Back on Min profil: withdraw the consent, then give it again.
    page.get_by_role("link", name="Træk samtykke tilbage eller giv det igen").click()
    expect(page).to_have_url(app_url + "/profile/#consent")
    visit_checked(page, label="Min profil, #consent")
    page.get_by_role("button", name="Træk samtykke tilbage").click()
    expect(page).to_have_url(app_url + "/profile/")
    expect(page.get_by_role("status").filter(
        has_text="Dit samtykke er trukket tilbage.")).to_be_visible()
    expect(page.get_by_text("Du har ikke givet samtykke.")).to_be_visible()
    expect(page.get_by_role("button", name="Træk samtykke tilbage")).to_have_count(0)
    history = page.get_by_role("table").filter(has_text="Hvor")
    expect(history.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        [re.compile(r"\S"), "Trukket tilbage", CONSENT_VERSION, "Min profil"])
    visit_checked(page, label="Min profil, consent withdrawn")

    page.get_by_role("button", name="Giv samtykke").click()
    expect(page).to_have_url(app_url + "/profile/")
    expect(page.get_by_role("status").filter(
        has_text="Dit samtykke er registreret.")).to_be_visible()
    expect(page.get_by_text("Du har givet samtykke.")).to_be_visible()
    expect(page.get_by_role("button", name="Træk samtykke tilbage")).to_be_visible()
    expect(history.get_by_role("row")).to_have_count(4)  # header + given, withdrawn, given
    expect(history.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        [re.compile(r"\S"), "Givet", CONSENT_VERSION, "Min profil"])
    visit_checked(page, label="Min profil, consent given again")
