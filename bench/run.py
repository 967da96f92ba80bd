"""`make bench`: the app under gunicorn on loopback, measured against its targets in one run.

    python -m bench.run [--quick] [--rounds N] [--only PART[,PART...]]

PART is one of search, pages, post, login, sso, morning (default: all). A partial run prints the
rows it measured and is meant for working on one target; bench/README.md's table comes from a
whole run.

Prints one table (Markdown), each target met or missed, and writes it with the raw figures to
bench/results/. The references are measured in the same run on the same cores: the peer
(Flask-Security-Too, bench/peer.py), the raw argon2id verify loop and, for the OpenID Provider,
panva's oidc-provider (bench/sso.py). Every loop is bounded, every process it starts is stopped
again, and everything talks to 127.0.0.1 only. Needs PostgreSQL
(BENCH_DATABASE_URL, default database klinikadgang_bench on 127.0.0.1:5432, made and filled on the
first run) and Redis (BENCH_REDIS_URL, default 127.0.0.1:6379/0, keys under a per-run prefix that
is deleted at the end). Benchmarks never assert on time: targets are reported as met or missed.
"""

import argparse
import gzip
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.request import urlopen

from bench import data, morning, peer, sso, stack

RESULTS = stack.ROOT / "bench" / "results"
DEFAULT_DB = stack.DEFAULT_POSTGRES + "klinikadgang_bench"
PEER_DB = stack.DEFAULT_POSTGRES + "klinikadgang_bench_peer"
PAGE_TOTAL, PAGE_WARMUP = 2000, 200
LOGIN_TOTAL, LOGIN_WARMUP = 240, 16
POST_TOTAL, POST_WARMUP = 400, 40
SEARCH_ROUNDS = 12  # sequential passes over the search mix per clinic size
# Neighbouring runs of ours and the reference, this often: the ratio of neighbours is what other
# load on a shared machine disturbs least, and the median of an odd count is one of them.
ROUNDS = 5
PARTS = ("search", "pages", "post", "login", "sso", "morning")
# The parts measured on the bench database (1,010,000 patients), with the figures of every run
# of them (statements per request, the first page, the fragments); sso and morning have their own.
MAIN_PARTS = {"search", "pages", "post", "login"}
VERIFY_PER_PROCESS = 60
LOGIN_TARGET = 0.75  # the password login's rate, as a share of the raw verify rate
PEER_TARGET = 1.0  # our login page and login, as a share of the peer's
SEARCH_P95_MS, SEARCH_GROWTH = 25, 2  # at 1,000,000 patients; growth against 10,000
FIRST_PAGE_GZIP, FRAGMENT_BYTES = 60 * 1024, 4 * 1024
MORNING_SECONDS = 60  # also with --quick: the target is a sustained minute


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the machine ----------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version()}


# --- raw argon2id ---------------------------------------------------------------------------

def _verify_many(args) -> int:
    stored, password, count = args
    from app.security import password_hasher

    for _ in range(count):
        password_hasher.verify(stored, password)
    return count


def raw_verify_rate(processes: int) -> dict:
    """argon2id verifies per second with one process per core (the OWASP parameters of the app)."""
    from app.security import password_hasher

    stored = password_hasher.hash(data.WIZARD_PASSWORD)
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_verify_many, [(stored, data.WIZARD_PASSWORD, 2)] * processes))  # warm
        started = time.perf_counter()
        done = sum(pool.map(_verify_many,
                            [(stored, data.WIZARD_PASSWORD, VERIFY_PER_PROCESS)] * processes))
        elapsed = time.perf_counter() - started
    params = password_hasher
    return {"rate": done / elapsed, "n": done, "elapsed": elapsed, "processes": processes,
            "memory_kib": params.memory_cost, "time_cost": params.time_cost,
            "parallelism": params.parallelism}


# --- load -----------------------------------------------------------------------------------

