"""Server-side login sessions behind flask-login: the cookie holds a random token, the row the rest."""

from datetime import timedelta

from flask import current_app, request, session
from flask_login import UserMixin, login_user, logout_user
from sqlmodel import select

from app import audit, broker_sessions
from app.blueprints.auth.access import keep_clinic
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, LoginSession, StaffUser
from app.oidc import BrokerLogin
from app.provider import flow
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


def new_login_session(user: StaffUser, *, method: str, clinic_id: int | None = None,
                      function: str | None = None, broker: BrokerLogin | None = None,
                      mitid_link_id: int | None = None) -> tuple[LoginSession, str]:
    """A new login session row (not stored yet) and the random cookie token that finds it."""
    token = new_token()
    now = utcnow()
    row = LoginSession(
        token_hash=token_hash(token),
        staff_user_id=user.id,
        method=method,
        clinic_id=clinic_id,
        function=function,
        user_agent=(request.user_agent.string or "")[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=current_app.config["STAFF_SESSION_HOURS"]),
        mitid_link_id=mitid_link_id,
        **(broker or BrokerLogin()).session_columns(),
    )
    return row, token


def enter_login_session(user: StaffUser, row: LoginSession, token: str, *,
                        preselect_cvr: str | None = None) -> StaffPrincipal:
    """Log the user in on a stored login session, rotating the cookie session."""
    lang = session.get("lang")
    kept = broker_sessions.kept_across_rotation() | flow.kept_across_rotation()
    session.clear()  # rotation: nothing from before the login survives but the language
    session.update(kept)  # what the brokers have open, and a sister system's waiting login
    if lang:
        session["lang"] = lang
    if preselect_cvr:
        session["preselect_cvr"] = preselect_cvr  # MitID Erhverv: the organisation logged in for
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
    kept = broker_sessions.kept_across_rotation()
    session.clear()
    session.update(kept)



def _end(row: LoginSession, reason: str, now) -> None:
    row.ended_at = now
    row.ended_reason = reason
    get_session().commit()


def load_principal(token: str) -> StaffPrincipal | None:
    """Find the live login session of a cookie token, or None (ending it when it ran out).

    The session, its account and its chosen clinic come in one SELECT: every staff page needs
    all three (the clinic is kept for access.current_clinic).
    """
    db = get_session()
    found = db.exec(
        select(LoginSession, StaffUser, Clinic)
        .join(StaffUser, StaffUser.id == LoginSession.staff_user_id)
        .outerjoin(Clinic, Clinic.id == LoginSession.clinic_id)
        .where(LoginSession.token_hash == token_hash(token))).first()
    now = utcnow()
    if found is None or found[0].ended_at is not None:
        return None
    row, user, clinic = found
    reason = ran_out(row, now)
    if reason:
        _end(row, reason, now)
        return None
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        row.last_seen_at = now
        db.commit()
    if clinic is not None:
        keep_clinic(clinic)
    return StaffPrincipal(user, row, token)


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])


def ran_out(row: LoginSession, now) -> str | None:
    """Why an open login session is over without anyone ending it: "expired", "idle", or None."""
    if row.expires_at <= now:
        return "expired"
    if now - row.last_seen_at > idle_limit():
        return "idle"
    return None


def end_expired_sessions(limit: int = 500) -> int:
    """End the sessions that ran out while nobody used them (idle or past their expiry).

    A session is otherwise ended when its cookie comes back; one never seen again must still
    end, so that the sister systems holding its tokens get their back-channel logout. One row
    at a time, so the provider's back-channel queue sees each end (app/provider/backchannel).
    """
    now = utcnow()
    rows = get_session().exec(
        select(LoginSession).where(
            LoginSession.ended_at.is_(None),
            (LoginSession.expires_at <= now) | (LoginSession.last_seen_at < now - idle_limit()))
        .order_by(LoginSession.id).limit(limit)).all()
    for row in rows:
        _end(row, ran_out(row, now), now)
    return len(rows)


def open_sessions(staff_user_id: int) -> list[LoginSession]:
    """The user's sessions that have not ended or run out, newest first."""
    now = utcnow()
    rows = get_session().exec(
        select(LoginSession)
        .where(LoginSession.staff_user_id == staff_user_id, LoginSession.ended_at.is_(None),
               LoginSession.expires_at > now)
        .order_by(LoginSession.created_at.desc())
    ).all()
    return [row for row in rows if ran_out(row, now) is None]


def end_other_session(staff_user_id: int, session_id: int) -> bool:
    """End one of the user's own sessions by id; False if it is not theirs or not open."""
    row = get_session().get(LoginSession, session_id)
    if row is None or row.staff_user_id != staff_user_id or row.ended_at is not None:
        return False
    audit.record("session_ended_by_user", actor=f"staff:{staff_user_id}",
                 target_type="login_session", target_id=row.id)
    _end(row, "ended_by_user", utcnow())
    return True


# Where flask-login keeps the logged-in user's id in the cookie session (login_user).
USER_ID_KEY = "_user_id"


def init_app(app, login_manager) -> None:
    """Wire flask-login to our session table."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.user_loader(load_principal)
