"""The staff onboarding wizard (seed: kirpacs-mitid-onboarding), step by step and end to end."""

import json

import pytest
from sqlmodel import select

from app.models import ConsentRecord, MitIDLink, Onboarding, StaffUser
from tests.helpers.db import audit_events, query_one
from tests.helpers.http import post_form, session_of
from tests.helpers.mail import code_from
from tests.helpers.staff import login_with_mitid, onboard_until


def test_first_login_runs_the_whole_wizard_and_second_goes_straight_in(app, client, outbox):
    first = login_with_mitid(client, "asger.torring")
    assert first.status_code == 302 and first.location == "/onboarding/"
    assert client.get("/onboarding/").location == "/onboarding/link"
    page = client.get("/onboarding/link").get_data(as_text=True)
    assert "Velkommen Asger Tørring" in page and "Tak fordi du loggede ind med MitID" in page

    linked = post_form(client, "/onboarding/link", {"user_id": "ato", "password": "Kirpacs2024"})
    assert (linked.status_code, linked.location) == (303, "/onboarding/contact")
    sent = post_form(client, "/onboarding/contact",
                     {"email": "Asger.Privat@Example.dk", "mobile": "+45 20 12 34 56"})
    assert (sent.status_code, sent.location) == (303, "/onboarding/verify")
    assert [m.recipients for m in outbox] == [["asger.privat@example.dk"]]
    verify_page = client.get("/onboarding/verify").get_data(as_text=True)
    assert "asg****@example.dk" in verify_page
    for label in ("Kode", "Verificer kode", "Gensend kode", "Benyt anden email"):
        assert label in verify_page

    assert post_form(client, "/onboarding/verify",
                     {"code": code_from(outbox[-1])}).location == "/onboarding/consent"
    consent_page = client.get("/onboarding/consent").get_data(as_text=True)
    assert "Kiroviden.dk" in consent_page and "Giv samtykke" in consent_page
    done = post_form(client, "/onboarding/consent", {})
    assert (done.status_code, done.location) == (303, "/?welcome=1")
    assert "Velkommen Asger Tørring" in client.get("/").get_data(as_text=True)

    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]
    assert (user.email, user.mobile) == ("asger.privat@example.dk", "+4520123456")
    assert user.email_verified_at is not None
    link = query_one(app, select(MitIDLink).where(MitIDLink.staff_user_id == user.id))[0]
    assert (link.idp, link.identity_type) == ("mitid", "private")
    consents = query_one(app, select(ConsentRecord).where(ConsentRecord.staff_user_id == user.id))
    assert [(c.action, c.method, c.text_version) for c in consents] == [
        ("given", "onboarding_wizard", "2024-1")]
    assert len(consents[0].text_hash) == 64
    assert query_one(app, select(Onboarding)) == []

    post_form(client, "/logout", {}, page="/")
    again = login_with_mitid(client, "asger.torring")
    assert (again.status_code, again.location) == (302, "/")


def test_session_cookie_holds_only_step_and_row_id(app, client, outbox):
    onboard_until(client, outbox, "asger.torring", "verify", email="asger.privat@example.dk")
    state = session_of(app, client)
    assert state["onboarding"] == {"id": state["onboarding"]["id"], "step": "verify"}
    raw = json.dumps(state)
    for secret in ("asger.privat", "Kirpacs2024", "20123456", code_from(outbox[-1]), "180572"):
        assert secret not in raw


STEP_PAGES = {
    "link": ("/onboarding/link", {"user_id": "ato", "password": "Kirpacs2024"}, "contact"),
    "contact": ("/onboarding/contact", {"email": "a@example.dk", "mobile": "20123456"}, "verify"),
    "consent": ("/onboarding/consent", {}, None),
}


@pytest.mark.parametrize("step", ["link", "contact", "verify", "consent"])
def test_step_is_a_full_page_directly_and_a_fragment_for_htmx(client, outbox, step):
    onboard_until(client, outbox, "asger.torring", step)
    full = client.get(f"/onboarding/{step}")
    fragment = client.get(f"/onboarding/{step}", headers={"HX-Request": "true"})
    assert full.status_code == fragment.status_code == 200
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="wizard"' in body
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert full.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("step", ["link", "contact"])
def test_valid_htmx_post_returns_next_step_fragment_and_pushes_url(client, outbox, step):
    onboard_until(client, outbox, "asger.torring", step)
    path, data, next_step = STEP_PAGES[step]
    answer = post_form(client, path, data, htmx=True)
    assert answer.status_code == 200
    assert answer.headers["HX-Push-Url"] == f"/onboarding/{next_step}"
    assert "<html" not in answer.get_data(as_text=True)


def test_valid_htmx_post_of_the_code_moves_to_consent(client, outbox):
    onboard_until(client, outbox, "asger.torring", "verify")
    answer = post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])}, htmx=True)
    assert answer.headers["HX-Push-Url"] == "/onboarding/consent"
    assert "Giv samtykke" in answer.get_data(as_text=True)


