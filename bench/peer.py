"""The bench's peer: Flask-Security-Too in a virtual environment of its own, served like our app.

The restated targets compare our staff login page and password login with the login a Flask team
would otherwise pick, in the same run, under the same gunicorn settings (gthread, the same workers,
threads, keep-alive and time-out as gunicorn.conf.py gives ours) and the same argon2id parameters.
Its requirements are pinned in bench/peer/requirements.txt and installed into bench/.peer-venv on
the first run (again when they change); it never imports `app`.
"""

import re
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

from bench import stack

PEER_DIR = stack.ROOT / "bench" / "peer"
VENV = stack.ROOT / "bench" / ".peer-venv"
REQUIREMENTS = PEER_DIR / "requirements.txt"
WSGI = "fst_app:create_app()"
EMAIL, PASSWORD = "bente.ext@example.dk", "Bogholder2024"  # as in bench/peer/fst_app.py


def ensure_venv() -> Path:
    """The peer's bin folder; the venv is made and its requirements installed when they changed."""
    marker = VENV / ".installed"
    wanted = REQUIREMENTS.read_text()
    if marker.exists() and marker.read_text() == wanted:
        return VENV / "bin"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)  # noqa: S603
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",  # noqa: S603
                    "-r", str(REQUIREMENTS)], check=True)
    marker.write_text(wanted)
    return VENV / "bin"


def environment(database_url: str, password_hasher) -> dict:
    """The peer's settings: its database, a secret, and our argon2id parameters."""
    return {
        "PATH": "/usr/bin:/bin",
        "PEER_DATABASE_URL": database_url,
        "PEER_SECRET_KEY": stack.STACK_SECRET_KEY,
        "PEER_ARGON2_MEMORY_KIB": str(password_hasher.memory_cost),
        "PEER_ARGON2_TIME_COST": str(password_hasher.time_cost),
        "PEER_ARGON2_PARALLELISM": str(password_hasher.parallelism),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def server(*, database_url: str, workers: int, threads: int, timeout: int = 30, keepalive: int = 5,
           log_path: Path | None = None) -> stack.Gunicorn:
    """The peer, seeded and ready to start: one gunicorn instance on loopback."""
    from app.security import password_hasher

    bin_dir = ensure_venv()
    stack.create_database(database_url)
    env = environment(database_url, password_hasher)
    subprocess.run([str(bin_dir / "python"), "fst_app.py", "seed"], cwd=PEER_DIR,  # noqa: S603
                   env=env, check=True)
    port = stack.free_port()
    command = [str(bin_dir / "gunicorn"), "--worker-class", "gthread" if threads > 1 else "sync",
               "--bind", f"{stack.LOOPBACK}:{port}", "--workers", str(workers),
               "--threads", str(threads), "--keep-alive", str(keepalive), "--timeout", str(timeout)]
    return stack.Gunicorn(WSGI, env, port=port, workers=workers, threads=threads,
                          log_path=log_path, command=command, cwd=PEER_DIR)


def login_cookie_and_csrf(url: str) -> tuple[str, str]:
    """A session cookie and the CSRF token of the peer's login page, fetched from it."""
    with urlopen(url + "/login", timeout=10) as answer:  # noqa: S310 (the loopback peer)
        html = answer.read().decode()
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
    return cookie, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login_form(csrf: str) -> dict:
    """The peer's login form, filled with its measured user."""
    return {"csrf_token": csrf, "email": EMAIL, "password": PASSWORD}
