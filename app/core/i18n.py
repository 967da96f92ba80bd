"""Languages: Danish first, English second; the choice is kept in the session."""

from flask import current_app, request, session

from app.core.extensions import babel


def select_locale() -> str:
    """Pick the session's language, else Danish."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    """Bind Flask-Babel with our locale selector and translations folder."""
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language():
        return {"current_lang": select_locale(), "current_path": request.full_path.rstrip("?")}
