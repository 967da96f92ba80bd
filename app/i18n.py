"""Languages: Danish first, English second; the choice is kept in the session."""

from flask import current_app, g, request, session
from flask_babel import get_translations

from app.extensions import babel


def select_locale() -> str:
    """Pick the session's language, else Danish."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _translations():
    """The request's translations (the app uses no force_locale, so they hold for the request)."""
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def init_app(app) -> None:
    """Bind Flask-Babel with our locale selector and translations folder."""
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel looks the translations up again for every string (locale, domain, cache);
    # a page has dozens of strings, so templates look them up once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _language():
        return {"current_lang": select_locale(), "current_path": request.full_path.rstrip("?")}
