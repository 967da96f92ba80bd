"""A browser that alternates between app instances on every request, and the walks it takes."""

import re
import time
from urllib.parse import urlsplit

import requests

from tests.helpers.http import csrf_from
from tests.helpers.mail import code_from
from tests.helpers.mitid import walk_simulator

LINK_RE = re.compile(r'href="([^"]+)">Fortsæt til MitID<')


class Alternating:
    """One cookie jar; request n goes to instance n mod 2 (redirects too, one hop at a time)."""

    def __init__(self, urls: list[str], *, start: int = 0, forwarded_for: str | None = None):
        self.urls = urls
        self.turn = start
        self.http = requests.Session()
        if forwarded_for:  # the user's address, as a load balancer in front would pass it on
            self.http.headers["X-Forwarded-For"] = forwarded_for
        self.log: list[tuple[str, str, str, int]] = []  # (instance, method, path, status)

    def is_app(self, location: str) -> bool:
        return location.startswith("/") or any(location.startswith(u) for u in self.urls)

    def request(self, method: str, path_or_url: str, **kwargs) -> requests.Response:
        parts = urlsplit(path_or_url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        base = self.urls[self.turn % len(self.urls)]
        self.turn += 1
        answer = self.http.request(method, base + path, allow_redirects=False, timeout=60,
                                   **kwargs)
        for cookie in self.http.cookies:
            # Production's session cookie is Secure; on loopback no TLS terminator stands in
            # front, so the jar sends it over http as the browser would over https.
            cookie.secure = False
        self.log.append((base, method, parts.path, answer.status_code))
        return answer

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict, *, page: str | None = None,
                  htmx: bool = False) -> requests.Response:
        """GET the form's page (one instance), POST it with its CSRF token (the other)."""
        html = self.get(page or path).text
        headers = {"HX-Request": "true"} if htmx else {}
        return self.request("POST", path, data={"csrf_token": csrf_from(html), **fields},
                            headers=headers)

    def follow(self, answer: requests.Response, hops: int = 10) -> requests.Response:
        """Follow the app's own redirects (each hop to the next instance)."""
        for _ in range(hops):
            location = answer.headers.get("Location", "")
            if answer.status_code not in (301, 302, 303, 307) or not self.is_app(location):
                return answer
            answer = self.get(location)
        raise AssertionError("too many redirects")


def wait_for_mail(messages: list, address: str, timeout: float = 30):
    """The newest mail to an address received by the test's SMTP sink."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(list(messages)):
            if address in mail.recipients:
                return mail
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address}")


def onboard_staff(browser: Alternating, messages: list, *, mitid_user_id: str, user_id: str,
                  password: str, email: str, htmx: bool = False) -> requests.Response:
    """First MitID login of a staff member: link, contact, verify (code by mail), consent."""
    start = browser.get("/auth/mitid/login")
    assert start.status_code == 302, start.status_code
    back = walk_simulator(start.headers["Location"], mitid_user_id)
    landed = browser.follow(browser.get(back))
    assert landed.status_code == 200 and 'action="/onboarding/link"' in landed.text, (
        landed.status_code, landed.text[-500:])
    steps = [("link", {"user_id": user_id, "password": password}),
             ("contact", {"email": email, "mobile": "20 12 34 56"}),
             ("verify", None), ("consent", {})]
    answer = None
    for step, fields in steps:
        if fields is None:
            fields = {"code": code_from(wait_for_mail(messages, email))}
        answer = browser.post_form(f"/onboarding/{step}", fields, htmx=htmx)
        if htmx and step != "consent":
            assert answer.status_code == 200 and "<html" not in answer.text, (
                step, answer.status_code, answer.text[-800:])
        else:
            assert answer.status_code in (200, 303), (step, answer.status_code,
                                                      answer.text[-800:])
    if htmx:
        assert answer.headers.get("HX-Redirect"), answer.status_code
        return browser.follow(browser.get(answer.headers["HX-Redirect"]))
    return browser.follow(answer)


def register_patient(browser: Alternating, clinic_key: str, *, mitid_user_id: str,
                     fields: dict) -> requests.Response:
    """Opret ny bruger at a clinic's portal, confirmed with MitID; the final page."""
    sent = browser.post_form(f"/portal/{clinic_key}/opret", fields)
    assert (sent.status_code, sent.headers.get("Location")) == (
        303, f"/portal/{clinic_key}/opret/mitid"), (sent.status_code, sent.text[-1500:])
    page = browser.get(sent.headers["Location"])
    assert page.status_code == 200, page.status_code
    start = browser.get(LINK_RE.search(page.text).group(1).replace("&amp;", "&"))
    assert start.status_code == 302, start.status_code
    back = walk_simulator(start.headers["Location"], mitid_user_id)
    final = browser.follow(browser.get(back))
    assert final.status_code == 200, (final.status_code, final.text[-800:])
    return final
