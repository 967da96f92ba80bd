"""Reading what the app mailed: a code, a link, an invitation token."""

import re

from tests.helpers.http import app_path

LINK_RE = re.compile(r"https?://\S+/invitation/([A-Za-z0-9_-]+)")


def code_from(mail) -> str:
    """The 6-digit code in an e-mail's text."""
    match = re.search(r"\b(\d{6})\b", mail.text)
    assert match, "mail has no 6-digit code"
    return match.group(1)


def link_from(mail) -> str:
    """The first http link in an e-mail's text, as a path for the test client."""
    match = re.search(r"(http://\S+)", mail.text)
    assert match, "mail has no link"
    return app_path(match.group(1))


def token_from(mail) -> str:
    """The invitation token in an e-mail's link."""
    match = LINK_RE.search(mail.text)
    assert match, "mail has no invitation link"
    return match.group(1)
