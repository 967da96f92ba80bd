"""6-digit codes e-mailed to verify an address: random, hashed, short-lived, few tries."""

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import func
from sqlmodel import select

from app.clock import utcnow
from app.db import get_session
from app.mailer import send_email
from app.models import EmailCode
from app.security import codes_match, hash_code, new_numeric_code


@dataclass
class CodeResult:
    """Outcome of sending or checking a code; `reason` names what went wrong."""

    ok: bool
    reason: str | None = None  # cooldown | locked | expired | wrong
    wait_seconds: int = 0


def _normalise(email: str) -> str:
    return email.strip().lower()


def _state(email: str, purpose: str) -> tuple[EmailCode | None, int]:
    """The newest code of this address and the wrong tries in the window, in one query.

    The sum covers all the address's recent codes (a new code does not reset it); with no code
    at all there is nothing to sum. The newest code is remembered for the rest of the request.
    """
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["EMAIL_CODE_FAILURE_WINDOW"])
    failures = (select(func.coalesce(func.sum(EmailCode.failed_attempts), 0))
                .where(EmailCode.email == email, EmailCode.purpose == purpose,
                       EmailCode.created_at >= since).scalar_subquery())
    row = get_session().exec(
        select(EmailCode, failures)
        .where(EmailCode.email == email, EmailCode.purpose == purpose)
        .order_by(EmailCode.created_at.desc(), EmailCode.id.desc()).limit(1)
    ).first()
    latest, total = (row[0], int(row[1])) if row else (None, 0)
    _remember(email, purpose, latest)
    return latest, total


def _remember(email: str, purpose: str, latest: EmailCode | None) -> None:
    g.setdefault("email_code_latest", {})[(email, purpose)] = latest


def _latest(email: str, purpose: str) -> EmailCode | None:
    known = g.get("email_code_latest", {})
    if (email, purpose) in known:
        return known[(email, purpose)]
    return _state(email, purpose)[0]


def send_code(*, email: str, purpose: str, template: str, subject: str, **link) -> CodeResult:
    """Create a new code (voiding the previous one), e-mail it, and commit; mail failure rolls back."""
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    previous, failures = _state(email, purpose)
    if failures >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    if previous is not None:
        wait = cfg["EMAIL_CODE_RESEND_COOLDOWN"] - (now - previous.created_at).total_seconds()
        if wait > 0:
            return CodeResult(False, "cooldown", wait_seconds=math.ceil(wait))
        if previous.used_at is None and previous.expires_at > now:
            previous.expires_at = now  # only the newest code is valid
    code = new_numeric_code()
    row = EmailCode(
        purpose=purpose,
        email=email,
        code_hash=hash_code(code),
        created_at=now,
        expires_at=now + timedelta(seconds=cfg["EMAIL_CODE_TTL"]),
        **link,
    )
    db.add(row)
    db.flush()
    send_email(to=email, subject=subject, template=template, code=code,
               minutes=cfg["EMAIL_CODE_TTL"] // 60)
    db.commit()
    _remember(email, purpose, row)
    return CodeResult(True)


def verify_code(*, email: str, purpose: str, code: str) -> CodeResult:
    """Check a typed code against the newest valid one; count wrong tries; commit."""
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    latest, failures = _state(email, purpose)
    if failures >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return CodeResult(False, "expired")
    if codes_match(latest.code_hash, code):
        latest.used_at = now
        db.commit()
        return CodeResult(True)
    latest.failed_attempts += 1
    db.commit()
    if failures + 1 >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    return CodeResult(False, "wrong")


def resend_wait_seconds(*, email: str, purpose: str) -> int:
    """Seconds left before another code may be sent to this address."""
    latest = _latest(_normalise(email), purpose)
    if latest is None:
        return 0
    elapsed = (utcnow() - latest.created_at).total_seconds()
    return max(0, math.ceil(current_app.config["EMAIL_CODE_RESEND_COOLDOWN"] - elapsed))