def load(server: stack.Gunicorn, requests: list[dict], *, total: int, warmup: int,
         concurrency: int, xff_base: int | None = None, timeout: float = 300) -> dict:
    """Run the load generator as a second process against one server; add the server's CPU."""
    job = {"port": server.port, "requests": requests, "total": total, "warmup": warmup,
           "concurrency": concurrency, "timeout": timeout}
    if xff_base is not None:
        job.update(xff=True, xff_base=xff_base)
    with tempfile.TemporaryDirectory() as tmp:
        job_path, out_path = Path(tmp, "job.json"), Path(tmp, "out.json")
        job_path.write_text(json.dumps(job))
        cpu_before = server.cpu_seconds()
        subprocess.run([sys.executable, "-m", "bench.loadgen", str(job_path), str(out_path)],  # noqa: S603
                       cwd=stack.ROOT, check=True, timeout=timeout + 30)
        cpu = server.cpu_seconds() - cpu_before
        result = json.loads(out_path.read_text())
    # Includes the warm-up's share; the warm-up is small next to the measured requests.
    result["server_cpu_ms"] = cpu * 1000 / max(1, result["n"] + warmup)
    return result


# --- fixtures made with the in-process app (same database, same keys) -------------------------

class Fixtures:
    """Cookies, CSRF tokens and rows the benchmark requests need, made through the app itself."""

    def __init__(self, app, mailbox):
        self.app = app
        self.mailbox = mailbox

    def _cookie(self, client) -> str:
        cookie = client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        return f"{cookie.key}={cookie.value}" if cookie else ""

    def login_form(self) -> tuple[str, str]:
        """A session cookie and the CSRF token of the login page's form."""
        client = self.app.test_client()
        html = client.get("/login").get_data(as_text=True)
        return self._cookie(client), _csrf(html)

    def onboarding_rows(self, count: int, step: str, tag: str) -> list[tuple[str, str, int]]:
        """`count` onboardings at a step, each with its own cookie and CSRF token."""
        from sqlmodel import select

        from app.core.db import get_session
        from app.models import Onboarding, StaffUser

        rows = []
        with self.app.app_context():
            db = get_session()
            users = db.exec(select(StaffUser).where(StaffUser.legacy_user_id.like("bench.w%"))
                            .order_by(StaffUser.legacy_user_id)).all()
            for i in range(count):
                row = Onboarding(sub=f"bench-{tag}-{i}-{secrets.token_hex(4)}", idp="mitid",
                                 identity_type="private", name=f"Bench {i}", step=step,
                                 staff_user_id=users[i % len(users)].id if step != "link" else None)
                db.add(row)
                db.flush()
                rows.append(row.id)
            db.commit()
        out = []
        for row_id in rows:
            client = self.app.test_client()
            with client.session_transaction() as sess:
                sess["onboarding"] = {"id": row_id, "step": step}
            html = client.get(f"/onboarding/{step}").get_data(as_text=True)
            out.append((self._cookie(client), _csrf(html), row_id))
        return out

    def staff_session(self, clinic_key: str) -> str:
        """A logged-in session of the search user at a clinic (secretary)."""
        from sqlmodel import select

        from app.blueprints.auth.sessions import USER_ID_KEY
        from app.core.clock import utcnow
        from app.core.db import get_session
        from app.models import Clinic, LoginSession, StaffUser
        from app.security import new_token, token_hash

        token = new_token()
        with self.app.app_context():
            db = get_session()
            user = db.exec(select(StaffUser).where(
                StaffUser.legacy_user_id == data.SEARCH_USER)).one()
            clinic = db.exec(select(Clinic).where(Clinic.key == clinic_key)).one()
            now = utcnow()
            db.add(LoginSession(token_hash=token_hash(token), staff_user_id=user.id,
                                method="mitid", clinic_id=clinic.id, function="secretary",
                                created_at=now, last_seen_at=now,
                                expires_at=now + timedelta(hours=8)))
            db.commit()
        client = self.app.test_client()
        with client.session_transaction() as sess:
            sess[USER_ID_KEY] = token
            sess["_fresh"] = True
        return self._cookie(client)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)


