"""Where a password login's time goes inside gunicorn: argon2id's own CPU against the rest.

    python -m bench.hash_probe [--rounds N]

Serves the app with the bench's production set-up, with the WSGI app and the argon2id verify
wrapped to count, per worker: each request's thread CPU, each verify's thread CPU and wall
time, and the page faults and involuntary context switches (preemptions) of the verifying
thread. Then it runs the bench's password login load between raw verify runs and prints both.
Needs the bench database (`make bench` makes it). Diagnostic only: nothing asserts on time.
"""

import argparse
import mmap
import os
import resource
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import data, stack

FIELDS = ("requests", "request_cpu", "verifies", "verify_cpu", "verify_wall", "faults",
          "preemptions")
LAYOUT = struct.Struct(f"{len(FIELDS)}d")  # a worker's totals, in a memory-mapped file of its own


def _counters(out_dir: Path) -> mmap.mmap:
    """This worker's file of totals, mapped: updating it is a memory write, not a system call."""
    with open(Path(out_dir, f"{os.getpid()}.bin"), "w+b") as file:
        file.truncate(LAYOUT.size)
        return mmap.mmap(file.fileno(), LAYOUT.size)


def probed_app():
    """gunicorn factory: the production app with the probes in place (HASH_PROBE_DIR)."""
    import app.security as security
    from wsgi import app

    out_dir = Path(os.environ["HASH_PROBE_DIR"])
    stats = dict.fromkeys(FIELDS, 0)
    lock = threading.Lock()
    mapped = {}  # pid -> this worker's counters (the factory runs in the master, before the fork)
    hasher = security.password_hasher

    class ProbedHasher:
        """The app's PasswordHasher, its verify timed on the calling thread."""

        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, *args, **kwargs):
            before = resource.getrusage(resource.RUSAGE_THREAD)
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return hasher.verify(*args, **kwargs)
            finally:
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                after = resource.getrusage(resource.RUSAGE_THREAD)
                with lock:
                    stats["verifies"] += 1
                    stats["verify_cpu"] += cpu
                    stats["verify_wall"] += wall
                    stats["faults"] += after.ru_minflt - before.ru_minflt
                    stats["preemptions"] += after.ru_nivcsw - before.ru_nivcsw

    security.password_hasher = ProbedHasher()
    inner = app.wsgi_app

    def timed(environ, start_response):
        cpu = time.thread_time()
        try:
            return list(inner(environ, start_response))
        finally:
            with lock:
                stats["requests"] += 1
                stats["request_cpu"] += time.thread_time() - cpu
                pid = os.getpid()
                if pid not in mapped:
                    mapped[pid] = _counters(out_dir)
                LAYOUT.pack_into(mapped[pid], 0, *(stats[key] for key in FIELDS))

    app.wsgi_app = timed
    return app


def _totals(out_dir: Path) -> dict:
    totals = dict.fromkeys(FIELDS, 0)
    for path in out_dir.glob("*.bin"):
        for key, value in zip(FIELDS, LAYOUT.unpack(path.read_bytes()), strict=True):
            totals[key] += value
    return totals


def main() -> int:
    from app import create_app
    from bench import run as bench

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", bench.DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", stack.DEFAULT_REDIS)
    nproc = os.cpu_count() or 1
    app = create_app(data.app_config(database_url))
    cookie, csrf = bench.Fixtures(app, None).login_form()
    request = bench.login_requests(cookie, csrf)
    prefix = f"klinikadgang-probe-{os.getpid()}"
    with tempfile.TemporaryDirectory() as out:
        env = stack.app_environment(database_url=database_url, redis_url=redis_url, mail_port=25,
                                    key_prefix=prefix, TRUSTED_PROXIES=1, HASH_PROBE_DIR=out)
        server = stack.Gunicorn("bench.hash_probe:probed_app()", env, workers=nproc, threads=4)
        try:
            server.start()
            seen = dict.fromkeys(FIELDS, 0)  # the workers' counts are totals since they started
            for n in range(args.rounds):
                raw = bench.raw_verify_rate(nproc)
                load = bench.load(server, request, total=bench.LOGIN_TOTAL,
                                  warmup=bench.LOGIN_WARMUP, concurrency=nproc * 4,
                                  xff_base=1 + n * 1000)
                now = _totals(Path(out))
                t = {key: now[key] - seen[key] for key in FIELDS}
                seen = now
                verifies, requests = max(1, t["verifies"]), max(1, t["requests"])
                print(f"round {n + 1}: logins {load['rps']:.1f}/s, raw verify {raw['rate']:.1f}/s "
                      f"({1000 * nproc / raw['rate']:.1f} ms each, one per core), ratio "
                      f"{load['rps'] / raw['rate']:.2f}; in the server per login: request thread "
                      f"CPU {1000 * t['request_cpu'] / requests:.1f} ms, of which argon2id "
                      f"{1000 * t['verify_cpu'] / verifies:.1f} ms (wall "
                      f"{1000 * t['verify_wall'] / verifies:.1f} ms, "
                      f"{t['preemptions'] / verifies:.1f} preemptions, "
                      f"{t['faults'] / verifies:.0f} page faults per verify); all server "
                      f"processes {load['server_cpu_ms']:.1f} ms CPU per login")
        finally:
            server.stop()
            stack.delete_redis_prefix(redis_url, prefix)
            app.extensions["db_engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
