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
"""

import gc
import multiprocessing
import os
import sys

from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
)
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
threads = _int("GUNICORN_THREADS", 4)


class ThreadWorker(GunicornThreadWorker):
    """gthread, taking new connections only while it has a thread free.

    gthread workers share one listening socket, and the first to wake accepts every connection
    that is waiting. Connections that stay open (a load balancer's keep-alive pool, the bench's
    load generator) then all land on one worker: with 8 connections on two workers one worker
    served them all in two rounds of six (370-400 pages a second against 850-1,150 when spread),
    as one process runs Python on one core at a time. This worker stops accepting while its
    requests in progress fill its threads, so waiting connections go to a worker with a free
    thread. Idle keep-alive connections hold no thread and do not count.
    """

    def _threads_full(self) -> bool:
        serving = self.nr_conns - len(self.keepalived_conns) - len(self.pending_conns)
        return serving >= self.cfg.threads

    def set_accept_enabled(self, enabled):
        """Accept only when gunicorn would and a thread is free."""
        super().set_accept_enabled(enabled and not self._threads_full())

    def accept(self, listener):
        """Accept one connection; stop accepting when it took the last free thread."""
        super().accept(listener)
        if self._threads_full():
            super().set_accept_enabled(False)


worker_class = ThreadWorker if threads > 1 else "sync"
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
# argon2id is CPU- and memory-bound: the workers together hash as many passwords at once as
# there are cores (a bound shared by the workers, made in on_starting before they fork).
os.environ.setdefault("PASSWORD_HASH_CONCURRENCY", str(multiprocessing.cpu_count()))


def on_starting(server):
    """Share one argon2id bound between the workers; say when rate limits are not shared.

    The preloaded app is imported by now; without preloading (or for another app) each worker
    keeps its own bound.
    """
    security = sys.modules.get("app.security")
    try:
        if security is not None:
            slots = security.share_hash_slots(int(os.environ["PASSWORD_HASH_CONCURRENCY"]))
            server.log.info("argon2id: at most %d at once across the workers", slots.size)
    except OSError as exc:  # no POSIX semaphores here (e.g. no /dev/shm)
        server.log.warning("argon2id is bounded per worker, not per instance: %s", exc)
    if not os.environ.get("REDIS_URL"):
        print("gunicorn.conf.py: REDIS_URL is not set; rate limits are counted per worker process "
              "and are not shared between workers or instances.", file=sys.stderr)


def child_exit(server, worker):
    """A worker killed while hashing (timeout, OOM) gives its argon2id slots back."""
    security = sys.modules.get("app.security")
    if security is not None and security.release_hash_slots_of(worker.pid):
        server.log.warning("worker %s died while hashing a password: its slot is free again",
                           worker.pid)


def pre_fork(server, worker):
    """Freeze what the master built (the preloaded app) out of the cyclic garbage collector.

    Without this each worker's full collections walk every object of the app (about 1.5 ms per
    password login, measured) and touch their pages, which are then copied instead of shared.
    """
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
