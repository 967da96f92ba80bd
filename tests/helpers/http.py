"""Talking to the app over HTTP with the Flask test client: CSRF, forms, session, URLs."""

import re
from urllib.parse import parse_qs, urlsplit

from flask.sessions import SecureCookieSessionInterface

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client, path: str, data: dict, *, page: str | None = None, htmx: bool = False,
              prefix: str | None = None):
    """POST a form with the CSRF token of the page it lives on (under the form's prefix, if any)."""
    html = client.get(page or path).get_data(as_text=True)
    key = f"{prefix}-csrf_token" if prefix else "csrf_token"
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={key: csrf_from(html), **data}, headers=headers)


def session_of(app, client) -> dict:
    """Decode the signed session cookie as the browser holds it."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(cookie.value) if cookie else {}


def raw_session_cookie(app, client) -> str:
    """The session cookie's raw value (base64 of the signed JSON)."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie else ""


def app_path(url: str) -> str:
    """Path + query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(url: str) -> dict:
    """The query parameters of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
