"""Error pages in Danish (and English): never a stack trace."""

import logging

from flask import current_app, make_response, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from jinja2_fragments import render_block
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.core.i18n import select_locale
from app.core.web import is_fragment_request, render_page

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30  # what a 503 asks clients to wait before trying again


def _messages() -> dict:
    return {
        400: (_("Forespørgslen kunne ikke behandles"), _("Prøv igen fra forsiden.")),
        403: (_("Ingen adgang"), _("Du har ikke adgang til denne side.")),
        404: (_("Siden findes ikke"), _("Tjek adressen, eller gå til forsiden.")),
        405: (_("Forespørgslen kunne ikke behandles"), _("Prøv igen fra forsiden.")),
        429: (
            _("For mange forsøg"),
            _("Du har prøvet for mange gange på kort tid. Vent lidt, og prøv igen."),
        ),
        500: (_("Der opstod en fejl"), _("Fejlen er registreret. Prøv igen om lidt.")),
    }


def render_error(status: int, title: str | None = None, text: str | None = None, **ctx):
    """Render the error page; for htmx, as a fragment that replaces the main content."""
    default_title, default_text = _messages().get(status, _messages()[500])
    response = render_page(
        "error.html", status=status, title=title or default_title, text=text or default_text,
        **ctx,
    )
    if is_fragment_request():
        response.headers["HX-Retarget"] = "#main-content"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def database_unavailable(exc: Exception) -> bool:
    """The database cannot be reached (refused, cut, timed out, no free connection)."""
    return isinstance(exc, (OperationalError, PoolTimeout)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def render_unavailable():
    """503 while the database is away: a Danish page that asks nothing of the database.

    The usual page asks the database for the logged-in user and clinic (header, context
    processors), so it is rendered straight from the template without them; the login itself is
    untouched and holds again once the database is back.
    """
    path = request.full_path.rstrip("?")
    ctx = {"status": 503, "title": _("Klinikadgang er midlertidigt utilgængelig"),
           "text": _("Vi kan ikke behandle forespørgsler lige nu. Prøv igen om lidt."),
           "retry_url": path if request.method == "GET" else None,
           "current_user": AnonymousUserMixin(), "current_lang": select_locale(),
           "current_path": path, "kiosk_mode": False}
    env = current_app.jinja_env
    if is_fragment_request():
        response = make_response(render_block(env, "error.html", "content", **ctx), 503)
        response.headers["HX-Retarget"] = "#main-content"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(env.get_template("error.html").render(ctx), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return render_error(
            400, _("Siden er udløbet"),
            _("Formularen var for gammel eller ugyldig. Genindlæs siden, og prøv igen."),
        )

    @app.errorhandler(HTTPException)
    def _http(exc):
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if database_unavailable(exc):
            # The class names only: a driver's message may carry a host or a user name.
            log.warning("database unavailable: %s (%s)", type(exc).__name__,
                        type(getattr(exc, "orig", None)).__name__)
            return render_unavailable()
        log.exception("unhandled error: %s", type(exc).__name__)
        return render_error(500)
