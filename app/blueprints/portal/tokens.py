"""Signed links for activation and password reset: time-limited, single use, no CPR inside.

Single use without a table: the payload carries a fingerprint of the user's password hash (or of
"none"), so the link stops working the moment a password is chosen (as Flask-Security-Too does).
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.core.clock import utcnow
from app.core.db import get_session
from app.models import PortalUser
from app.security import keyed_hash

# Each purpose has its own salt and lifetime.
PURPOSES = {
    "activation": ("portal-activation", 7 * 24 * 3600),
    "password_reset": ("portal-password-reset", 3600),
}


class _ClockSigner(TimestampSigner):
    """Timestamps from the app's clock, so tests can let links expire."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    salt, _max_age = PURPOSES[purpose]
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=_ClockSigner)


def password_fingerprint(user: PortalUser) -> str:
    """A short keyed fingerprint of the current password hash; changes with every new password."""
    return keyed_hash(user.password_hash or "none", "portal-link-fingerprint")[:24]


def make_token(purpose: str, user: PortalUser) -> str:
    """A signed token for a link of this purpose (carries the user id and the fingerprint)."""
    return _serializer(purpose).dumps({"u": user.id, "p": password_fingerprint(user)})


@dataclass
class TokenCheck:
    """The user of a valid token, or why there is none: invalid | expired | used."""

    user: PortalUser | None
    problem: str | None = None


def check_token(purpose: str, token: str) -> TokenCheck:
    """Verify signature, age and fingerprint of a link's token."""
    _salt, max_age = PURPOSES[purpose]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        return TokenCheck(None, "expired")
    except BadSignature:
        return TokenCheck(None, "invalid")
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return TokenCheck(None, "invalid")
    user = get_session().get(PortalUser, data["u"])
    if user is None:
        return TokenCheck(None, "invalid")
    if data.get("p") != password_fingerprint(user):
        return TokenCheck(None, "used")
    return TokenCheck(user)
