"""Patients' portal sessions, apart from staff (flask-login): the cookie holds a token, the row the rest."""

from datetime import timedelta
from functools import wraps

from flask import current_app, g, redirect, session, url_for
from sqlmodel import select

from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, PortalSession, PortalUser
from app.oidc import BrokerLogin
from app.security import new_token, token_hash

SESSION_KEY = "portal_token"
PORTAL_KEY_PREFIX = "portal_"  # every portal key of the Flask session starts with this
# A portal session never lasts longer than this, however active (the idle limit is in config).
MAX_SESSION = timedelta(hours=8)
# last_seen_at is written at most this often, so most requests need no write.
_TOUCH_INTERVAL = timedelta(seconds=60)


def clear_portal_keys() -> None:
    """Drop every portal key from the Flask session; staff keys and the language stay."""
    for key in [k for k in session if k.startswith(PORTAL_KEY_PREFIX)]:
        session.pop(key)


def start_portal_session(portal_user: PortalUser, clinic: Clinic, *, method: str,
                         kiosk_device_id: int | None = None,
                         broker: BrokerLogin | None = None) -> PortalSession:
    """Log a patient in at one clinic's portal: end this browser's previous portal session, rotate."""
    end_portal_session()
    if kiosk_device_id is None:  # on a kiosk the session is marked, so it can be found and ended
        kiosk_device_id = (session.get("kiosk") or {}).get("device")
    db = get_session()
    token = new_token()
    now = utcnow()
    row = PortalSession(token_hash=token_hash(token), portal_user_id=portal_user.id,
                        clinic_id=clinic.id, method=method, kiosk_device_id=kiosk_device_id,
                        created_at=now, last_seen_at=now, expires_at=now + MAX_SESSION,
                        **(broker or BrokerLogin()).session_columns())
    db.add(row)
    db.commit()
    clear_portal_keys()  # nothing from before the login survives (wizard state, pending login)
    session[SESSION_KEY] = token
    g.portal_session = row
    return row


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["PORTAL_IDLE_MINUTES"])


def _load() -> PortalSession | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    db = get_session()
    row = db.exec(select(PortalSession).where(PortalSession.token_hash == token_hash(token))).first()
    now = utcnow()
    if row is None or row.ended_at is not None:
        return None
    if row.expires_at <= now or now - row.last_seen_at > _idle_limit():
        row.ended_at = now
        db.commit()
        return None
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        row.last_seen_at = now
        db.commit()
    return row


def current_portal_session() -> PortalSession | None:
    """The live portal session of this request, or None (cached for the request)."""
    if "portal_session" not in g:
        g.portal_session = _load()
    return g.portal_session


def current_portal_user() -> PortalUser | None:
    """The patient logged in to the portal in this request, or None."""
    row = current_portal_session()
    if row is None:
        return None
    cached = g.get("portal_user")
    if cached is None or cached.id != row.portal_user_id:
        cached = g.portal_user = get_session().get(PortalUser, row.portal_user_id)
    return cached


def end_portal_session() -> None:
    """Log ud: end the portal session on the server and drop the portal keys of the cookie."""
    token = session.get(SESSION_KEY)
    if token:
        db = get_session()
        row = db.exec(
            select(PortalSession).where(PortalSession.token_hash == token_hash(token))).first()
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            db.commit()
    clear_portal_keys()
    g.pop("portal_session", None)
    g.pop("portal_user", None)



def end_all_portal_sessions(portal_user_id: int) -> None:
    """End every open session of a patient (after a password change); the caller commits."""
    now = utcnow()
    for row in get_session().exec(select(PortalSession).where(
            PortalSession.portal_user_id == portal_user_id, PortalSession.ended_at.is_(None))):
        row.ended_at = now


def portal_clinic(clinic_key: str) -> Clinic | None:
    """The clinic of a portal URL (kept for the request)."""
    cached = g.get("portal_clinic")
    if cached is None or cached.key != clinic_key:
        cached = get_session().exec(select(Clinic).where(Clinic.key == clinic_key)).first()
        g.portal_clinic = cached
    return cached


def portal_login_required(view):
    """View decorator for /portal/<clinic_key>/...: a portal session at this very clinic."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        clinic_key = kwargs["clinic_key"]
        clinic = portal_clinic(clinic_key)
        row = current_portal_session()
        if clinic is None or row is None or row.clinic_id != clinic.id \
                or current_portal_user() is None:
            return redirect(url_for("portal.front", clinic_key=clinic_key))
        return view(*args, **kwargs)

    return wrapper
