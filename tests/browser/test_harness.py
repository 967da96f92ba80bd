"""The browser harness itself: axe, CSP and unchecked-page guards fail when they should."""

import pytest
from playwright.sync_api import expect

from app.core.web import CSP

PROBE = "http://harness.test/probe"
GOOD = """<!DOCTYPE html><html lang="da"><head><title>Prøve</title></head>
<body><main><h1>Prøve</h1><p>Alt i orden.</p></main></body></html>"""
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
BAD = f"""<!DOCTYPE html><html lang="da"><head><title>Prøve</title></head>
<body><main><h1>Prøve</h1><img src="{PIXEL}"><input id="x" type="text"></main></body></html>"""
INLINE = """<!DOCTYPE html><html lang="da"><head><title>Prøve</title></head>
<body><main><h1>Prøve</h1><script>document.title = "inline";</script></main></body></html>"""


def serve(page, html: str, csp: str | None = None, url: str = PROBE) -> None:
    """Answer `url` (a host that does not exist) with `html`, optionally under a CSP."""
    headers = {"Content-Security-Policy": csp} if csp else {}
    page.route(url, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=html, headers=headers))


def forget(browser_harness, page) -> None:
    """Clear what the harness recorded, so the end-of-test guard does not fail this test."""
    log = browser_harness.logs[page]
    log.problems.clear()
    for visit in log.visits:
        visit.checked = True


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_axe_violations_fail_the_check(page, javascript, visit_checked):
    serve(page, BAD)
    with pytest.raises(AssertionError) as failure:
        visit_checked(page, PROBE, label="probe")
    message = str(failure.value)
    assert "image-alt [critical]" in message
    assert "label [critical]" in message
    assert "at img" in message and "#x" in message
    assert PROBE in message and "(probe)" in message


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_clean_page_passes(page, visit_checked):
    serve(page, GOOD)
    results = visit_checked(page, PROBE)
    assert any(rule["id"] == "document-title" for rule in results["passes"])


@pytest.mark.browser
def test_csp_violation_fails_the_check(page, visit_checked, browser_harness):
    serve(page, INLINE, csp=CSP)
    page.goto(PROBE)
    expect(page).to_have_title("Prøve")  # the inline script was refused
    with pytest.raises(AssertionError, match="Content Security Policy"):
        visit_checked(page)
    forget(browser_harness, page)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_unchecked_pages_are_reported(page, visit_checked, browser_harness):
    serve(page, GOOD)
    serve(page, GOOD, url=PROBE + "-2")
    visit_checked(page, PROBE)
    page.goto(PROBE + "-2")
    assert browser_harness.unchecked_visits() == [PROBE + "-2"]
    with pytest.raises(AssertionError, match="never checked"):
        browser_harness.finish()
    forget(browser_harness, page)