def _form(fields: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX = {"HX-Request": "true"}


def login_requests(cookie: str, csrf: str) -> list[dict]:
    """The measured password login: the external user, who keeps user ID + password."""
    return [{"method": "POST", "path": "/login/password", "headers": {"Cookie": cookie, **FORM},
             "body": _form({"csrf_token": csrf, "user_id": "bente.ext",
                            "password": "Bogholder2024"})}]


# --- SQL statements per request -------------------------------------------------------------

class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *_args):
        self.count += 1

    def measure(self, call):
        self.count = 0
        response = call()
        return self.count, response

    def close(self):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._hit)


def count_queries(fx: Fixtures, clinic_keys: dict) -> tuple[dict, dict]:
    """Statements per request of each measured page and of every wizard step (GET and POST)."""
    app = fx.app
    counter = StatementCounter(app.extensions["db_engine"])
    counts, sizes = {}, {}
    try:
        client = app.test_client()
        client.get("/login")
        counts["staff login page GET /login"] = counter.measure(lambda: client.get("/login"))[0]
        client.get("/portal/aarhus")
        counts["portal front page GET /portal/aarhus"] = counter.measure(
            lambda: client.get("/portal/aarhus"))[0]

        # One onboarding walked through every step, as plain pages and as htmx fragments.
        cookie, csrf, _row = fx.onboarding_rows(1, "link", "count")[0]
        wiz = app.test_client()
        wiz.set_cookie(*cookie.split("=", 1))
        from sqlmodel import select

        from app.core.db import get_session
        from app.models import StaffUser

        with app.app_context():
            user = get_session().exec(select(StaffUser).where(
                StaffUser.legacy_user_id.like("bench.w%")).order_by(StaffUser.id.desc())).first()
            legacy_id = user.legacy_user_id
        email = f"bench-count-{secrets.token_hex(3)}@example.dk"
        steps = [
            ("link", {"user_id": legacy_id, "password": data.WIZARD_PASSWORD}),
            ("contact", {"email": email, "mobile": "20 12 34 56"}),
            ("verify", None),
            ("consent", {}),
        ]
        for step, fields in steps:
            wiz.get(f"/onboarding/{step}")
            n, page = counter.measure(lambda step=step: wiz.get(f"/onboarding/{step}"))
            counts[f"wizard {step} GET"] = n
            n, fragment = counter.measure(lambda step=step: wiz.get(
                f"/onboarding/{step}", headers=HTMX))
            counts[f"wizard {step} GET (htmx)"] = n
            sizes[f"wizard {step} GET fragment"] = len(fragment.get_data())
            token = _csrf(page.get_data(as_text=True))
            if fields is None:  # the code from the mail
                mail = fx.mailbox.wait_for(email)
                fields = {"code": re.search(r"\b(\d{6})\b", mail).group(1)}
            n, answer = counter.measure(lambda step=step, fields=fields, token=token: wiz.post(
                f"/onboarding/{step}", data={"csrf_token": token, **fields}, headers=HTMX))
            counts[f"wizard {step} POST (htmx)"] = n
            if step != "consent":
                sizes[f"wizard {step} POST fragment"] = len(answer.get_data())
            if answer.status_code not in (200, 303):
                raise RuntimeError(f"wizard {step} POST answered {answer.status_code}")

        # The list page: one match, none, a full page, at both clinic sizes.
        for number, key in enumerate(clinic_keys, start=1):
            search = app.test_client()
            search.set_cookie(*fx.staff_session(key).split("=", 1))
            search.get("/clinic/patients/?q=warm")
            for hits, query in [("1 hit", data.sample_cpr(number, 7)), ("0 hits", "xylofon"),
                                ("a full page", "jensen")]:
                counts[f"patient search ({key}, {hits})"] = counter.measure(
                    lambda search=search, query=query: search.get(
                        f"/clinic/patients/?q={query}",
                        headers={**HTMX, "HX-Target": "patient-results"}))[0]

        cookie, csrf = fx.login_form()
        login = app.test_client()
        login.set_cookie(*cookie.split("=", 1))
        n, answer = counter.measure(lambda: login.post("/login/password", data={
            "csrf_token": csrf, "user_id": "bente.ext", "password": "Bogholder2024"}))
        counts["password login POST"] = n
        if answer.status_code != 303:
            raise RuntimeError(f"password login answered {answer.status_code}")
    finally:
        counter.close()
    return counts, sizes


