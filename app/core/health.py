"""Readiness: whether this instance can serve requests now, dependency by dependency."""

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import get_engine

REDIS_TIMEOUT = 1  # seconds; a load balancer asks often and must not wait on a hung Redis


def database_ok() -> bool:
    """The database answers a query."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def redis_ok() -> bool:
    """Redis (REDIS_URL) answers a ping (on a connection of its own, closed again)."""
    try:
        with redis.Redis.from_url(current_app.config["REDIS_URL"], retry=Retry(NoBackoff(), 0),
                                  socket_connect_timeout=REDIS_TIMEOUT,
                                  socket_timeout=REDIS_TIMEOUT) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def readiness() -> tuple[dict, bool]:
    """Each dependency's state, and whether requests can be served.

    Without Redis the rate limits are counted per process (Flask-Limiter's in-memory fallback)
    and logins keep working: the instance stays ready and says it is degraded. Were Redis a
    reason to take instances out of the load balancer, one Redis would take down every one.
    """
    checks = {"database": "ok" if database_ok() else "down"}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = "ok" if redis_ok() else "down"
    if checks["database"] != "ok":
        return {"status": "unavailable", "checks": checks}, False
    if "down" in checks.values():
        return {"status": "degraded", "checks": checks, "rate_limits": "per process"}, True
    return {"status": "ready", "checks": checks}, True
