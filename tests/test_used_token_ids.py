"""One-time JWT ids: the second use of a jti from the same issuer is refused, on every instance."""

from datetime import timedelta

from sqlmodel import select

from app.core.clock import utcnow
from app.core.db import get_session
from app.core.jti import first_use
from app.models import UsedTokenId


def test_a_jti_is_accepted_once_per_issuer(app):
    later = utcnow() + timedelta(minutes=5)
    with app.app_context():
        assert first_use(issuer="https://broker.example", jti="abc", expires_at=later)
        assert not first_use(issuer="https://broker.example", jti="abc", expires_at=later)
        assert first_use(issuer="https://other.example", jti="abc", expires_at=later)
        get_session().commit()


def test_a_replay_leaves_the_transaction_usable(app):
    later = utcnow() + timedelta(minutes=5)
    with app.app_context():
        first_use(issuer="i", jti="x", expires_at=later)
        get_session().commit()
        assert not first_use(issuer="i", jti="x", expires_at=later)
        assert first_use(issuer="i", jti="y", expires_at=later)
        get_session().commit()
        assert {row.jti for row in get_session().exec(select(UsedTokenId))} == {"x", "y"}


def test_expired_ids_are_dropped(app):
    with app.app_context():
        first_use(issuer="i", jti="old", expires_at=utcnow() - timedelta(seconds=1))
        get_session().commit()
        first_use(issuer="i", jti="new", expires_at=utcnow() + timedelta(minutes=5))
        get_session().commit()
        assert [row.jti for row in get_session().exec(select(UsedTokenId))] == ["new"]
