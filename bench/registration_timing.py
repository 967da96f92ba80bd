"""Does "Opret bruger" take the same time whether or not the CPR number already has a user?

    python -m bench.registration_timing [--rounds N] [--database-url URL]

Submits the registration form in-process (Flask's test client; a fresh SQLite database in a
temporary folder unless --database-url names a PostgreSQL one to use as is) alternately for a
CPR number that has a portal user and for a new one, and prints the median and 90th percentile
of each. Diagnostic only: nothing asserts on time (the tests check that the answers are equal).
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlmodel import select

PASSWORD = "Sommer2026xy"  # noqa: S105 - a throwaway bench database


def _form(cpr: str, n: int) -> dict:
    email = f"bench{n}@example.dk"
    return {"cpr": cpr, "first_name": "Bench", "last_name": "Patient", "email": email,
            "email_confirm": email, "mobile": "", "password": PASSWORD,
            "password_confirm": PASSWORD, "accept_terms": "y"}


def _new_cpr(n: int) -> str:
    """A valid, unused CPR number (born 1970-1997) for the n-th new registration."""
    day, month, year = n % 28 + 1, n // 28 % 12 + 1, 70 + n // 336 % 28
    return f"{day:02d}{month:02d}{year:02d}-{1000 + n % 4000:04d}"


def _app(database_url: str):
    from app import create_app
    from app.blueprints.dev.demo import load_personas, seed_demo_data
    from app.core.migrate import upgrade

    upgrade(database_url)

    app = create_app({"ENV_NAME": "test", "TESTING": True, "SECRET_KEY": "bench",
                      "DATABASE_URL": database_url, "CPR_ENCRYPTION_KEYS": Fernet.generate_key()
                      .decode(), "CPR_INDEX_KEY": "bench-index", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "MAIL_SUPPRESS_SEND": True})
    with app.app_context():
        seed_demo_data(load_personas(), patients_per_clinic=0)
    return app


def measure(app, rounds: int) -> dict:
    """Alternate submits for an existing and a new CPR number; milliseconds per kind."""
    existing = _new_cpr(9999)
    times = {"existing": [], "new": []}
    with app.test_client() as client:  # the existing user: registered, then confirmed
        assert client.post("/portal/aarhus/opret", data=_form(existing, 0)).status_code == 303
    with app.app_context():
        from app.core.clock import utcnow
        from app.core.db import get_session
        from app.models import PortalUser

        db = get_session()
        for user in db.exec(select(PortalUser)):
            user.activated_at = user.mitid_verified_at = utcnow()
        db.commit()
    for n in range(1, rounds + 1):
        for kind, cpr in (("existing", existing), ("new", _new_cpr(n))):
            client = app.test_client()
            started = time.perf_counter()
            answer = client.post("/portal/aarhus/opret", data=_form(cpr, n))
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 303, answer.status_code
            if n > 3:  # warm-up
                times[kind].append(elapsed)
    return {kind: {"median_ms": statistics.median(values),
                   "p90_ms": statistics.quantiles(values, n=10)[-1], "n": len(values)}
            for kind, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        result = measure(_app(url), args.rounds)
    print("| CPR number | median ms | p90 ms | n |\n| --- | ---: | ---: | ---: |")
    for kind, row in result.items():
        print(f"| {kind} | {row['median_ms']:.1f} | {row['p90_ms']:.1f} | {row['n']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
