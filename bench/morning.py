"""A morning at 8:00: staff MitID logins and patient security-code logins against one instance.

    python -m bench.morning [--seconds 60] [--staff-rate 45] [--patient-rate 10]

One production-mode instance (gunicorn, PostgreSQL, Redis) on this machine, the MitID simulator
beside it in a process of its own, and an SMTP sink. Logins arrive at fixed rates (open loop: one
starts every 1/rate seconds whether or not the earlier ones have finished, as people arrive at
8:00); each is walked as a browser would, one request at a time, from an address of its own.
Prints the logins completed per second of each kind and the p95 of each request; the goal is the
staff rate sustained at a p95 of at most 300 ms per request, with no error. Loopback only; the
run is bounded by --seconds and every process it starts is stopped again.
"""

import argparse
import itertools
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from bench import stack

STAFF_RATE_GOAL = 45.0  # staff MitID logins per second: three times a national 8:00 peak
P95_GOAL_MS = 300.0
STAFF = 300  # staff identities, logging in again and again; patients log in once each (< 3,360)
PATIENT_PASSWORD = "Morgenkaffe2026"  # noqa: S105 (fictitious bench identities)
CLINIC = "aarhus"
HIDDEN = re.compile(r'name="(request_id|csrf_token)"[^>]*value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")


def staff_cpr(i: int) -> str:
    return f"{1 + i % 28:02d}{1 + (i // 28) % 12:02d}6{i // 336}-{3000 + i:04d}"


def patient_cpr(i: int) -> str:
    return f"{1 + i % 28:02d}{1 + (i // 28) % 12:02d}5{(i // 336) % 10}-4{i % 1000:03d}"


# --- the simulator in a process of its own ----------------------------------------------------

def simulator_main(port: int, app_url: str) -> None:
    """Serve the MitID simulator for one app instance until killed."""
    from app.simulator import create_simulator_app, serve_simulator

    clients = [
        {"client_id": "klinikadgang-staff", "client_secret": "dev-staff-secret",
         "redirect_uris": [app_url + "/auth/mitid/callback"], "scope": "openid mitid ssn nemlogin"},
        {"client_id": "klinikadgang-citizen", "client_secret": "dev-citizen-secret",
         "redirect_uris": [app_url + "/portal/mitid/callback"], "scope": "openid mitid ssn"},
    ]
    serve_simulator(create_simulator_app({"SIMULATOR_CLIENTS": clients}), port=port)
    threading.Event().wait()


def start_simulator(app_url: str) -> tuple[subprocess.Popen, str]:
    port = stack.free_port()
    process = subprocess.Popen(  # noqa: S603 (this module, fixed arguments)
        [sys.executable, "-m", "bench.morning", "simulator", str(port), app_url], cwd=stack.ROOT,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    stack.wait_for_port(port, 30, process)
    return process, f"http://{stack.LOOPBACK}:{port}"


# --- the people of the morning ----------------------------------------------------------------

def prepare(database_url: str, simulator_url: str, *, patients: int) -> None:
    """A fresh database with the demo clinics, onboarded staff and activated portal users."""
    from sqlmodel import select

    from app import consent, cpr, create_app
    from app.blueprints.dev.demo import load_personas, seed_demo_data
    from app.core.clock import utcnow
    from app.core.db import get_session
    from app.core.migrate import upgrade
    from app.models import Clinic, PatientRecord, PortalUser
    from app.security import cpr_index, encrypt_cpr, hash_password
    from app.simulator import subject_for
    from app.simulator.cli import post_identity
    from bench.data import app_config

    stack.create_database(database_url, fresh=True)
    upgrade(database_url)
    personas = load_personas()
    personas["staff"] = [{
        "mitid_user_id": f"morgen.b{i:03d}", "name": f"Morgen Behandler {i}",
        "legacy_user_id": f"morgen{i:03d}", "legacy_password": "Morgen2024", "onboarded": True,
        "memberships": [{"clinic": CLINIC, "functions": ["behandler"]}]} for i in range(STAFF)]
    for i in range(STAFF):
        post_identity(simulator_url, {"mitid_user_id": f"morgen.b{i:03d}",
                                      "name": f"Morgen Behandler {i}",
                                      "cpr": staff_cpr(i)}).raise_for_status()
    app = create_app(app_config(database_url))
    with app.app_context():
        seed_demo_data(personas, subject_for=subject_for, patients_per_clinic=0)
        db = get_session()
        clinic_id = db.exec(select(Clinic.id).where(Clinic.key == CLINIC)).one()
        shared_hash = hash_password(PATIENT_PASSWORD)  # one hash for all: only checks are timed
        now = utcnow()
        for i in range(patients):
            number, email = patient_cpr(i), patient_email(i)
            user = PortalUser(cpr_encrypted=encrypt_cpr(number), cpr_index=cpr_index(number),
                              birth_date=cpr.birth_date(number), first_name="Morgen",
                              last_name=f"Patient{i}", email=email, mobile="20000003",
                              password_hash=shared_hash, created_by="self", activated_at=now,
                              mitid_verified_at=now)
            db.add(user)
            db.flush()
            db.add(PatientRecord(clinic_id=clinic_id, cpr_encrypted=user.cpr_encrypted,
                                 cpr_index=user.cpr_index, first_name="Morgen",
                                 last_name=f"Patient{i}", search_name=f"morgen patient{i}",
                                 email=email, mobile="20000003", portal_user_id=user.id))
            consent.record_portal_terms(portal_user_id=user.id, action="given",
                                        method="registration", actor="bench")
        db.commit()
    app.extensions["db_engine"].dispose()


def patient_email(i: int) -> str:
    return f"morgen.p{i}@example.dk"


# --- the walks --------------------------------------------------------------------------------

class Walk:
    """One person's browser: a cookie jar, an address of its own, and each request's timing."""

    def __init__(self, app_url: str, address: str, record):
        self.app_url = app_url
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = address  # as the load balancer passes it on
        self.record = record

    def request(self, label: str, method: str, url: str, expect: tuple[int, ...], **kwargs):
        if url.startswith("/"):
            url = self.app_url + url
        answer = self.http.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        for cookie in self.http.cookies:
            # Production's session cookie is Secure; on loopback no TLS terminator stands in
            # front, so the jar sends it over http as the browser would over https.
            cookie.secure = False
        self.record(label, answer.elapsed.total_seconds() * 1000, answer.status_code)
        if answer.status_code not in expect:
            raise WalkError(f"{label}: {answer.status_code}")
        return answer


class WalkError(Exception):
    """A request answered other than a browser walking the flow expects."""


def _hidden(html: str, name: str) -> str:
    for found, value in HIDDEN.findall(html):
        if found == name:
            return value
    raise WalkError(f"no {name} on the page")


def staff_mitid_login(walk: Walk, mitid_user_id: str) -> None:
    """NEMLOG-IN, the simulator's BRUGER-ID and Godkend, back to the app's front page."""
    start = walk.request("app: start MitID login", "GET", "/auth/mitid/login", (302,))
    authorize = start.headers["Location"]
    sim = "{0.scheme}://{0.netloc}".format(urlsplit(authorize))
    page = walk.request("simulator: authorize", "GET", authorize, (200,))
    request_id = _hidden(page.text, "request_id")
    walk.request("simulator: BRUGER-ID", "POST", sim + "/authorize/login", (200,),
                 data={"request_id": request_id, "user_id": mitid_user_id})
    back = walk.request("simulator: approve", "POST", sim + "/authorize/approve", (302, 303),
                        data={"request_id": request_id})
    landed = walk.request("app: MitID callback", "GET", back.headers["Location"], (302, 303))
    walk.request("app: front page", "GET", landed.headers["Location"], (200,))


def patient_code_login(walk: Walk, mailbox, i: int) -> None:
    """CPR-nummer + Adgangskode, the Sikkerhedskode from the e-mail, the portal's home page."""
    front = walk.request("portal: front page", "GET", f"/portal/{CLINIC}", (200,))
    sent = walk.request("portal: CPR + password", "POST", f"/portal/{CLINIC}/log-ind", (303,),
                        data={"csrf_token": _hidden(front.text, "csrf_token"),
                              "cpr": patient_cpr(i), "password": PATIENT_PASSWORD})
    page = walk.request("portal: code page", "GET", sent.headers["Location"], (200,))
    code = CODE.search(mailbox.wait_for(patient_email(i), timeout=20))
    if code is None:
        raise WalkError("no security code in the mail")
    done = walk.request("portal: security code", "POST", sent.headers["Location"], (303,),
                        data={"csrf_token": _hidden(page.text, "csrf_token"),
                              "code": code.group(1)})
    walk.request("portal: home page", "GET", done.headers["Location"], (200,))


# --- the run ----------------------------------------------------------------------------------

class Tally:
    """Timings per request label and outcomes per kind of login, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.timings = defaultdict(list)
        self.statuses = defaultdict(int)
        self.done = defaultdict(int)
        self.failed = defaultdict(list)

    def record(self, label: str, ms: float, status: int) -> None:
        with self.lock:
            self.timings[label].append(ms)
            self.statuses[status] += 1

    def outcome(self, kind: str, error: str | None) -> None:
        with self.lock:
            if error:
                self.failed[kind].append(error)
            else:
                self.done[kind] += 1


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0.0


def drive(app_url: str, mailbox, *, seconds: float, staff_rate: float, patient_rate: float,
          threads: int) -> dict:
    """Start logins at the two rates for `seconds`, wait for them, and tally what happened."""
    tally = Tally()
    addresses = (f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}" for n in itertools.count(1))
    staff_ids = itertools.cycle(range(STAFF))
    patients = itertools.count()
    lock = threading.Lock()

    def one(kind: str) -> None:
        with lock:
            walk = Walk(app_url, next(addresses), tally.record)
            who = next(staff_ids) if kind == "staff" else next(patients)
        try:
            if kind == "staff":
                staff_mitid_login(walk, f"morgen.b{who:03d}")
            else:
                patient_code_login(walk, mailbox, who)
            tally.outcome(kind, None)
        except (WalkError, requests.RequestException) as exc:
            tally.outcome(kind, f"{type(exc).__name__}: {exc}"[:200])

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        schedule = sorted([(n / staff_rate, "staff") for n in range(int(seconds * staff_rate))]
                          + [(n / patient_rate, "patient")
                             for n in range(int(seconds * patient_rate))])
        for at, kind in schedule:
            delay = started + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, kind)
        late = time.monotonic() - started - seconds
    elapsed = time.monotonic() - started
    return {
        "seconds": seconds, "elapsed": elapsed, "late_start_s": max(0.0, late),
        "offered": {"staff": staff_rate, "patient": patient_rate},
        "completed_per_s": {kind: tally.done[kind] / elapsed for kind in ("staff", "patient")},
        "done": dict(tally.done), "failed": {k: len(v) for k, v in tally.failed.items()},
        "failures": [e for v in tally.failed.values() for e in v[:3]],
        "statuses": dict(tally.statuses),
        "p95_ms": {label: p95(ms) for label, ms in sorted(tally.timings.items())},
        "p95_all_ms": p95([ms for values in tally.timings.values() for ms in values]),
        "requests": sum(len(v) for v in tally.timings.values()),
    }


def run(args) -> dict:
    """Start the stack, prepare the people, drive the morning, stop everything."""
    from app.blueprints.dev.mail import start_smtp_sink
    from bench.run import Mailbox

    database_url = os.environ.get("BENCH_MORNING_DATABASE_URL",
                                  stack.DEFAULT_POSTGRES + "klinikadgang_bench_morning")
    redis_url = os.environ.get("BENCH_REDIS_URL", stack.DEFAULT_REDIS)
    workers = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1))
    threads = int(os.environ.get("BENCH_THREADS", 4))
    prefix = f"klinikadgang-morning-{secrets.token_hex(4)}"
    mailbox = Mailbox()
    sink = start_smtp_sink(mailbox, port=stack.free_port())
    port = stack.free_port()
    app_url = f"http://{stack.LOOPBACK}:{port}"
    simulator, simulator_url = start_simulator(app_url)
    server = None
    try:
        patients = int(args.seconds * args.patient_rate) + 10
        print(f"Preparing {STAFF} staff and {patients} patients ...", file=sys.stderr)
        prepare(database_url, simulator_url, patients=patients)
        env = stack.app_environment(database_url=database_url, redis_url=redis_url,
                                    mail_port=sink.port, broker_url=simulator_url,
                                    key_prefix=prefix, TRUSTED_PROXIES=1)
        server = stack.Gunicorn("wsgi:app", env, port=port, workers=workers,
                                threads=threads).start()
        print(f"The morning: {args.staff_rate} staff and {args.patient_rate} patient logins/s "
              f"for {args.seconds} s against {app_url} ...", file=sys.stderr)
        result = drive(app_url, mailbox, seconds=args.seconds, staff_rate=args.staff_rate,
                       patient_rate=args.patient_rate, threads=args.threads)
        result["config"] = {"workers": workers, "threads": threads}
        return result
    finally:
        if server is not None:
            server.stop()
        simulator.terminate()
        simulator.wait(10)
        sink.stop()
        stack.delete_redis_prefix(redis_url, prefix)


def met(result: dict) -> bool:
    """The goal: the staff rate sustained at p95 <= 300 ms per request, with no failed login."""
    return (result["completed_per_s"]["staff"] >= STAFF_RATE_GOAL * 0.98
            and result["p95_all_ms"] <= P95_GOAL_MS and not result["failed"]
            and not any(status >= 500 for status in result["statuses"]))


def table(result: dict) -> str:
    lines = ["| request | p95 ms |", "|---|---|"]
    lines += [f"| {label} | {ms:.0f} |" for label, ms in result["p95_ms"].items()]
    lines.append(f"| all {result['requests']} requests | {result['p95_all_ms']:.0f} |")
    done = result["completed_per_s"]
    lines += ["", f"Staff MitID logins: {done['staff']:.1f}/s completed of "
              f"{result['offered']['staff']:.0f}/s offered (goal >= {STAFF_RATE_GOAL:.0f}/s at p95 "
              f"<= {P95_GOAL_MS:.0f} ms); patient security-code logins: {done['patient']:.1f}/s of "
              f"{result['offered']['patient']:.0f}/s; failed: {result['failed'] or 'none'}; "
              f"statuses: {result['statuses']}; {'met' if met(result) else 'missed'}"]
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1:2] == ["simulator"]:
        simulator_main(int(sys.argv[2]), sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--staff-rate", type=float, default=STAFF_RATE_GOAL)
    parser.add_argument("--patient-rate", type=float, default=10)
    parser.add_argument("--threads", type=int, default=96, help="walks in progress at most")
    args = parser.parse_args()
    result = run(args)
    print(table(result))
    out = stack.ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "morning.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
