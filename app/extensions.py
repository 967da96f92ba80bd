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


def _safe_method() -> bool:
    """GET and HEAD only read: the default limit is for requests that change or send something.

    Routes whose GET costs something (the MitID start and callback) carry limits of their own;
    checking the default on every page view would cost a Redis round trip per request.
    """
    return request.method in ("GET", "HEAD", "OPTIONS")


limiter = Limiter(key_func=get_remote_address, default_limits_exempt_when=_safe_method)
