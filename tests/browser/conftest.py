"""Browser harness: headless Chromium via Playwright, with axe-core on every page a test visits.

How a browser test uses it::

    @pytest.mark.browser
    @pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
    def test_something(page, live_server, visit_checked):
        visit_checked(page, live_server.url + "/login")      # goto + axe
        page.get_by_role("link", name="NEMLOG-IN").click()
        expect(page.get_by_role("heading", name="Log på hos via SEB")).to_be_visible()
        visit_checked(page)                                  # axe on what the browser shows now

Fixtures:

- ``javascript``: True unless a test parametrizes it (``False`` = a browser without JavaScript).
- ``browser_context(javascript=True, **options)``: a factory of fresh, isolated contexts (own
  cookies); each page in them is watched by the harness. Closed after the test.
- ``page``: a page in a fresh context with ``javascript`` as given.
- ``visit_checked(page, url=None, label=None)``: optionally navigate to ``url``, wait until the
  page (and any htmx swap) has settled, run axe-core and fail at once on any "serious" or
  "critical" violation, or on console errors / CSP violations recorded so far.
- ``wait_for_mail(outbox, recipient)``: poll the SMTP outbox until a mail to ``recipient`` arrives.
- ``expect_http_error(page, url, status)``: ``url`` answers ``status`` (a 403 page, say) on purpose;
  Chromium's console error for that one URL and status is then expected, not a failure.

Guards (applied after the test body, so they fail the test, not its teardown):

- every main-frame navigation (full page loads, redirects and htmx's HX-Push-Url pushState)
  must have been followed by ``visit_checked``; a page nobody checked fails the test;
- console errors, uncaught page errors and CSP violations fail the test (the app's CSP is
  script-src 'self', style-src 'self', so htmx must work without inline scripts or styles).
  Expected noise is ignored: the 422 of a form re-rendered with errors, and /favicon.ico.

axe-core with JavaScript disabled: ``page.evaluate`` still works (Playwright evaluates through
the DevTools protocol), but Chromium runs no timers on such a page, so ``axe.run`` never
settles. For a JavaScript-disabled page the harness therefore snapshots the DOM the browser
built (``page.content()``) and replays it at the same URL in a JavaScript-enabled mirror page
(document served from the snapshot, stylesheets from the live server, scripts blocked), where
axe runs.
"""

import re
import time
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BLOCKING_IMPACTS = ("critical", "serious")
ACTION_TIMEOUT_MS = 10_000
HTMX_IDLE = (
    "() => !document.querySelector("
    "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)
# The app answers an invalid form with 422 on purpose (the page shows the errors); Chromium
# reports every 4xx document or XHR as a console error, so these are expected, not failures.
EXPECTED_CONSOLE = re.compile(
    r"^Failed to load resource: the server responded with a status of 422\b"
)
# Chromium asks every origin for /favicon.ico on its own; neither the app nor the simulator
# serves one, and the 404 is not something a page did.
BROWSER_OWN_REQUESTS = re.compile(r"/favicon\.ico$")
# The console error of a load answered with an error status (see `expect_http_error`).
HTTP_ERROR_STATUS = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d{3})\b")
HARNESS_KEY = pytest.StashKey["BrowserHarness"]()
_AXE = Axe()


@dataclass
class Visit:
    """One main-frame navigation of a page (a document load or a history push)."""

    url: str
    loaded: bool = False  # a document load (not only a history entry)
    checked: bool = False