def test_consent_by_htmx_redirects_the_whole_page(client, outbox):
    onboard_until(client, outbox, "asger.torring", "consent")
    answer = post_form(client, "/onboarding/consent", {}, htmx=True)
    assert answer.headers["HX-Redirect"] == "/?welcome=1"


INVALID = [
    ("link", {"user_id": "", "password": "x"}, "Skriv dit bruger ID.", None),
    ("link", {"user_id": "ato", "password": ""}, "Skriv dit kodeord.", 'value="ato"'),
    ("link", {"user_id": "ato", "password": "forkert"}, "Forkert bruger ID eller kodeord.",
     'value="ato"'),
    ("link", {"user_id": "findes.ikke", "password": "Kirpacs2024"},
     "Forkert bruger ID eller kodeord.", 'value="findes.ikke"'),
    ("contact", {"email": "ikke-en-adresse", "mobile": "20123456"},
     "Skriv en gyldig e-mailadresse.", 'value="20123456"'),
    ("contact", {"email": "søren@example.dk", "mobile": "20123456"},
     "Skriv e-mailadressen uden æ, ø, å og andre særlige tegn før @.", 'value="søren@example.dk"'),
    ("contact", {"email": "a@example.dk", "mobile": "1234"},
     "Skriv et dansk mobilnummer med 8 cifre.", 'value="a@example.dk"'),
    ("contact", {"email": "", "mobile": ""}, "Skriv din private e-mailadresse.", None),
    ("verify", {"code": "12ab"}, "Koden er 6 cifre.", None),
    ("verify", {"code": ""}, "Skriv koden fra e-mailen.", None),
]


@pytest.mark.parametrize(("step", "data", "message", "kept"), INVALID)
@pytest.mark.parametrize("htmx", [False, True])
def test_invalid_post_shows_error_next_to_field_with_422(client, outbox, step, data, message,
                                                        kept, htmx):
    onboard_until(client, outbox, "asger.torring", step)
    answer = post_form(client, f"/onboarding/{step}", data, htmx=htmx)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'class="form-error-message"' in body and message in body
    assert 'aria-invalid="true"' in body
    if kept:
        assert kept in body
    assert ("<html" in body) is not htmx


def test_wrong_code_counts_and_right_code_still_works(client, outbox):
    onboard_until(client, outbox, "asger.torring", "verify")
    wrong = post_form(client, "/onboarding/verify", {"code": "000000" if code_from(
        outbox[-1]) != "000000" else "111111"})
    assert wrong.status_code == 422 and "Koden er forkert" in wrong.get_data(as_text=True)
    right = post_form(client, "/onboarding/verify", {"code": code_from(outbox[-1])})
    assert right.location == "/onboarding/consent"


def test_a_step_ahead_of_the_state_redirects_back(client, outbox):
    login_with_mitid(client, "asger.torring")
    for ahead in ("contact", "verify", "consent"):
        assert client.get(f"/onboarding/{ahead}").location == "/onboarding/link"
    onboard_until(client, outbox, "asger.torring", "contact")
    assert client.get("/onboarding/consent").location == "/onboarding/contact"


def test_without_a_wizard_in_the_session_steps_send_to_login(client):
    assert client.get("/onboarding/link").location == "/login"


def test_benyt_anden_email_goes_back_to_the_address(client, outbox):
    onboard_until(client, outbox, "asger.torring", "verify", email="first@example.dk")
    back = post_form(client, "/onboarding/verify/other-email", {}, page="/onboarding/verify")
    assert back.location == "/onboarding/contact"
    assert 'value="first@example.dk"' in client.get("/onboarding/contact").get_data(as_text=True)


def test_abandoned_wizard_can_be_resumed_or_restarted(app, outbox):
    first = app.test_client()
    onboard_until(first, outbox, "asger.torring", "verify")
    later = app.test_client()  # another day, another browser
    assert login_with_mitid(later, "asger.torring").location == "/onboarding/"
    page = later.get("/onboarding/").get_data(as_text=True)
    assert "Fortsæt" in page and "Start forfra" in page and 'href="/onboarding/verify"' in page
    restarted = post_form(later, "/onboarding/restart", {}, page="/onboarding/")
    assert restarted.location == "/onboarding/link"
    assert later.get("/onboarding/verify").location == "/onboarding/link"


def test_an_account_linked_to_another_mitid_cannot_be_linked_again(client):
    login_with_mitid(client, "asger.torring")
    answer = post_form(client, "/onboarding/link", {"user_id": "mkj", "password": "Rygcenter2024"})
    assert answer.status_code == 422
    assert "allerede knyttet til et andet MitID" in answer.get_data(as_text=True)


def test_posts_without_csrf_token_are_refused(client):
    login_with_mitid(client, "asger.torring")
    answer = client.post("/onboarding/link", data={"user_id": "ato", "password": "Kirpacs2024"})
    assert answer.status_code == 400
    assert "Siden er udløbet" in answer.get_data(as_text=True)


