"""panva's oidc-provider as a Signaturgruppen-like MitID broker (tests/peers/broker.mjs).

The broker runs as a node subprocess on a free loopback port; a person logs in at its built-in
development login page (devInteractions) with a `requests.Session` as the browser.
"""

import json
import os
import re
import shutil
import subprocess
import time
from html import unescape
from urllib.parse import urljoin

import requests

from tests.helpers.servers import free_port

PEERS = os.path.join(os.path.dirname(__file__), "..", "peers")
SCRIPT = os.path.join(PEERS, "broker.mjs")
FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"', re.IGNORECASE)
XSRF_RE = re.compile(r'name="xsrf" value="([^"]+)"')


def missing() -> str | None:
    """Why the broker cannot run here (node or the peers' packages missing), or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.isdir(os.path.join(PEERS, "node_modules", "oidc-provider")):
        return "tests/peers/node_modules is missing (make tests/peers/node_modules/.installed)"
    return None


class Broker:
    """The broker process: started with its clients and accounts, stopped by terminate()."""

    def __init__(self, directory, *, clients: list[dict], accounts: dict[str, dict]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metadata_url = self.url + "/.well-known/openid-configuration"
        config = directory / "broker.json"
        config.write_text(json.dumps({"port": self.port, "clients": clients,
                                      "accounts": accounts}))
        self.log = directory / "broker.log"
        self._log = open(self.log, "w")  # noqa: SIM115 (open for the life of the process)
        self._process = subprocess.Popen(["node", SCRIPT, str(config)], cwd=PEERS,
                                         stdout=subprocess.PIPE, stderr=self._log, text=True)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        line = self._process.stdout.readline()  # the script prints one line once it listens
        if not line.startswith("listening "):
            self.terminate()
            raise RuntimeError(f"broker did not start: {line!r}; {self.log.read_text()[-2000:]}")
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(self.metadata_url, timeout=2).raise_for_status()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def deliveries(self) -> list[str]:
        """The back-channel logout deliveries so far, as the broker logged them (oldest first)."""
        return [line for line in self.log.read_text().splitlines()
                if line.startswith("backchannel.")]

    def terminate(self) -> None:
        """Stop the process and close its log."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process.stdout.close()
        self._log.close()


def _at(broker: Broker, location: str) -> str:
    return urljoin(broker.url + "/", location)


def _follow_broker(broker: Broker, browser: requests.Session, answer) -> requests.Response:
    """Follow redirects while they stay at the broker; return the first answer that does not."""
    for _hop in range(10):
        if answer.status_code not in (302, 303):
            return answer
        location = _at(broker, answer.headers["Location"])
        if not location.startswith(broker.url + "/"):
            return answer
        answer = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError("too many redirects at the broker")


def login_form(broker: Broker, authorize_url: str, browser: requests.Session) -> str:
    """Open the authorization URL; return the action of the broker's login form."""
    page = _follow_broker(broker, browser,
                          browser.get(authorize_url, allow_redirects=False, timeout=10))
    assert page.status_code == 200 and 'name="login"' in page.text, (page.status_code,
                                                                      page.text[:500])
    return _at(broker, unescape(FORM_RE.search(page.text).group(1)))


def walk_broker(broker: Broker, authorize_url: str, login: str,
                browser: requests.Session) -> str:
    """Log in at the broker as `login` (an account's sub; any password); return the redirect."""
    action = login_form(broker, authorize_url, browser)
    answer = browser.post(action, data={"prompt": "login", "login": login,
                                        "password": "any password"},
                          allow_redirects=False, timeout=10)
    back = _follow_broker(broker, browser, answer)
    assert back.status_code in (302, 303), (back.status_code, back.text[:500])
    return back.headers["Location"]


def abort_at_broker(broker: Broker, authorize_url: str, browser: requests.Session) -> str:
    """Open the login page and abort it (devInteractions' abort URL); return the redirect back."""
    action = login_form(broker, authorize_url, browser)
    answer = browser.get(action + "/abort", allow_redirects=False,
                         timeout=10)
    back = _follow_broker(broker, browser, answer)
    assert back.status_code in (302, 303), (back.status_code, back.text[:500])
    return back.headers["Location"]


def end_session_at_broker(broker: Broker, end_session_url: str,
                          browser: requests.Session) -> str:
    """Open the broker's end-session URL and say yes to signing out; return the redirect back."""
    page = browser.get(end_session_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    action = _at(broker, unescape(FORM_RE.search(page.text).group(1)))
    answer = browser.post(action, data={"xsrf": XSRF_RE.search(page.text).group(1),
                                        "logout": "yes"}, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
    return answer.headers["Location"]
