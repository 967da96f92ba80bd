"""The MitID simulator as a person uses it, and new identities in it."""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from app.simulator import add_identity

HIDDEN_RE = r'name="{name}"[^>]*value="([^"]*)"'


def _hidden(html: str, name: str) -> str:
    match = re.search(HIDDEN_RE.format(name=name), html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def simulator_browser(client) -> requests.Session:
    """The simulator's cookies of the browser a Flask test client stands for (one per client)."""
    if not hasattr(client, "simulator_browser"):
        client.simulator_browser = requests.Session()
    return client.simulator_browser


def answered_at_once(authorize_url: str, browser: requests.Session) -> str | None:
    """The redirect back if the simulator's login session (SSO) answers at once, else None."""
    answer = browser.get(authorize_url, allow_redirects=False, timeout=10)
    if answer.status_code in (302, 303):
        return answer.headers["Location"]
    assert answer.status_code == 200 and "BRUGER-ID" in answer.text, answer.status_code
    return None


def walk_simulator(authorize_url: str, mitid_user_id: str, *, login_as: str | None = None,
                   cancel: bool = False, browser: requests.Session | None = None) -> str:
    """Log in at the MitID simulator like a person would; return the redirect back to the app.

    browser: the simulator's cookies of this browser (simulator_browser); none: a new browser.
    Like at a real broker, a person still logged in at MitID in this browser comes straight back
    (the simulator's SSO); anyone else would be logged in as that person, so the walk fails.
    """
    sim = browser if browser is not None else requests.Session()
    client_id = parse_qs(urlsplit(authorize_url).query).get("client_id", [""])[0]
    who = (mitid_user_id, login_as or "private")
    logged_in = sim.__dict__.setdefault("logged_in_at", {})  # client_id -> who, as the walks saw
    page = sim.get(authorize_url, allow_redirects=False, timeout=10)
    if page.status_code in (302, 303) and not cancel:
        assert logged_in.get(client_id) == who, (
            f"the simulator answered at once for {logged_in.get(client_id)}, not {who}: "
            "still logged in at MitID in this browser (no Log ud?)")
        return page.headers["Location"]
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
    if "code=" in answer.headers["Location"]:
        logged_in[client_id] = who
    return answer.headers["Location"]


def log_out_at_simulator(client, answer) -> object:
    """After Log ud without JS: follow "Log ud af MitID" through the simulator back to the app."""
    from tests.helpers.http import app_path

    link = re.search(r'href="([^"]+/log-ud/mitid)"', answer.get_data(as_text=True)).group(1)
    to_broker = client.get(link)
    assert to_broker.status_code == 302, to_broker.status_code
    back = simulator_browser(client).get(to_broker.location, allow_redirects=False, timeout=10)
    assert back.status_code == 302, (back.status_code, back.text[:300])
    return client.get(app_path(back.headers["Location"]))


def mitid_person(simulator, name: str) -> str:
    """A new identity at the MitID simulator; returns its BRUGER-ID."""
    mitid_user_id = f"p.{uuid.uuid4().hex[:10]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name=name, cpr="010190-1234")
    return mitid_user_id
