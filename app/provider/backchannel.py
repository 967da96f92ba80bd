"""Back-channel logout to the sister systems (OpenID Connect Back-Channel Logout 1.0).

Whenever a Klinikadgang login session ends (Log ud, "end other sessions", idle or absolute
expiry, found on use or by the worker's round, the outage fallback switched off, a membership
ended, a sister system's own Log ud), every client that holds a token of it and registered a
backchannel_logout_uri gets a queue row in the same transaction. Deliveries POST a signed logout
token (§2.4: iss, aud, iat, exp, jti, events, sid and sub, never a nonce; typ logout+jwt) and are
retried with a growing wait; each outcome is audited, and a client that keeps failing shows on
the operator's list.
"""

import logging
import secrets
import threading
from datetime import timedelta

import requests
from flask import current_app
from joserfc import jwt
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import select, update

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import LoginSession, OIDCClient, OPLogoutDelivery, OPToken, StaffUser
from app.provider import claims, issuer, keys

log = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
GIVE_UP_AFTER = 10  # attempts; spread over about a day with the backoff below


def _queue_ended_sessions(db: Session, _context, _instances) -> None:
    """before_flush: a login session whose ended_at was just set queues its deliveries."""
    ended = [row for row in db.dirty if isinstance(row, LoginSession) and row.ended_at
             and inspect(row).attrs.ended_at.history.deleted in ([None], ())
             and inspect(row).attrs.ended_at.history.added]
    if not ended:
        return
    with db.no_autoflush:
        for row in ended:
            holders = db.execute(
                select(OIDCClient.client_id).join(OPToken, OPToken.client_id ==
                                                  OIDCClient.client_id)
                .where(OPToken.login_session_id == row.id,
                       OIDCClient.backchannel_logout_uri.is_not(None)).distinct()).scalars()
            user = db.get(StaffUser, row.staff_user_id)
            for client_id in holders:
                db.add(OPLogoutDelivery(client_id=client_id, login_session_id=row.id,
                                        sid=claims.session_id_of(row),
                                        sub=claims.subject_of(user)))


def init_app(app) -> None:
    if not event.contains(Session, "before_flush", _queue_ended_sessions):
        event.listen(Session, "before_flush", _queue_ended_sessions)


def logout_token(row: OPLogoutDelivery) -> str:
    key_row = keys.current_key()
    now = int(utcnow().timestamp())
    payload = {"iss": issuer(), "aud": row.client_id, "iat": now, "exp": now + 120,
               "jti": secrets.token_urlsafe(16), "events": {EVENT: {}}, "sid": row.sid,
               "sub": row.sub}
    header = {"alg": key_row.alg, "kid": key_row.kid, "typ": "logout+jwt"}
    return jwt.encode(header, payload, keys.private_key(key_row))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3 * 3600))


def _claim(db, row: OPLogoutDelivery) -> bool:
    """Take the row for this instance (others skip it meanwhile); False if another took it."""
    taken = db.exec(update(OPLogoutDelivery).where(
        OPLogoutDelivery.id == row.id, OPLogoutDelivery.next_attempt_at == row.next_attempt_at,
        OPLogoutDelivery.delivered_at.is_(None))
        .values(next_attempt_at=utcnow() + timedelta(minutes=2)))
    db.commit()
    return taken.rowcount == 1


def deliver_due(limit: int = 50) -> dict:
    """Send the deliveries that are due; returns counts of delivered and failed."""
    db = get_session()
    now = utcnow()
    due = db.exec(select(OPLogoutDelivery).where(
        OPLogoutDelivery.delivered_at.is_(None), OPLogoutDelivery.given_up_at.is_(None),
        OPLogoutDelivery.next_attempt_at <= now).order_by(OPLogoutDelivery.id).limit(limit)).all()
    counts = {"delivered": 0, "failed": 0}
    for row in due:
        if not _claim(db, row):
            continue
        client = db.exec(select(OIDCClient).where(OIDCClient.client_id == row.client_id)).one()
        error = _post(client.backchannel_logout_uri, logout_token(row))
        row.attempts += 1
        if error is None:
            row.delivered_at = utcnow()
            counts["delivered"] += 1
            audit.record("op_backchannel_delivered", actor="system", target_type="oidc_client",
                         target_id=row.client_id, login_session_id=row.login_session_id)
        else:
            row.last_error = error[:200]
            counts["failed"] += 1
            if row.attempts >= GIVE_UP_AFTER:
                row.given_up_at = utcnow()
            else:
                row.next_attempt_at = utcnow() + _backoff(row.attempts)
            audit.record("op_backchannel_failed", actor="system", target_type="oidc_client",
                         target_id=row.client_id, login_session_id=row.login_session_id,
                         attempts=row.attempts, error=row.last_error,
                         given_up=row.given_up_at is not None)
        db.commit()
    return counts


def run_round() -> dict:
    """One round of the worker: end the sessions that ran out unseen, then send what is due."""
    from app.blueprints.auth.sessions import end_expired_sessions  # (auth imports the provider)

    end_expired_sessions()
    return deliver_due()


def deliver_in_background(app, interval: float = 2.0) -> threading.Event:
    """A delivery worker in a daemon thread (the dev server, the browser tests); set() stops it.

    Production runs `flask oidc-logout-deliver --loop` beside the app instead.
    """
    stop = threading.Event()

    def loop():
        while not stop.wait(interval):
            with app.app_context():
                try:
                    run_round()
                except Exception:  # a database hiccup: the next round retries
                    log.exception("back-channel delivery round failed")

    threading.Thread(target=loop, name="oidc-logout-deliver", daemon=True).start()
    return stop


def _post(uri: str, token: str) -> str | None:
    """POST the logout token (§2.5); None when the client answered 200 or 204."""
    try:
        answer = requests.post(uri, data={"logout_token": token}, allow_redirects=False,
                               timeout=current_app.config["OIDC_TIMEOUT"])
    except requests.RequestException as exc:
        return type(exc).__name__
    return None if answer.status_code in (200, 204) else f"HTTP {answer.status_code}"


def failing_clients() -> dict[str, int]:
    """Client id → deliveries that failed at least three times or were given up (operator)."""
    rows = get_session().exec(select(OPLogoutDelivery.client_id).where(
        OPLogoutDelivery.delivered_at.is_(None), OPLogoutDelivery.attempts >= 3)).all()
    found: dict[str, int] = {}
    for client_id in rows:
        found[client_id] = found.get(client_id, 0) + 1
    return found
