"""Error pages in Danish (and English): never a stack trace."""

import logging

from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.web import is_fragment_request, render_page

log = logging.getLogger(__name__)


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
        log.exception("unhandled error: %s", type(exc).__name__)
        return render_error(500)
