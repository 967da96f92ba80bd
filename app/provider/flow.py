"""A sister system's login request waiting while the person logs in here.

Only the path of our own /oidc/authorize is kept (in the signed cookie session, across the
session rotation at login), so it can never send the browser anywhere else.
"""

from urllib.parse import urlencode

from flask import request, session

RETURN_KEY = "op_return"
AUTHORIZE_PATH = "/oidc/authorize"
# Asked for once: after the new login they are met, and asking again would loop.
ONCE = ("prompt", "max_age")


def remember_request() -> None:
    """Come back to this authorization request after the login."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ONCE]
    session[RETURN_KEY] = AUTHORIZE_PATH + "?" + urlencode(kept)


def take_return() -> str | None:
    """The waiting authorization request's path, once."""
    path = session.pop(RETURN_KEY, None)
    if isinstance(path, str) and path.startswith(AUTHORIZE_PATH + "?"):
        return path
    return None


def waiting() -> str | None:
    """The waiting request's path without taking it (for a page that continues to it)."""
    path = session.get(RETURN_KEY)
    return path if isinstance(path, str) and path.startswith(AUTHORIZE_PATH + "?") else None


def kept_across_rotation() -> dict:
    return {RETURN_KEY: session[RETURN_KEY]} if RETURN_KEY in session else {}
