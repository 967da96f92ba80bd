"""The staff login page and the portal front page come from a short per-process page cache.

Every anonymous visitor gets the same HTML with their own CSRF token in it; what the pages show
beyond text (the outage banner, the cut-over, the clinic's settings, the language, the URL) is part
of the key, and a logged-in user, a pending flash message and a kiosk always get a fresh render.
"""

import re

import pytest
from sqlmodel import select

from app import web
from tests.helpers.db import StatementLog
from tests.helpers.http import post_form
from tests.helpers.staff import login_as, onboard_until

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def tokens(body: str) -> set[str]:
    return set(TOKEN_RE.findall(body))


def rendered(app) -> list[str]:
    """Record which templates are rendered (a cache hit renders none)."""
    from flask import template_rendered

    names = []

    def record(_sender, template, context, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app, weak=False)
    return names


@pytest.fixture
def long_cache(app):
    app.config["SHARED_PAGE_SECONDS"] = 3600
    return app


@pytest.mark.parametrize("path", ["/login", "/portal/aarhus"])
def test_each_visitor_gets_the_cached_page_with_their_own_working_token(long_cache, path,
                                                                        monkeypatch):
    app = long_cache
    first, second = app.test_client(), app.test_client()
    names = rendered(app)
    one = first.get(path).get_data(as_text=True)
    assert names  # rendered once
    names.clear()
    two = second.get(path).get_data(as_text=True)
    assert names == []  # served from the cache
    assert len(tokens(one)) == len(tokens(two)) == 1
    assert tokens(one) != tokens(two)
    assert one.replace(tokens(one).pop(), "T") == two.replace(tokens(two).pop(), "T")
    assert "\x00" not in two
    # The spliced-in token is the visitor's own: their language switch (a POST) is accepted.
    answer = second.post("/language", data={"csrf_token": tokens(two).pop(), "lang": "en",
                                            "next": path})
    assert answer.status_code == 303
    assert 'lang="en"' in second.get(path).get_data(as_text=True)


def test_a_cached_login_page_costs_no_statement_and_no_render(long_cache, monkeypatch):
    app = long_cache
    app.test_client().get("/login")
    names = rendered(app)
    with StatementLog(app) as log:
        assert app.test_client().get("/login").status_code == 200
    assert (log.statements, names) == ([], [])


def test_outage_banner_and_language_are_part_of_the_key(long_cache, app_config):
    from tests.test_login_policy import switch

    app = long_cache
    app.config["FALLBACK_BANNER_CACHE_SECONDS"] = 0
    banner = "MitID-nedbrud: log ind med brugernavn og adgangskode"
    visitor = app.test_client()
    assert banner not in visitor.get("/login").get_data(as_text=True)
    operator = app.test_client()
    login_as(operator, "lars.drift")
    assert switch(operator, True).status_code == 303
    assert banner in app.test_client().get("/login").get_data(as_text=True)
    assert switch(operator, False).status_code == 303
    assert banner not in app.test_client().get("/login").get_data(as_text=True)
    english = app.test_client()
    english.get("/login")
    post_form(english, "/language", {"lang": "en", "next": "/login"}, page="/login")
    assert ">Log in<" in english.get("/login").get_data(as_text=True)
    assert ">Log ind<" in app.test_client().get("/login").get_data(as_text=True)


def test_a_clinics_changed_registration_mode_shows_at_once(long_cache):
    from app.db import get_session
    from app.models import Clinic
    from app.portal_sessions import forget_clinic_copies

    app = long_cache
    closed = "Klinikken opretter selv patienter som brugere."
    assert closed not in app.test_client().get("/portal/vejle").get_data(as_text=True)
    with app.app_context():
        db = get_session()
        clinic = db.exec(select(Clinic).where(Clinic.key == "vejle")).one()
        clinic.self_registration = "none"
        db.commit()
        forget_clinic_copies()  # as if the clinic cache of this process had run out
    assert closed in app.test_client().get("/portal/vejle").get_data(as_text=True)


def test_a_flash_message_and_a_logged_in_user_get_a_fresh_page(long_cache, monkeypatch):
    app = long_cache
    app.test_client().get("/login")
    staff = app.test_client()
    login_as(staff, "jonas.holm", function="secretary")
    names = rendered(app)
    body = staff.get("/portal/aarhus").get_data(as_text=True)
    assert "Patientportal" in body and names  # rendered for them, not taken from the cache
    visitor = app.test_client()
    visitor.get("/portal/aarhus")
    with visitor.session_transaction() as cookie_session:
        cookie_session["_flashes"] = [("message", "Du er logget ud.")]
    names.clear()
    assert "Du er logget ud." in visitor.get("/portal/aarhus").get_data(as_text=True)
    assert names  # the flash message needs its own render
    assert "Du er logget ud." not in visitor.get("/portal/aarhus").get_data(as_text=True)



def test_the_cache_is_bounded(long_cache, monkeypatch):
    app = long_cache
    monkeypatch.setattr(web, "SHARED_PAGES_MAX", 3)
    client = app.test_client()
    for n in range(7):
        assert client.get(f"/login?n={n}").status_code == 200
    assert 1 <= len(app.extensions[web._SHARED_PAGES]) <= 3


# --- wizard steps: one page per step and language, the row's own values spliced in -----------

ODD_NAME = 'Åse "Ø" <b>Bø</b> & \'Co\''
ODD_EMAIL = 'o\'brien&"x"<y>@example.dk'


