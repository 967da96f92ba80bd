"""The MitID simulator as a person uses it, and new identities in it."""

import re
import uuid
from urllib.parse import urlsplit

import requests

from app.simulator import add_identity

HIDDEN_RE = r'name="{name}"[^>]*value="([^"]*)"'


def _hidden(html: str, name: str) -> str:
    match = re.search(HIDDEN_RE.format(name=name), html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def walk_simulator(authorize_url: str, mitid_user_id: str, *, login_as: str | None = None,
                   cancel: bool = False) -> str:
    """Log in at the MitID simulator like a person would; return the redirect back to the app."""
    sim = requests.Session()
    page = sim.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.status_code
    base = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    request_id = _hidden(page.text, "request_id")
    if cancel:
        answer = sim.post(base + "/authorize/cancel", data={"request_id": request_id},
                          allow_redirects=False, timeout=10)
        return answer.headers["Location"]
    answer = sim.post(base + "/authorize/login", data={"request_id": request_id,
                                                         "user_id": mitid_user_id}, timeout=10)
    assert answer.status_code == 200, answer.status_code
    if 'name="login_as"' in answer.text:
        answer = sim.post(base + "/authorize/choose", data={
            "request_id": request_id, "login_as": login_as or "private"}, timeout=10)
    answer = sim.post(base + "/authorize/approve", data={"request_id": request_id},
                      allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.status_code
    return answer.headers["Location"]


def mitid_person(simulator, name: str) -> str:
    """A new identity at the MitID simulator; returns its BRUGER-ID."""
    mitid_user_id = f"p.{uuid.uuid4().hex[:10]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name=name, cpr="010190-1234")
    return mitid_user_id