# --- bytes ----------------------------------------------------------------------------------

def first_page_bytes(url: str, path: str) -> dict:
    """The HTML of a full page and every stylesheet and script it links, raw and gzipped."""
    with urlopen(url + path, timeout=10) as answer:  # noqa: S310 (loopback URL we started)
        html = answer.read()
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(
        rb'<script src="([^"]+)"', html)
    parts = {path: html}
    for asset in assets:
        with urlopen(url + asset.decode(), timeout=10) as answer:  # noqa: S310
            parts[asset.decode()] = answer.read()
    return {"raw": sum(len(v) for v in parts.values()),
            "gzip": sum(len(gzip.compress(v, 6)) for v in parts.values()),
            "parts": {k: [len(v), len(gzip.compress(v, 6))] for k, v in parts.items()}}


# --- mail -----------------------------------------------------------------------------------

class Mailbox:
    """SMTP sink of the run: counts messages and keeps the newest one per recipient.

    It stands in for the mail relay, which in production runs elsewhere: it keeps the raw bytes
    and parses a message only when the run reads its code, so that it takes as little as it can
    of the two cores the app is measured on.
    """

    def __init__(self):
        self.count = 0
        self.latest = {}
        self._cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self._cond:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.latest[rcpt.lower()] = envelope
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, address: str, timeout: float = 10) -> str:
        from app.blueprints.dev.mail import parse_message

        with self._cond:
            self._cond.wait_for(lambda: address.lower() in self.latest, timeout)
            envelope = self.latest[address.lower()]
        return parse_message(envelope.original_content, time.time(), envelope.mail_from,
                             envelope.rcpt_tos).text


# --- the run --------------------------------------------------------------------------------

SEARCH_MIX = [
    # (label, query): what front-desk staff type; the list is run in order, SEARCH_ROUNDS times.
    ("full CPR", "cpr"),
    ("full name", "anne jensen"),
    ("full name", "mikkel nielsen"),
    ("last name", "jensen"),
    ("last name", "hansen"),
    ("last name + first name start", "pedersen ma"),
    ("first name + last name start", "søren chr"),
    ("rare last name", "uhrenholt"),
    ("first name", "mette"),
    ("name start", "han"),
    ("no match", "xylofon"),
    ("empty (first page)", ""),
    ("page 2 of a last name", "larsen&page=2"),
]


def search_requests(cookie: str, cpr_number: str) -> list[dict]:
    from urllib.parse import quote

    out = []
    for _label, query in SEARCH_MIX:
        q = cpr_number if query == "cpr" else query
        if "&" in q:
            words, extra = q.split("&", 1)
            path = f"/clinic/patients/?q={quote(words)}&{extra}"
        else:
            path = f"/clinic/patients/?q={quote(q)}"
        out.append({"method": "GET", "path": path, "headers": {
            "Cookie": cookie, **HTMX, "HX-Target": "patient-results"}})
    return out


def side_by_side(label: str, ours, theirs, *, rounds: int) -> list[dict]:
    """The peer's load, then ours, `rounds` times: each round's rates and their ratio."""
    log(f"  {label}, next to the peer")
    out = []
    for _round in range(rounds):
        peer_result = theirs()
        our_result = ours()
        out.append({"ours": our_result, "peer": peer_result,
                    "ratio": our_result["rps"] / peer_result["rps"]})
    return out


