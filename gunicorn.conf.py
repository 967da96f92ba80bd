"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (or `make serve`).

Everything is read from the environment:

| variable | default | meaning |
|---|---|---|
| `HOST`, `PORT` | 127.0.0.1, 8000 | where to listen (`GUNICORN_BIND` overrides both) |
| `WEB_CONCURRENCY` | number of CPU cores | worker processes |
| `GUNICORN_THREADS` | 4 | threads per worker (gthread); each may hold one database connection |
| `GUNICORN_TIMEOUT` | 30 | seconds before a silent worker is restarted |
| `GUNICORN_KEEPALIVE` | 5 | seconds an idle keep-alive connection is kept open |
| `GUNICORN_MAX_REQUESTS` | 0 | restart a worker after this many requests (0: never) |
| `GUNICORN_PRELOAD` | 1 | load the app once in the master (less memory per worker) |
| `GUNICORN_ACCESS_LOG` | off | `-` logs requests to stdout (personal data is filtered) |
| `GUNICORN_CONTROL_SOCKET` | off | path of gunicorn's control socket for this instance |

The app's own settings (`DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, ...) come from the environment as
always. The database pool is sized for the threads: `DB_POOL_SIZE` defaults to GUNICORN_THREADS and
`DB_MAX_OVERFLOW` to 2, so one instance opens at most WEB_CONCURRENCY x (threads + 2) connections.
Each worker runs at most `PASSWORD_HASH_CONCURRENCY` (default: the cores) argon2id hashes at once.
"""

import gc
import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
)
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 10
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() in ("1", "true", "yes", "on")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
proc_name = "klinikadgang"
# Gunicorn's control socket has one default path per user: two instances on one host would
# share it. It is off unless GUNICORN_CONTROL_SOCKET names a path for this instance.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# One connection per serving thread is what a worker can use at once; a few more for bursts.
os.environ.setdefault("DB_POOL_SIZE", str(threads))
os.environ.setdefault("DB_MAX_OVERFLOW", "2")


def on_starting(server):
    """Say at start when rate limits are not shared between the workers."""
    if not os.environ.get("REDIS_URL"):
        print("gunicorn.conf.py: REDIS_URL is not set; rate limits are counted per worker process "
              "and are not shared between workers or instances.", file=sys.stderr)


def pre_fork(server, worker):
    """Freeze what the master built (the preloaded app) out of the cyclic garbage collector."""
    # Else each worker's full collections walk every object of the app and touch their pages,
    # which are then copied instead of shared (the gc.freeze() use the Python docs describe).
    gc.freeze()


def post_worker_init(worker):
    """Also freeze what the worker built at start (the app itself when it is not preloaded)."""
    gc.freeze()


def post_fork(server, worker):
    """A preloaded app's pooled connections belong to the master: each worker opens its own."""
    if preload_app:
        app = sys.modules.get("wsgi")
        engine = getattr(getattr(app, "app", None), "extensions", {}).get("db_engine")
        if engine is not None:
            engine.dispose(close=False)
