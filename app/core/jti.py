"""One-time JWT ids (jti), shared by every instance through the database.

A logout token from a broker and a private_key_jwt client assertion may each be used once.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import delete

from app.core.clock import utcnow
from app.core.db import get_session
from app.models import UsedTokenId


def first_use(*, issuer: str, jti: str, expires_at: datetime) -> bool:
    """Record issuer's jti; False when it was recorded before (a replay).

    The insert runs in a savepoint, so a replay leaves the caller's transaction usable. Ids of
    JWTs that have expired are dropped on the way: such a JWT is refused for its age anyway.
    """
    db = get_session()
    db.exec(delete(UsedTokenId).where(UsedTokenId.expires_at < utcnow()))
    try:
        with db.begin_nested():
            db.add(UsedTokenId(issuer=issuer, jti=jti, expires_at=expires_at))
    except IntegrityError:
        return False
    return True
