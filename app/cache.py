"""Short per-process caches of what many requests read alike, kept in app.extensions.

Every instance keeps its own: a value may be up to the cache's seconds old on the others, so
only page views read through them; every decision reads the database itself.
"""

from time import monotonic

from flask import current_app


def cached(name: str, key, seconds: float, make, *, max_entries: int = 10_000):
    """The value `make()` gave for `key` within the last `seconds`, else a new one.

    The cache starts over when it holds `max_entries` keys (unknown keys are kept too).
    """
    cache = current_app.extensions.setdefault(name, {})
    now = monotonic()
    hit = cache.get(key)
    if hit is None or hit[0] <= now:
        value = make()
        if len(cache) >= max_entries:
            cache.clear()
        hit = cache[key] = (now + seconds, value)
    return hit[1]


def forget(name: str) -> None:
    """Drop this process's cache `name` (after a change made here)."""
    current_app.extensions.pop(name, None)
