"""A local production-like stack on loopback: databases, gunicorn instances and their clean-up.

Used by the benchmarks (`make bench`) and by the two-instance tests in tests/scale. Everything
binds to 127.0.0.1; every process started here is ended by its own id.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
# Fixed keys for the stack's test data only (fictitious people); never used for real data.
STACK_SECRET_KEY = "stack-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
STACK_CPR_KEY = "mT0m0rV0v1Y4y0Q2ZrJkUoJkq6o2yGJx1Xc0mI3b8nQ="
STACK_CPR_INDEX_KEY = "stack-cpr-index-key"
STACK_OP_KEY = "Zq2w7r0PbNQ0b2dM6tV4yJmQ8xXcE5kH1sLpA9uRfGo="


def free_port() -> int:
    """A free TCP port on loopback (bound and released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


# --- PostgreSQL -----------------------------------------------------------------------------

def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def postgres_reachable(url: str) -> bool:
    """Whether the server of a URL accepts a connection (to its maintenance database)."""
    import psycopg

    try:
        with psycopg.connect(_libpq(with_database(url, "postgres")), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def create_database(url: str, *, fresh: bool = False) -> bool:
    """Create the URL's database if missing (dropping it first when fresh); True if created."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(_libpq(with_database(url, "postgres")), autocommit=True,
                         connect_timeout=5) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    """Drop the URL's database, closing its connections."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(_libpq(with_database(url, "postgres")), autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database_name(url))))


# --- Redis ----------------------------------------------------------------------------------

def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def redis_keys(url: str, prefix: str) -> list[str]:
    """Keys of a prefix (bounded scan)."""
    import redis

    client = redis.Redis.from_url(url)
    return [key.decode() for key in client.scan_iter(match=f"*{prefix}*", count=1000)]


def delete_redis_prefix(url: str, prefix: str) -> None:
    """Delete the keys of one run's prefix (other users of the same Redis are left alone)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


# --- processes ------------------------------------------------------------------------------

def wait_for_port(port: int, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Wait until something accepts connections on loopback:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout} s")


def children_of(pid: int) -> list[int]:
    """Direct child processes of a pid (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_environment(*, database_url: str, redis_url: str | None, mail_port: int,
                    broker_url: str | None = None, key_prefix: str = "klinikadgang",
                    **extra) -> dict:
    """The environment of a production-mode app instance of the stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONC"))}
    env.update({
        "ENV_NAME": "production",
        "SIMULATOR_ENABLED": "false",
        "DATABASE_URL": database_url,
        "SECRET_KEY": STACK_SECRET_KEY,
        "CPR_ENCRYPTION_KEYS": STACK_CPR_KEY,
        "CPR_INDEX_KEY": STACK_CPR_INDEX_KEY,
        "OP_KEY_ENCRYPTION_KEYS": STACK_OP_KEY,
        "OP_ISSUER": "http://127.0.0.1",  # the stack's instances are one provider
        "MAIL_SERVER": LOOPBACK,
        "MAIL_PORT": str(mail_port),
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "SESSION_COOKIE_SECURE": "true",  # production requires it; clients here send it over http
        # The stack logs in at the MitID simulator with its development clients.
        "ALLOW_SIMULATOR_BROKER_IN_PRODUCTION": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if broker_url:
        metadata = broker_url + "/.well-known/openid-configuration"
        env["STAFF_BROKER_METADATA_URL"] = metadata
        env["CITIZEN_BROKER_METADATA_URL"] = metadata
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Gunicorn:
    """One gunicorn instance started with gunicorn.conf.py, on loopback, in its own process group."""

    def __init__(self, wsgi: str, env: dict, *, port: int | None = None, workers: int = 1,
                 threads: int = 4, log_path: Path | None = None, command: list[str] | None = None,
                 cwd: Path = ROOT):
        """command: the gunicorn command before the app (default: ours with gunicorn.conf.py)."""
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.env = dict(env, HOST=LOOPBACK, PORT=str(self.port), WEB_CONCURRENCY=str(workers),
                        GUNICORN_THREADS=str(threads))
        self.env.pop("GUNICORN_BIND", None)
        self.wsgi = wsgi
        self.command = command or [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
        self.cwd = cwd
        self.workers = workers
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "Gunicorn":
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [*self.command, self.wsgi],
            cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        if log is not subprocess.DEVNULL:
            log.close()
        wait_for_port(self.port, timeout, self.process)
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def worker_rss_kib(self) -> list[int]:
        return [rss_kib(pid) for pid in self.worker_pids()]

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers."""
        pids = [self.process.pid, *self.worker_pids()]
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError):  # a worker may just have exited
                total += cpu_seconds(pid)
        return total

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful stop of this instance's process group; killed if it does not go."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