def test_an_account_linked_meanwhile_refuses_the_consent_whole(app, client, outbox):
    """Another MitID linked the account after the link step: nothing of the last step is kept."""
    from app.core.db import get_session
    from app.models import AuditEvent, EmailCode, LoginSession

    onboard_until(client, outbox, "asger.torring", "consent")
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "ato")).one()
        email_before = user.email
        db.add(MitIDLink(staff_user_id=user.id, sub="another-mitid", idp="mitid",
                         identity_type="private"))
        db.commit()
    answer = post_form(client, "/onboarding/consent", {})
    assert answer.status_code == 422
    assert "allerede knyttet til et andet MitID" in answer.get_data(as_text=True)
    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]
    assert (user.email, user.onboarded_at) == (email_before, None)
    assert query_one(app, select(ConsentRecord)) == []
    assert query_one(app, select(LoginSession)) == []
    assert query_one(app, select(AuditEvent).where(AuditEvent.action.in_(
        ["mitid_linked", "consent_given", "session_context_chosen"]))) == []
    assert [row.step for row in query_one(app, select(Onboarding))] == ["consent"]
    assert len(query_one(app, select(EmailCode))) == 1
    assert session_of(app, client)["onboarding"]["step"] == "consent"  # not logged in


ODD_NAME = 'Åse "Ø" <b>Bø</b> & \'Co\''
ODD_EMAIL = 'o\'brien&"x"<y>@example.dk'


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(("step", "values", "shown"), [
    ("link", {"name": ODD_NAME}, ["&#34;Ø&#34; &lt;b&gt;Bø&lt;/b&gt; &amp; &#39;Co&#39;"]),
    ("contact", {"email": ODD_EMAIL, "mobile": "31 41 59 26"},
     ['value="o&#39;brien&amp;&#34;x&#34;&lt;y&gt;@example.dk"', 'value="31 41 59 26"']),
    ("verify", {}, ["asg****@example.dk", "ny kode om 60 sekunder"]),
    ("verify", {"email": ODD_EMAIL}, ["o&#39;b****@example.dk", "Koden gælder i 10 minutter"]),
])
def test_a_step_page_shows_the_rows_own_values_escaped(app, client, outbox, clock, step,
                                                        values, shown, htmx):
    from app.core.db import get_session

    onboard_until(client, outbox, "asger.torring", step, email="asger@example.dk")
    with app.app_context():
        db = get_session()
        row = db.get(Onboarding, session_of(app, client)["onboarding"]["id"])
        for name, value in values.items():
            setattr(row, name, value)
        db.commit()
    answer = client.get(f"/onboarding/{step}", headers={"HX-Request": "true"} if htmx else {})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    for text in shown:
        assert text in body


def test_afbryd_og_log_ud_drops_the_onboarding_and_ends_the_mitid_login(app, client,
                                                                        simulator_server):
    """On a shared PC: the person leaves the wizard, and MitID asks the next person again."""
    from tests.helpers.http import app_path
    from tests.helpers.mitid import answered_at_once, simulator_browser

    server, _sim = simulator_server
    assert login_with_mitid(client, "asger.torring").location == "/onboarding/"
    assert "Afbryd og log ud" in client.get("/onboarding/link").get_data(as_text=True)
    answer = post_form(client, "/onboarding/afbryd", {}, page="/onboarding/link", htmx=True)
    to_broker = answer.headers["HX-Redirect"]
    assert to_broker.startswith(server.url + "/logout?") and "id_token_hint=" in to_broker
    back = simulator_browser(client).get(to_broker, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:300]
    page = client.get(app_path(back.headers["Location"])).get_data(as_text=True)
    assert "Du er logget ud af Klinikadgang og MitID." in page
    assert query_one(app, select(Onboarding)) == []
    assert client.get("/onboarding/link").location.startswith("/login")
    start = client.get("/auth/mitid/login").location
    assert answered_at_once(start, simulator_browser(client)) is None  # the BRUGER-ID page


def test_afbryd_without_js_offers_the_logout_at_mitid(app, client):
    from tests.helpers.http import query
    from tests.helpers.mitid import answered_at_once, simulator_browser

    login_with_mitid(client, "asger.torring")
    answer = post_form(client, "/onboarding/afbryd", {}, page="/onboarding/link")
    assert answer.status_code == 303 and answer.location == "/auth/logget-ud"
    page = client.get("/auth/logget-ud").get_data(as_text=True)
    assert 'href="/auth/log-ud/mitid"' in page
    assert query_one(app, select(Onboarding)) == []
    to_broker = client.get("/auth/log-ud/mitid").location  # no hint left: the broker's own page
    at_broker = simulator_browser(client).get(to_broker, allow_redirects=False, timeout=10)
    assert at_broker.status_code == 200 and "Du er logget ud af MitID" in at_broker.text
    start = client.get("/auth/mitid/login").location
    assert query(start)["prompt"] == "login"  # and the next login asks for MitID anyway
    assert answered_at_once(start, simulator_browser(client)) is None
    assert [event.actor for event in audit_events(app, "onboarding_abandoned")] == ["anonymous"]
