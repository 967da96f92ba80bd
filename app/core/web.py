"""Response plumbing: security headers, htmx fragments, and template helpers."""

from flask import current_app, make_response, redirect, render_template, request
from flask_babel import format_date, format_datetime
from jinja2_fragments.flask import render_block

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def is_fragment_request() -> bool:
    """True for an htmx request that swaps part of a page (not boosted, not a history restore)."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_page(template: str, *, block: str = "content", status: int = 200, push_url=None, **ctx):
    """Render the full page, or only its swappable block for an htmx request."""
    if is_fragment_request():
        body = render_block(template, block, **ctx)
    else:
        body = render_template(template, **ctx)
    response = make_response(body, status)
    if push_url and is_fragment_request():
        response.headers["HX-Push-Url"] = push_url
    return response


def redirect_303(url: str):
    """Redirect after a POST; htmx follows it too and swaps the result into the same target."""
    return redirect(url, code=303)


def leave(url: str):
    """Go to another page with a full page load (htmx: HX-Redirect), e.g. after login or to MitID."""
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect_303(url)


def mask_email(address: str | None) -> str:
    """Show the first three letters of the local part, as the seed does: ato****@example.dk."""
    if not address or "@" not in address:
        return ""
    local, domain = address.split("@", 1)
    return f"{local[:3]}****@{domain}"


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
CACHEABLE_ENDPOINTS = frozenset({"static", "provider.discovery", "provider.jwks", "auth.mitid_jwks"})


def _security_headers(response):
    """Add the security headers a view has not set itself."""
    headers = response.headers
    wanted = (*SECURITY_HEADERS, HSTS) if current_app.config["SESSION_COOKIE_SECURE"] \
        else SECURITY_HEADERS
    for name, value in wanted:
        headers.setdefault(name, value)
    # Pages may carry personal data: no browser or proxy cache keeps them; assets may be cached,
    # and so may the provider's public documents (discovery, JWKS), which say for how long.
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


def init_app(app) -> None:
    """Install headers and template helpers."""
    app.after_request(_security_headers)
    app.jinja_env.filters["mask_email"] = mask_email
    app.jinja_env.filters["format_datetime"] = format_datetime  # in Danish time, per locale
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
