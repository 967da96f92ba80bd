"""A sister system's login request waiting while the person logs in here.

Only the path of our own /oidc/authorize is kept (in the signed cookie session, across the
session rotation at login), so it can never send the browser anywhere else.
"""

from urllib.parse import parse_qs, urlencode, urlsplit

from flask import request, session

from app.core.web import CSP
from app.provider import clients

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


def waiting_origin() -> str | None:
    """The origin of the waiting request's redirect URI, when it is registered for its client.

    The login's last step here is often a form (a picker, the onboarding without JavaScript)
    whose redirect chain ends at the sister system; a browser applies that page's CSP
    form-action to the whole chain (CSP Level 3 §6.4.1), so the page must name that origin.
    """
    path = waiting()
    if path is None:
        return None
    args = parse_qs(urlsplit(path).query)
    client = clients.find_client((args.get("client_id") or [""])[0])
    redirect_uri = (args.get("redirect_uri") or [""])[0]
    if client is None or redirect_uri not in clients.uris(client, "redirect_uris"):
        return None
    parts = urlsplit(redirect_uri)
    return f"{parts.scheme}://{parts.netloc}"


def allow_form_return(response):
    """after_request: let this page's forms end at the waiting sister system (see above)."""
    if response.mimetype != "text/html" or response.headers.get("Content-Security-Policy",
                                                                CSP) != CSP:
        return response
    origin = waiting_origin()
    if origin:
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response
