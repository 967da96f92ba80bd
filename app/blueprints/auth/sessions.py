"""Server-side login sessions behind flask-login: the cookie holds a random token, the row the rest."""

from datetime import timedelta

from flask import current_app, request, session
from flask_login import UserMixin, login_user, logout_user
from sqlmodel import select

from app.clock import utcnow
from app.db import get_session
from app.models import LoginSession, StaffUser
from app.security import new_token, token_hash

# A row's last_seen_at is written at most this often, so most requests need no write.
_TOUCH_INTERVAL = timedelta(seconds=60)


class StaffPrincipal(UserMixin):
    """The logged-in staff member as flask-login sees them: the account plus its login session."""

    def __init__(self, user: StaffUser, login_session: LoginSession, token: str):
        self.user = user
        self.login_session = login_session
        self._token = token

    def get_id(self) -> str:
        return self._token

    @property
    def name(self) -> str:
        return self.user.name


def start_login_session(user: StaffUser, *, method: str) -> StaffPrincipal:
    """Open a new login session (rotating the cookie session) and log the user in."""
    db = get_session()
    token = new_token()
    now = utcnow()
    row = LoginSession(
        token_hash=token_hash(token),
        staff_user_id=user.id,
        method=method,
        user_agent=(request.user_agent.string or "")[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"]),
    )
    db.add(row)
    db.commit()
    lang = session.get("lang")
    session.clear()  # rotation: nothing from before the login survives but the language
    if lang:
        session["lang"] = lang
    principal = StaffPrincipal(user, row, token)
    login_user(principal)
    return principal


def end_login_session(principal: StaffPrincipal, *, reason: str = "logout") -> None:
    """End the login session on the server and clear the cookie session."""
    db = get_session()
    row = db.get(LoginSession, principal.login_session.id)
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        row.ended_reason = reason
        db.commit()
    logout_user()
    session.clear()


def load_principal(token: str) -> StaffPrincipal | None:
    """Find the live login session of a cookie token, or None."""
    db = get_session()
    row = db.exec(select(LoginSession).where(LoginSession.token_hash == token_hash(token))).first()
    now = utcnow()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        row.last_seen_at = now
        db.commit()
    user = db.get(StaffUser, row.staff_user_id)
    return StaffPrincipal(user, row, token) if user else None


def init_app(app, login_manager) -> None:
    """Wire flask-login to our session table."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.user_loader(load_principal)