@dataclass
class PageLog:
    """What the harness saw on one page."""

    javascript: bool
    visits: list[Visit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected_errors: set[tuple[str, int]] = field(default_factory=set)  # (url, HTTP status)


def _format_violations(url: str, label: str | None, violations: list[dict]) -> str:
    where = f"{url} ({label})" if label else url
    lines = [f"axe-core: {len(violations)} serious/critical violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"  - {violation['id']} [{violation['impact']}]: {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            snippet = " ".join(node.get("html", "").split())[:160]
            lines.append(f"      at {target}: {snippet}")
        lines.append(f"      see {violation['helpUrl']}")
    return "\n".join(lines)


def _expected_error(log: PageLog, location: str, text: str) -> bool:
    """Whether a console error is the failed load of a URL the test said answers an error."""
    status = HTTP_ERROR_STATUS.match(text)
    return bool(status) and (location, int(status.group(1))) in log.expected_errors


class BrowserHarness:
    """The contexts and pages of one test, and what was seen on them."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.logs: dict[Page, PageLog] = {}
        self._mirror: Page | None = None

    # -- contexts and pages -------------------------------------------------------------

    def new_context(self, javascript: bool = True, **options) -> BrowserContext:
        """A fresh context (own cookies); its pages are watched."""
        options.setdefault("locale", "da-DK")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = self.browser.new_context(java_script_enabled=javascript, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("page", lambda page: self.watch(page, javascript))
        self.contexts.append(context)
        return context

    def watch(self, page: Page, javascript: bool) -> PageLog:
        """Record the page's navigations, console errors and uncaught errors (idempotent)."""
        if page in self.logs:
            return self.logs[page]
        log = self.logs[page] = PageLog(javascript=javascript)

        def on_navigated(frame):
            # A new URL in the main frame: a document or htmx's pushState (HX-Push-Url). htmx
            # also replaceState()s the current URL before pushing; that shows nothing new.
            if (frame == page.main_frame and frame.url != "about:blank"
                    and (not log.visits or log.visits[-1].url != frame.url)):
                log.visits.append(Visit(frame.url))

        def on_load(loaded: Page):
            # A new document; at the same URL as before (a form re-rendered with errors, a
            # reload) it is a visit of its own.
            last = log.visits[-1] if log.visits else None
            if last is not None and last.url == loaded.url and not last.checked and not last.loaded:
                last.loaded = True
            elif loaded.url != "about:blank":
                log.visits.append(Visit(loaded.url, loaded=True))

        def on_console(message: ConsoleMessage):
            location = message.location.get("url") or page.url
            if (message.type == "error" and not EXPECTED_CONSOLE.match(message.text)
                    and not BROWSER_OWN_REQUESTS.search(location)
                    and not _expected_error(log, location, message.text)):
                log.problems.append(f"console error at {location}: {message.text}")

        page.on("framenavigated", on_navigated)
        page.on("load", on_load)
        # Without JavaScript the browser still logs failed loads and CSP violations (an inline
        # style attribute, say); page errors need JavaScript.
        page.on("console", on_console)
        page.on("pageerror", lambda error: log.problems.append(
            f"uncaught error on {page.url}: {error}"))
        return log

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    # -- axe ------------------------------------------------------------------------------

    def _mirror_page(self) -> Page:
        """A JavaScript-enabled page (not watched) to run axe on snapshots of no-JS pages."""
        if self._mirror is None:
            context = self.browser.new_context(java_script_enabled=True, locale="da-DK",
                                               viewport={"width": 1280, "height": 900})
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            # The snapshot is what a browser without JavaScript shows: keep the page's scripts out.
            context.route(re.compile(r"\.m?js(\?.*)?$"), lambda route: route.abort())
            self.contexts.append(context)
            self._mirror = context.new_page()
        return self._mirror

    def _axe(self, page: Page, javascript: bool) -> dict:
        if javascript:
            return _AXE.run(page).response
        url, html = page.url.split("#", 1)[0], page.content()
        mirror = self._mirror_page()

        def is_document(requested: str) -> bool:
            return requested == url

        def serve_snapshot(route):
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        mirror.route(is_document, serve_snapshot)
        try:
            mirror.goto(url, wait_until="load")
        finally:
            mirror.unroute(is_document, serve_snapshot)
        return _AXE.run(mirror).response

    def check(self, page: Page, label: str | None = None) -> dict:
        """Wait for the page to settle, run axe, fail on serious/critical violations."""
        log = self.logs.get(page)
        # An unknown page might have JavaScript off, and axe would then wait forever.
        assert log is not None, "visit_checked() needs a page from `page` or `browser_context`"
        page.wait_for_load_state("load")
        if log.javascript:
            page.wait_for_function(HTMX_IDLE)
        if log.visits:
            log.visits[-1].checked = True
        self.assert_no_problems(page)
        results = self._axe(page, log.javascript)
        blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        assert not blocking, _format_violations(page.url, label, blocking)
        return results

    # -- guards ---------------------------------------------------------------------------

    def assert_no_problems(self, page: Page | None = None) -> None:
        logs = [self.logs[page]] if page is not None else list(self.logs.values())
        problems = [problem for log in logs for problem in log.problems]
        assert not problems, "browser reported errors:\n  " + "\n  ".join(problems)

    def unchecked_visits(self) -> list[str]:
        return [visit.url for log in self.logs.values() for visit in log.visits if not visit.checked]

    def finish(self) -> None:
        """The end-of-test guards."""
        self.assert_no_problems()
        unchecked = self.unchecked_visits()
        assert not unchecked, (
            "pages were shown but never checked with visit_checked(page):\n  "
            + "\n  ".join(unchecked))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Apply the harness's guards after a browser test's body (a failure, not a teardown error)."""
    result = yield
    harness = item.stash.get(HARNESS_KEY, None)
    if harness is not None:
        harness.finish()
    return result


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright's sync API for the session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's headless Chromium, once per session."""
    instance = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield instance
    instance.close()


@pytest.fixture
def browser_harness(browser, request):
    """The harness of one test (contexts, pages, checks); closed afterwards."""
    harness = BrowserHarness(browser)
    request.node.stash[HARNESS_KEY] = harness
    yield harness
    harness.close()


@pytest.fixture
def javascript():
    """Whether `page` runs JavaScript; parametrize `javascript` to change it."""
    return True


@pytest.fixture
def browser_context(browser_harness):
    """Factory: browser_context(javascript=True, **context_options) -> a fresh BrowserContext."""
    return browser_harness.new_context


@pytest.fixture
def page(browser_context, browser_harness, javascript):
    """A page in a fresh context, with or without JavaScript."""
    new_page = browser_context(javascript=javascript).new_page()
    browser_harness.watch(new_page, javascript)
    return new_page


@pytest.fixture
def visit_checked(browser_harness):
    """visit_checked(page, url=None, label=None): (go to url,) settle, run axe, assert."""

    def visit(page: Page, url: str | None = None, label: str | None = None) -> dict:
        if url is not None:
            page.goto(url)
        return browser_harness.check(page, label)

    return visit


@pytest.fixture
def wait_for_mail():
    """wait_for_mail(outbox, recipient, timeout=5.0): the newest mail to `recipient`."""

    def wait(outbox: list, recipient: str, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            mails = [mail for mail in list(outbox) if recipient in mail.recipients]
            if mails:
                return mails[-1]
            assert time.monotonic() < deadline, f"no mail to {recipient} within {timeout} s"
            time.sleep(0.05)

    return wait


@pytest.fixture
def expect_http_error(browser_harness):
    """expect_http_error(page, url, status): `url` answers `status` on purpose (a 403 page, say).

    Chromium reports such a load as a console error; for this page, URL and status it is then
    expected and does not fail the test. Anything else still does.
    """

    def expect_error(page: Page, url: str, status: int) -> None:
        log = browser_harness.logs.get(page)
        assert log is not None, "expect_http_error() needs a page from `page` or `browser_context`"
        log.expected_errors.add((url, status))

    return expect_error
