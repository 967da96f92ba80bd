"""The app's clock: UTC now and today, injectable for tests through config."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DANISH_TIME = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    """Return aware UTC now (every stored timestamp is UTC), honouring config CLOCK."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    if clock is not None:
        return clock()
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in Denmark."""
    return utcnow().astimezone(DANISH_TIME).date()
