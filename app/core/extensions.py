"""Unbound extension objects, initialised in create_app."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()
mail = Mail()


def _is_page_view() -> bool:
    """True for GET, HEAD and OPTIONS: the default limit counts only requests that act."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# Views whose GET costs something (the MitID start and callback) carry limits of their own,
# which count every method unless they name some.
limiter = Limiter(key_func=get_remote_address, default_limits_exempt_when=_is_page_view)