def _set_row(app, client, **values):
    from flask.sessions import SecureCookieSessionInterface

    from app.db import get_session
    from app.models import Onboarding

    cookie = client.get_cookie("session").value
    state = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    with app.app_context():
        db = get_session()
        row = db.get(Onboarding, state["onboarding"]["id"])
        for name, value in values.items():
            setattr(row, name, value)
        db.commit()


def _fresh(monkeypatch, client, path, headers=None):
    """The step rendered with its values, as before the cache (the reference)."""
    from app.blueprints.onboarding import routes

    with monkeypatch.context() as patch:
        patch.setattr(routes, "render_shared_page", lambda _key, render, holes: render(holes))
        return client.get(path, headers=headers).get_data(as_text=True)


def _same_page(one: str, two: str) -> bool:
    return one.replace(tokens(one).pop(), "T") == two.replace(tokens(two).pop(), "T")


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(("step", "values", "shown"), [
    ("link", {"name": ODD_NAME}, ["&#34;Ø&#34; &lt;b&gt;Bø&lt;/b&gt; &amp; &#39;Co&#39;"]),
    ("contact", {"email": ODD_EMAIL, "mobile": "31 41 59 26"},
     ['value="o&#39;brien&amp;&#34;x&#34;&lt;y&gt;@example.dk"', 'value="31 41 59 26"']),
    ("verify", {}, ["pri****@example.dk", "ny kode om 60 sekunder"]),
    ("verify", {"email": ODD_EMAIL}, ["o&#39;b****@example.dk", "Koden gælder i 10 minutter"]),
    ("consent", {}, []),
])
def test_a_wizard_step_is_the_shared_page_with_the_rows_own_values_spliced_in(
        long_cache, outbox, monkeypatch, clock, step, values, shown, htmx):
    app = long_cache
    headers = {"HX-Request": "true"} if htmx else None
    visitor = app.test_client()
    onboard_until(visitor, outbox, "asger.torring", step)
    _set_row(app, visitor, **values)
    visitor.get(f"/onboarding/{step}", headers=headers)  # fills the cache (with placeholders)
    names = rendered(app)
    cached = visitor.get(f"/onboarding/{step}", headers=headers)
    assert (cached.status_code, names) == (200, [])  # not rendered: taken from the cache
    body = cached.get_data(as_text=True)
    assert _same_page(body, _fresh(monkeypatch, visitor, f"/onboarding/{step}", headers))
    for text in shown:
        assert text in body
    assert "\x00" not in body
    kept = "".join(page for _expiry, page in app.extensions[web._SHARED_PAGES].values())
    for value in [*values.values(), "Asger", "privat@example.dk"]:
        assert str(value) not in kept  # placeholders only: nothing personal in the cache


def test_wizard_step_pages_are_kept_per_language_and_follow_the_rows_step(long_cache, outbox):
    app = long_cache
    danish = app.test_client()
    onboard_until(danish, outbox, "asger.torring", "contact")
    assert 'lang="da"' in danish.get("/onboarding/contact").get_data(as_text=True)
    post_form(danish, "/language", {"lang": "en", "next": "/onboarding/contact"},
              page="/onboarding/contact")
    assert 'lang="en"' in danish.get("/onboarding/contact").get_data(as_text=True)
    post_form(danish, "/language", {"lang": "da", "next": "/onboarding/contact"},
              page="/onboarding/contact")
    assert danish.get("/onboarding/consent").location.endswith("/onboarding/contact")
    _set_row(app, danish, step="verify")  # moved on in another tab
    assert danish.get("/onboarding/contact").location.endswith("/onboarding/verify")


def test_a_wizard_step_page_view_is_one_statement_outside_a_transaction(long_cache, outbox):
    app = long_cache
    visitor = app.test_client()
    onboard_until(visitor, outbox, "asger.torring", "contact")
    visitor.get("/onboarding/contact")
    with StatementLog(app) as log:
        assert visitor.get("/onboarding/contact").status_code == 200
    assert len(log.statements) == 1 and log.statements[0].lstrip().upper().startswith("SELECT")
    assert log.commits == 0


def test_the_next_visitor_at_a_step_gets_their_own_values_from_the_same_cached_page(
        long_cache, outbox):
    app = long_cache
    visitor = app.test_client()
    onboard_until(visitor, outbox, "asger.torring", "contact")
    _set_row(app, visitor, email="forste@example.dk", mobile="31 41 59 26")
    assert "forste@example.dk" in visitor.get("/onboarding/contact").get_data(as_text=True)
    _set_row(app, visitor, email="anden@example.dk", mobile="27 18 28 18")
    names = rendered(app)
    body = visitor.get("/onboarding/contact").get_data(as_text=True)
    assert names == []
    assert "anden@example.dk" in body and "27 18 28 18" in body
    assert "forste@example.dk" not in body and "31 41 59 26" not in body


def test_a_kiosk_session_gets_its_pages_rendered_and_leaves_nothing_in_the_cache(long_cache):
    from app.blueprints.kiosk.routes import KIOSK_KEY

    app = long_cache
    kiosk = app.test_client()
    kiosk.get("/login")
    app.extensions.pop(web._SHARED_PAGES, None)
    with kiosk.session_transaction() as cookie_session:
        cookie_session[KIOSK_KEY] = {"clinic": "aarhus", "device": 1}
    names = rendered(app)
    body = kiosk.get("/login").get_data(as_text=True)
    assert names and 'class="kiosk"' in body  # the kiosk layout, rendered for it
    assert app.extensions.get(web._SHARED_PAGES, {}) == {}
    assert 'class="kiosk"' not in app.test_client().get("/login").get_data(as_text=True)