def run(args) -> dict:
    from sqlalchemy import text

    from app import create_app
    from app.blueprints.dev.mail import start_smtp_sink

    nproc = os.cpu_count() or 1
    workers = int(os.environ.get("BENCH_WORKERS", nproc))
    threads = int(os.environ.get("BENCH_THREADS", 4))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", workers * threads))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    peer_url = os.environ.get("BENCH_PEER_DATABASE_URL", PEER_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", stack.DEFAULT_REDIS)
    scale = 0.25 if args.quick else 1.0
    page_total, post_total = int(PAGE_TOTAL * scale), int(POST_TOTAL * scale)
    login_total = int(LOGIN_TOTAL * scale)
    if not stack.postgres_reachable(database_url):
        raise SystemExit(f"PostgreSQL is not reachable at {database_url}")
    if not stack.redis_reachable(redis_url):
        raise SystemExit(f"Redis is not reachable at {redis_url}")
    prefix = f"klinikadgang-bench-{secrets.token_hex(4)}"
    results = {"machine": machine(), "config": {
        "workers": workers, "threads": threads, "concurrency": concurrency, "rounds": args.rounds,
        "quick": args.quick, "parts": sorted(args.only),
        "database": stack.database_name(database_url)}, "started": datetime.now(UTC).isoformat()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    server_log = RESULTS / "gunicorn.log"
    server_log.write_bytes(b"")
    results["loadavg_start"] = os.getloadavg()

    if MAIN_PARTS & args.only:
        log("Preparing the bench database (the first run loads 1,010,000 patients) ...")
        prepared = data.prepare(database_url, log=log, wizard_users=50)
        mailbox = Mailbox()
        sink = start_smtp_sink(mailbox, port=stack.free_port())
        app = create_app(data.app_config(database_url, mail_port=sink.port))
        engine = app.extensions["db_engine"]
        # What earlier runs left: onboardings, codes, sessions, audit.
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE email_code, onboarding, login_session, audit_event"))
            conn.execute(text("DELETE FROM mitid_link WHERE sub LIKE 'bench-%'"))
        fx = Fixtures(app, mailbox)
        servers = []
        try:
            log("Queries per request and fragment sizes (in-process) ...")
            results["queries"], results["fragments"] = count_queries(fx, prepared["clinics"])

            env = stack.app_environment(database_url=database_url, redis_url=redis_url,
                                        mail_port=sink.port, key_prefix=prefix, TRUSTED_PROXIES=1)
            server = stack.Gunicorn("wsgi:app", env, workers=workers, threads=threads,
                                    log_path=server_log).start()
            servers.append(server)
            log(f"  app at {server.url}; {workers} workers x {threads} threads")
            results["first_page"] = first_page_bytes(server.url, "/login")
            # The search is sequential and latency-bound: measured first, before the loads below
            # leave background work (autovacuum of the written rows) on the shared cores.
            results["search"] = {}
            xff = 1  # every request of the run has an X-Forwarded-For address of its own
            for key in prepared["clinics"] if "search" in args.only else ():
                log(f"  patient search, {key} (sequential)")
                cookie = fx.staff_session(key)
                number = data.sample_cpr(list(prepared["clinics"]).index(key) + 1, 7)
                mix = search_requests(cookie, number)
                results["search"][key] = load(server, mix, total=len(mix) * SEARCH_ROUNDS,
                                              warmup=len(mix), concurrency=1, xff_base=xff)
                xff += len(mix) * (SEARCH_ROUNDS + 1)

            theirs = None
            if {"pages", "login"} & args.only:
                # The same gunicorn settings as gunicorn.conf.py gives ours (workers, threads,
                # keep-alive, time-out, the stock gthread worker).
                theirs = peer.server(database_url=peer_url, workers=workers, threads=threads,
                                     log_path=server_log).start()
                servers.append(theirs)
                peer_cookie, peer_csrf = peer.login_cookie_and_csrf(theirs.url)

            def measure(target, requests, total, warmup):
                nonlocal xff
                result = load(target, requests, total=total, warmup=warmup, concurrency=concurrency,
                              xff_base=xff)
                xff += total + warmup
                return result

            results["pages"] = {}
            if "pages" in args.only:
                page = [{"method": "GET", "path": "/login"}]
                results["login_page"] = side_by_side(
                    "staff login page GET /login",
                    lambda: measure(server, page, page_total, PAGE_WARMUP),
                    lambda: measure(theirs, page, page_total, PAGE_WARMUP), rounds=args.rounds)
                step_cookie = {"Cookie": fx.onboarding_rows(1, "contact", "get")[0][0]}
                for label, request in [
                    ("wizard step GET /onboarding/contact",
                     {"method": "GET", "path": "/onboarding/contact", "headers": step_cookie}),
                    ("portal front page GET /portal/aarhus",
                     {"method": "GET", "path": "/portal/aarhus"}),
                ]:
                    log(f"  {label}")
                    results["pages"][label] = measure(server, [request], page_total, PAGE_WARMUP)

            if "post" in args.only:
                # Each POST moves its onboarding to the next step: every request has a row of
                # its own.
                label = "wizard step POST /onboarding/contact (htmx)"
                log(f"  {label}")
                posts = [{"method": "POST", "path": "/onboarding/contact",
                          "headers": {"Cookie": cookie, **FORM, **HTMX},
                          "body": _form({"csrf_token": csrf, "email": f"bench-{row_id}@example.dk",
                                         "mobile": "20 12 34 56"})}
                         for cookie, csrf, row_id in fx.onboarding_rows(
                             post_total + POST_WARMUP, "contact", "post")]
                mails_before = mailbox.count
                results["pages"][label] = measure(server, posts, post_total, POST_WARMUP)
                results["post_mails"] = mailbox.count - mails_before

            if "login" in args.only:
                log("  password login, next to the peer's, between two raw argon2id verify runs")
                ours = login_requests(*fx.login_form())
                peer_login = [{"method": "POST", "path": "/login",
                               "headers": {"Cookie": peer_cookie, **FORM},
                               "body": _form(peer.login_form(peer_csrf))}]
                rounds = []
                for _round in range(args.rounds):
                    before = raw_verify_rate(nproc)
                    peer_result = measure(theirs, peer_login, login_total, LOGIN_WARMUP)
                    our_result = measure(server, ours, login_total, LOGIN_WARMUP)
                    after = raw_verify_rate(nproc)
                    verify = dict(after, rate=(before["rate"] + after["rate"]) / 2,
                                  rates=[before["rate"], after["rate"]])
                    rounds.append({"ours": our_result, "peer": peer_result, "verify": verify,
                                   "ratio": our_result["rps"] / peer_result["rps"],
                                   "of_verify": our_result["rps"] / verify["rate"]})
                results["login"] = rounds

            results["rss_kib"] = server.worker_rss_kib()
            if theirs is not None:
                results["peer_rss_kib"] = theirs.worker_rss_kib()
        finally:
            for running in servers:
                running.stop()
            sink.stop()
            engine.dispose()
            stack.delete_redis_prefix(redis_url, prefix)

    if "sso" in args.only:
        # Its own database, our app and the peer OP; before the morning, which runs alone.
        log("  single sign-on and refresh grants, next to panva's oidc-provider")
        results["sso"] = sso.run(quick=args.quick, rounds=args.rounds, concurrency=concurrency)

    if "morning" in args.only:
        # Alone on the machine, as the target says: one instance, the simulator beside it.
        log("  a morning: staff MitID logins and patient security-code logins")
        results["morning"] = morning.run(SimpleNamespace(
            seconds=MORNING_SECONDS, staff_rate=morning.STAFF_RATE_GOAL, patient_rate=10,
            threads=96))
    results["loadavg_end"] = os.getloadavg()
    results["finished"] = datetime.now(UTC).isoformat()
    return results


# --- the table ------------------------------------------------------------------------------

def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _rate(measured: dict) -> str:
    return (f"{measured['rps']:.0f}/s (p50 {measured['p50']:.1f} ms, server CPU "
            f"{measured['server_cpu_ms']:.2f} ms/req)")


def _median_of(rounds: list[dict], key: str) -> dict:
    """The round with the median `key` ratio, and every round's ratio as text."""
    chosen = sorted(rounds, key=lambda r: r[key])[len(rounds) // 2]
    return dict(chosen, rounds="rounds: " + ", ".join(f"{r[key]:.2f}" for r in rounds))


def target_rows(r: dict) -> list[str]:
    """One row per target measured in this run."""
    rows = []
    if r.get("login_page"):
        m = _median_of(r["login_page"], "ratio")
        rows.append(f"| staff login page GET /login, next to the peer's GET /login | "
                    f"{_rate(m['ours'])} | {_rate(m['peer'])} | {m['ratio']:.2f} ({m['rounds']}) | "
                    f">= {PEER_TARGET} | {_ok(m['ratio'] >= PEER_TARGET)} |")
    if r.get("login"):
        m = _median_of(r["login"], "ratio")
        rows.append(f"| password login POST /login/password, next to the peer's POST /login | "
                    f"{_rate(m['ours'])} | {_rate(m['peer'])} | {m['ratio']:.2f} ({m['rounds']}) "
                    f"| >= {PEER_TARGET} | {_ok(m['ratio'] >= PEER_TARGET)} |")
        m = _median_of(r["login"], "of_verify")
        v = m["verify"]
        rows.append(
            f"| password login, next to the raw argon2id verify (m={v['memory_kib'] // 1024} MiB, "
            f"t={v['time_cost']}, p={v['parallelism']}) | {m['ours']['rps']:.1f}/s | "
            f"{v['rate']:.1f}/s ({v['processes']} processes; mean of {v['rates'][0]:.1f} before "
            f"and {v['rates'][1]:.1f} after) | {m['of_verify']:.2f} ({m['rounds']}) | "
            f">= {LOGIN_TARGET} | {_ok(m['of_verify'] >= LOGIN_TARGET)} |")
    if r.get("morning"):
        mo = r["morning"]
        done = mo["completed_per_s"]
        rows.append(
            f"| a morning, {mo['seconds']:.0f} s: staff MitID logins ({mo['offered']['staff']:.0f}/s "
            f"offered) and patient security-code logins ({mo['offered']['patient']:.0f}/s) | "
            f"staff {done['staff']:.1f}/s, patients {done['patient']:.1f}/s; p95 "
            f"{mo['p95_all_ms']:.0f} ms per request; failed: {mo['failed'] or 'none'} | | | "
            f">= {morning.STAFF_RATE_GOAL:.0f} staff/s at p95 <= {morning.P95_GOAL_MS:.0f} ms, "
            f"no error | {_ok(morning.met(mo))} |")
    if r.get("sso"):
        rows += sso.target_rows(r["sso"])
    if "queries" not in r:  # only sso and the morning: the bench database's rows were not run
        return rows
    s10, s1m = r["search"].get("bench-10k"), r["search"].get("bench-1m")
    if s10 and s1m:
        growth = s1m["p95"] / s10["p95"]
        ok = s1m["p95"] <= SEARCH_P95_MS and growth <= SEARCH_GROWTH
        rows.append(f"| patient search p95 (p50), 1,000,000 patients | {s1m['p95']:.1f} ms "
                    f"({s1m['p50']:.1f}) | 10,000 patients: {s10['p95']:.1f} ms ({s10['p50']:.1f}) "
                    f"| {growth:.2f} | <= {SEARCH_P95_MS} ms and <= {SEARCH_GROWTH}x | {_ok(ok)} |")
    listed = {k: n for k, n in r["queries"].items() if k.startswith("patient search")}
    rows.append("| SQL statements per request of a list page (the patient search) | " + ", ".join(
        f"{k.removeprefix('patient search ')}: {n}" for k, n in listed.items()) +
        f" | | | the same for every list size | {_ok(len(set(listed.values())) == 1)} |")
    fp = r["first_page"]
    rows.append(f"| first full page (GET /login + CSS + JS), gzipped | {fp['gzip'] / 1024:.1f} KB "
                f"({fp['raw'] / 1024:.0f} KB raw) | | | <= {FIRST_PAGE_GZIP // 1024} KB | "
                f"{_ok(fp['gzip'] <= FIRST_PAGE_GZIP)} |")
    frag = r["fragments"]
    rows.append("| step fragments (htmx), bytes | " + ", ".join(
        f"{k.removeprefix('wizard ')}: {n}" for k, n in frag.items()) +
        f" | | | <= {FRAGMENT_BYTES // 1024} KB | {_ok(max(frag.values()) <= FRAGMENT_BYTES)} |")
    return rows


def table(r: dict) -> str:
    m, cfg = r["machine"], r["config"]
    lines = [
        f"Measured {r['started'][:16].replace('T', ' ')} UTC on {m['nproc']} cores ({m['cpu']}), "
        f"{m['ram_gib']} GiB RAM, Python {m['python']}; gunicorn {cfg['workers']} workers x "
        f"{cfg['threads']} threads, load generator: 1 process, {cfg['concurrency']} connections; "
        f"parts: {', '.join(cfg['parts'])}{' (--quick)' if cfg.get('quick') else ''}; each ratio "
        f"is the median of {cfg['rounds']} rounds of neighbouring runs. Load average at start / "
        f"end: {r['loadavg_start'][0]:.1f} / {r['loadavg_end'][0]:.1f} (the machine is shared).",
        "",
        "| target | ours | reference (same run) | ratio | target | |",
        "|---|---|---|---|---|---|",
        *target_rows(r),
        "",
        "Also measured (no target):",
        "",
    ]
    if r.get("sso"):
        lines += sso.notes(r["sso"])
    if "queries" not in r:
        if r.get("morning"):
            lines += ["", "The morning, p95 per request:", "", morning.table(r["morning"])]
        return "\n".join(lines)
    lines += [f"- {label}: {_rate(page)}, statuses {page['statuses']}"
              for label, page in r["pages"].items()]
    if "post_mails" in r:
        lines.append(f"- wizard POSTs mailed codes: {r['post_mails']}")
    wizard = {k: n for k, n in r["queries"].items() if k.startswith("wizard")}
    lines.append("- SQL statements per request, wizard steps: " + ", ".join(
        f"{k.removeprefix('wizard ')}: {n}" for k, n in wizard.items()))
    lines.append("- SQL statements per request, other pages: " + ", ".join(
        f"{k}: {n}" for k, n in r["queries"].items()
        if not k.startswith(("wizard", "patient search"))))
    rss = ", ".join(f"{k / 1024:.0f} MB" for k in r["rss_kib"])
    peer_rss = ", ".join(f"{k / 1024:.0f} MB" for k in r.get("peer_rss_kib", []))
    lines.append(f"- RSS per worker: ours {rss}" + (f"; the peer's {peer_rss}" if peer_rss else ""))
    statuses = {}
    for name in ("login_page", "login"):
        for n, rnd in enumerate(r.get(name) or []):
            statuses[f"{name} round {n + 1}"] = f"ours {rnd['ours']['statuses']}, " \
                                                f"peer {rnd['peer']['statuses']}"
    statuses.update({f"search {k}": v["statuses"] for k, v in r["search"].items()})
    if statuses:
        lines.append("- HTTP statuses: " + "; ".join(f"{k}: {v}" for k, v in statuses.items()))
    if r.get("morning"):
        lines += ["", "The morning, p95 per request:", "", morning.table(r["morning"])]
    s10, s1m = r["search"].get("bench-10k"), r["search"].get("bench-1m")
    if s10 and s1m:
        lines += ["", "Search mix (run in order, sequentially, "
                  f"{SEARCH_ROUNDS} rounds per size), median / slowest ms at 10,000 and 1,000,000:",
                  ""]
        for i, (label, query) in enumerate(SEARCH_MIX):
            a, b = s10["templates"][str(i)], s1m["templates"][str(i)]
            lines.append(f"- {label} `{query or '(empty)'}`: {a['p50']:.1f} / {a['max']:.1f} and "
                         f"{b['p50']:.1f} / {b['max']:.1f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the request counts (the morning keeps its minute)")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="neighbouring runs per side-by-side measure (odd: the median)")
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=set(PARTS),
                        help="comma-separated parts to measure: " + ", ".join(PARTS))
    args = parser.parse_args()
    if not args.only <= set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    results = run(args)
    text_table = table(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2))
    (RESULTS / f"bench-{stamp}.md").write_text(text_table + "\n")
    if args.only == set(PARTS):
        (RESULTS / "latest.md").write_text(text_table + "\n")
    print(text_table)
    log(f"\nRaw figures: bench/results/bench-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
