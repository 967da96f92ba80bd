"""6-digit codes e-mailed to verify an address: random, hashed, short-lived, few tries."""

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
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


def _failures_in_window(email: str, purpose: str) -> int:
    """Wrong tries for this address, summed over all its recent codes (a new code does not reset)."""
    cfg = current_app.config
    since = utcnow() - timedelta(seconds=cfg["EMAIL_CODE_FAILURE_WINDOW"])
    total = get_session().exec(
        select(func.coalesce(func.sum(EmailCode.failed_attempts), 0)).where(
            EmailCode.email == email, EmailCode.purpose == purpose, EmailCode.created_at >= since
        )
    ).one()
    return int(total)


def _latest(email: str, purpose: str) -> EmailCode | None:
    return get_session().exec(
        select(EmailCode)
        .where(EmailCode.email == email, EmailCode.purpose == purpose)
        .order_by(EmailCode.created_at.desc(), EmailCode.id.desc())
    ).first()


def send_code(*, email: str, purpose: str, template: str, subject: str, **link) -> CodeResult:
    """Create a new code (voiding the previous one), e-mail it, and commit; mail failure rolls back."""
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    if _failures_in_window(email, purpose) >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    previous = _latest(email, purpose)
    if previous is not None:
        wait = cfg["EMAIL_CODE_RESEND_COOLDOWN"] - (now - previous.created_at).total_seconds()
        if wait > 0:
            return CodeResult(False, "cooldown", wait_seconds=math.ceil(wait))
        if previous.used_at is None and previous.expires_at > now:
            previous.expires_at = now  # only the newest code is valid
    code = new_numeric_code()
    db.add(
        EmailCode(
            purpose=purpose,
            email=email,
            code_hash=hash_code(code),
            created_at=now,
            expires_at=now + timedelta(seconds=cfg["EMAIL_CODE_TTL"]),
            **link,
        )
    )
    db.flush()
    send_email(to=email, subject=subject, template=template, code=code,
               minutes=cfg["EMAIL_CODE_TTL"] // 60)
    db.commit()
    return CodeResult(True)


def verify_code(*, email: str, purpose: str, code: str) -> CodeResult:
    """Check a typed code against the newest valid one; count wrong tries; commit."""
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    if _failures_in_window(email, purpose) >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    latest = _latest(email, purpose)
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return CodeResult(False, "expired")
    if codes_match(latest.code_hash, code):
        latest.used_at = now
        db.commit()
        return CodeResult(True)
    latest.failed_attempts += 1
    db.commit()
    if _failures_in_window(email, purpose) >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    return CodeResult(False, "wrong")


def resend_wait_seconds(*, email: str, purpose: str) -> int:
    """Seconds left before another code may be sent to this address."""
    latest = _latest(_normalise(email), purpose)
    if latest is None:
        return 0
    elapsed = (utcnow() - latest.created_at).total_seconds()
    return max(0, math.ceil(current_app.config["EMAIL_CODE_RESEND_COOLDOWN"] - elapsed))
