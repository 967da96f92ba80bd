"""6-digit codes e-mailed to verify an address: random, hashed, short-lived, few tries."""

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func
from sqlmodel import select

from app.core.clock import utcnow
from app.core.db import get_session
from app.core.mailer import send_email
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


def _live(code: EmailCode | None, now) -> bool:
    """A code that may still be typed: a used or expired one never holds back a new one."""
    return code is not None and code.used_at is None and code.expires_at > now


def _latest(email: str, purpose: str) -> EmailCode | None:
    """The newest code of this address: the only one that may be typed."""
    return get_session().exec(
        select(EmailCode).where(EmailCode.email == email, EmailCode.purpose == purpose)
        .order_by(EmailCode.created_at.desc(), EmailCode.id.desc())).first()


def _failures(email: str, purpose: str) -> int:
    """Wrong tries at all this address's codes in the window: a new code does not reset them."""
    since = utcnow() - timedelta(seconds=current_app.config["EMAIL_CODE_FAILURE_WINDOW"])
    return int(get_session().exec(
        select(func.coalesce(func.sum(EmailCode.failed_attempts), 0))
        .where(EmailCode.email == email, EmailCode.purpose == purpose,
               EmailCode.created_at >= since)).one())


def send_code(*, email: str, purpose: str, template: str, subject: str, **link) -> CodeResult:
    """Create a new code, e-mail it, and commit; a mail failure leaves the rollback to the caller.

    A new code voids the previous ones without writing to them: verify_code only ever checks
    the newest code of the address.
    """
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    if _failures(email, purpose) >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    previous = _latest(email, purpose)
    if _live(previous, now):
        wait = cfg["EMAIL_CODE_RESEND_COOLDOWN"] - (now - previous.created_at).total_seconds()
        if wait > 0:
            return CodeResult(False, "cooldown", wait_seconds=math.ceil(wait))
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
    return CodeResult(True)


def verify_code(*, email: str, purpose: str, code: str, commit: bool = True) -> CodeResult:
    """Check a typed code against the newest one and count wrong tries.

    Commits, unless the caller commits its own change with the code's (commit=False).
    """
    cfg = current_app.config
    db = get_session()
    email = _normalise(email)
    now = utcnow()
    latest, failures = _latest(email, purpose), _failures(email, purpose)
    if failures >= cfg["EMAIL_CODE_MAX_FAILURES"]:
        return CodeResult(False, "locked")
    if not _live(latest, now):
        return CodeResult(False, "expired")
    if codes_match(latest.code_hash, code):
        latest.used_at = now
        result = CodeResult(True)
    else:
        latest.failed_attempts += 1
        failures += 1
        result = CodeResult(False, "locked" if failures >= cfg["EMAIL_CODE_MAX_FAILURES"]
                            else "wrong")
    if commit:
        db.commit()
    return result


def resend_wait_seconds(*, email: str, purpose: str) -> int:
    """Seconds left before another code may be sent to this address."""
    latest = _latest(_normalise(email), purpose)
    now = utcnow()
    if not _live(latest, now):
        return 0
    elapsed = (now - latest.created_at).total_seconds()
    return max(0, math.ceil(current_app.config["EMAIL_CODE_RESEND_COOLDOWN"] - elapsed))
