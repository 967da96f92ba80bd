"""`make bench`: the app under gunicorn on loopback, measured against references in the same run.

    python -m bench.run [--quick] [--rounds N] [--only PART[,PART...]]

PART is one of search, pages, post, login (default: all). A partial run prints the rows it measured
and is meant for working on one target; the README's table comes from a whole run.

Prints one table (Markdown) and writes it with the raw figures to bench/results/. Every loop is
bounded, every process it starts is stopped again, and everything talks to 127.0.0.1 only.
Needs PostgreSQL (BENCH_DATABASE_URL, default database klinikadgang_bench on 127.0.0.1:5432, made
and filled on the first run) and Redis (BENCH_REDIS_URL, default 127.0.0.1:6379/0, keys under a
per-run prefix that is deleted at the end). Benchmarks never assert on time: the targets are
ratios, reported as met or missed.
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
from urllib.request import urlopen

from bench import data, stack

RESULTS = stack.ROOT / "bench" / "results"
DEFAULT_DB = stack.DEFAULT_POSTGRES + "klinikadgang_bench"
PAGE_TOTAL, PAGE_WARMUP = 2000, 200
LOGIN_TOTAL, LOGIN_WARMUP = 240, 16
POST_TOTAL, POST_WARMUP = 400, 40
SEARCH_ROUNDS = 12  # sequential passes over the search mix per clinic size
ROUNDS = 5  # each page and the login are measured this often next to their reference: the median
PARTS = ("search", "pages", "post", "login")
VERIFY_PER_PROCESS = 60
LOGIN_TARGET = 0.9  # the password login's rate, as a share of the raw verify rate
PAGE_TARGET = 0.5  # each page's rate, as a share of the bare page's


def median_round(rounds: list[dict]) -> dict:
    """The round with the median ratio (an odd count has one), with every round's ratio."""
    ordered = sorted(rounds, key=lambda r: r["ratio"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["ratios"] = [r["ratio"] for r in rounds]
    return chosen


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

        from app.db import get_session
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
        from app.clock import utcnow
        from app.db import get_session
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

        from app.db import get_session
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

        for key in clinic_keys:
            search = app.test_client()
            search.set_cookie(*fx.staff_session(key).split("=", 1))
            search.get("/clinic/patients/?q=warm")
            counts[f"patient search ({key})"] = counter.measure(lambda search=search: search.get(
                "/clinic/patients/?q=jensen", headers={**HTMX, "HX-Target": "patient-results"}))[0]

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
        from app.devmail import parse_message

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


def run(args) -> dict:
    from sqlalchemy import text

    from app import create_app
    from app.devmail import start_smtp_sink

    nproc = os.cpu_count() or 1
    workers = int(os.environ.get("BENCH_WORKERS", nproc))
    threads = int(os.environ.get("BENCH_THREADS", 4))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", workers * threads))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
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
        "database": stack.database_name(database_url)}, "started": datetime.now(UTC).isoformat()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    server_log = RESULTS / "gunicorn.log"
    server_log.write_bytes(b"")

    log("Preparing the bench database (the first run loads 1,010,000 patients) ...")
    prepared = data.prepare(database_url, log=log, wizard_users=50)
    mailbox = Mailbox()
    sink = start_smtp_sink(mailbox, port=stack.free_port())
    app = create_app(data.app_config(database_url, mail_port=sink.port))
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:  # what earlier runs left: onboardings, codes, sessions, audit
        conn.execute(text("TRUNCATE email_code, onboarding, login_session, audit_event"))
        conn.execute(text("DELETE FROM mitid_link WHERE sub LIKE 'bench-%'"))
    fx = Fixtures(app, mailbox)
    servers = []
    results["loadavg_start"] = os.getloadavg()
    try:
        log("Queries per request and fragment sizes (in-process) ...")
        results["queries"], results["fragments"] = count_queries(fx, prepared["clinics"])

        log("Bare Flask + Jinja reference and the app under gunicorn ...")
        bare = stack.Gunicorn("bench.bare_app:app", dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
                              workers=workers, threads=threads, log_path=server_log).start()
        servers.append(bare)
        env = stack.app_environment(database_url=database_url, redis_url=redis_url,
                                    mail_port=sink.port, key_prefix=prefix, TRUSTED_PROXIES=1)
        server = stack.Gunicorn("wsgi:app", env, workers=workers, threads=threads,
                                log_path=server_log).start()
        servers.append(server)
        floor = stack.Gunicorn("bench.floor_app:from_environment()", dict(
            os.environ, PYTHONDONTWRITEBYTECODE="1", SECRET_KEY=stack.STACK_SECRET_KEY,
            FLOOR_DATABASE_URL=database_url, FLOOR_REDIS_URL=redis_url, REDIS_URL=redis_url,
            MAIL_PORT=str(sink.port)), workers=workers, threads=threads,
            log_path=server_log).start()
        servers.append(floor)
        log(f"  app at {server.url}, references at {bare.url} (bare) and {floor.url} (floors); "
            f"{workers} workers x {threads} threads each; the idle ones use no CPU")
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

        def next_to_bare(label, requests, total, warmup, xff, floor_requests=None):
            """The page, right after the reference with the same load, `rounds` times: the ratio
            of neighbours is what other load on the machine disturbs least, and the median
            round is reported with every round's ratio. With floor_requests the floor reference
            (bench/floor_app.py) runs between the two in each round."""
            log(f"  {label}")
            rounds = []
            for n in range(args.rounds):
                reference = load(bare, [{"method": "GET", "path": "/"}], total=total,
                                 warmup=warmup, concurrency=concurrency)
                extra = {}
                if floor_requests:
                    extra["floor"] = load(floor, floor_requests, total=total, warmup=warmup,
                                          concurrency=concurrency)
                batch = requests[n * (total + warmup):(n + 1) * (total + warmup)] or requests
                measured = load(server, batch, total=total, warmup=warmup,
                                concurrency=concurrency, xff_base=xff + n * (total + warmup))
                measured.update(extra, bare=reference, ratio=measured["rps"] / reference["rps"])
                rounds.append(measured)
            return median_round(rounds)

        pages = {}
        wizard_get = fx.onboarding_rows(1, "contact", "get")[0]
        step_cookie = {"Cookie": wizard_get[0]}
        for label, request, floor_request in [] if "pages" not in args.only else [
            ("staff login page GET /login", {"method": "GET", "path": "/login"}, None),
            ("wizard step GET /onboarding/contact", {"method": "GET", "path": "/onboarding/contact",
                                                     "headers": step_cookie},
             {"method": "GET", "path": "/step", "headers": step_cookie}),
            ("portal front page GET /portal/aarhus", {"method": "GET", "path": "/portal/aarhus"},
             None),
        ]:
            pages[label] = next_to_bare(label, [request], page_total, PAGE_WARMUP, xff,
                                        floor_requests=floor_request and [floor_request])
            xff += (page_total + PAGE_WARMUP) * args.rounds

        # Each POST moves its onboarding to the next step: every round has rows of its own.
        rows = fx.onboarding_rows((post_total + POST_WARMUP) * args.rounds
                                  if "post" in args.only else 0, "contact", "post")
        posts = [{"method": "POST", "path": "/onboarding/contact",
                  "headers": {"Cookie": cookie, **FORM, **HTMX},
                  "body": _form({"csrf_token": csrf, "email": f"bench-{row_id}@example.dk",
                                 "mobile": "20 12 34 56"})}
                 for cookie, csrf, row_id in rows]
        # The floor's POST leaves its row at its step: a few rows of its own serve every round.
        floor_posts = [{"method": "POST", "path": "/step",
                        "headers": {"Cookie": cookie, **FORM, **HTMX},
                        "body": _form({"csrf_token": csrf, "email": f"floor-{row_id}@example.dk",
                                       "mobile": "20 12 34 56"})}
                       for cookie, csrf, row_id in fx.onboarding_rows(
                           4 * concurrency if posts else 0, "contact", "floor")]
        mails_before = mailbox.count
        if posts:
            pages["wizard step POST /onboarding/contact (htmx)"] = next_to_bare(
                "wizard step POST /onboarding/contact (htmx)", posts, post_total, POST_WARMUP, xff,
                floor_requests=floor_posts)
        xff += (post_total + POST_WARMUP) * args.rounds
        results["post_mails"] = mailbox.count - mails_before  # the floor's mails included
        results["pages"] = pages
        results["bare_rss_kib"] = bare.worker_rss_kib()
        bare.stop()

        log("  password login POST /login/password (argon2id), between two raw verify runs")
        cookie, csrf = fx.login_form()
        login_request = login_requests(cookie, csrf)
        floor_login = [dict(login_request[0], path="/login")]
        logins = []
        for _round in range(args.rounds if "login" in args.only else 0):
            before = raw_verify_rate(nproc)
            floor_measured = load(floor, floor_login, total=login_total, warmup=LOGIN_WARMUP,
                                  concurrency=concurrency)
            measured = load(server, login_request, total=login_total, warmup=LOGIN_WARMUP,
                            concurrency=concurrency, xff_base=xff)
            xff += login_total + LOGIN_WARMUP
            after = raw_verify_rate(nproc)
            verify = dict(after, rate=(before["rate"] + after["rate"]) / 2,
                          rates=[before["rate"], after["rate"]])
            logins.append(dict(measured, verify=verify, ratio=measured["rps"] / verify["rate"],
                               floor=floor_measured))
        if logins:
            results["login"] = median_round(logins)
            results["verify"] = results["login"]["verify"]

        results["rss_kib"] = server.worker_rss_kib()
        server.stop()
        results["loadavg_end"] = os.getloadavg()
    finally:
        for server in servers:
            server.stop()
        sink.stop()
        engine.dispose()
        stack.delete_redis_prefix(redis_url, prefix)
    results["finished"] = datetime.now(UTC).isoformat()
    return results


# --- the table ------------------------------------------------------------------------------

def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _rounds(measured: dict) -> str:
    return "rounds: " + ", ".join(f"{x:.2f}" for x in measured["ratios"])


def table(r: dict) -> str:
    m, cfg = r["machine"], r["config"]
    lines = [
        f"Measured {r['started'][:16].replace('T', ' ')} UTC on {m['nproc']} cores ({m['cpu']}), "
        f"{m['ram_gib']} GiB RAM, Python {m['python']}; gunicorn {cfg['workers']} workers x "
        f"{cfg['threads']} threads, load generator: 1 process, {cfg['concurrency']} connections; "
        f"each ratio is the median of {cfg['rounds']} rounds of neighbouring runs. "
        f"Load average at start / end: {r['loadavg_start'][0]:.1f} / {r['loadavg_end'][0]:.1f} "
        "(the machine is shared).",
        "",
        "| measure | result | reference (same run) | ratio | target | |",
        "|---|---|---|---|---|---|",
    ]
    login = r.get("login")
    if login:
        v, ratio = r["verify"], login["ratio"]
        lines.append(
            f"| password login (POST /login/password, argon2id {v['memory_kib'] // 1024} MiB, "
            f"t={v['time_cost']}, p={v['parallelism']}) | {login['rps']:.1f}/s (server CPU "
            f"{login['server_cpu_ms']:.1f} ms/login) | raw argon2id verify {v['rate']:.1f}/s "
            f"({v['processes']} processes; mean of {v['rates'][0]:.1f} before and "
            f"{v['rates'][1]:.1f} after) | {ratio:.2f} ({_rounds(login)}) | >= {LOGIN_TARGET} | "
            f"{_ok(ratio >= LOGIN_TARGET)} |")
    for label, page in r["pages"].items():
        bare = page["bare"]
        ratio = page["ratio"]
        lines.append(
            f"| {label} | {page['rps']:.0f}/s (p50 {page['p50']:.1f} ms; server CPU "
            f"{page['server_cpu_ms']:.2f} ms/req) | bare Flask + Jinja page {bare['rps']:.0f}/s "
            f"(server CPU {bare['server_cpu_ms']:.2f} ms/req) | {ratio:.2f} ({_rounds(page)}) "
            f"| >= {PAGE_TARGET} | {_ok(ratio >= PAGE_TARGET)} |")
    s10, s1m = r["search"].get("bench-10k"), r["search"].get("bench-1m")
    if s10 and s1m:
        lines.append(f"| patient search, 10,000 patients (p50 / p95) | {s10['p50']:.1f} / "
                     f"{s10['p95']:.1f} ms | | | | |")
        ratio = s1m["p95"] / s10["p95"]
        ok = s1m["p95"] <= 25 and ratio <= 2
        lines.append(f"| patient search, 1,000,000 patients (p50 / p95) | {s1m['p50']:.1f} / "
                     f"{s1m['p95']:.1f} ms | p95 at 10,000: {s10['p95']:.1f} ms | {ratio:.2f} | "
                     f"p95 <= 25 ms and <= 2x | {_ok(ok)} |")
    q = r["queries"]
    wizard = {k: n for k, n in q.items() if k.startswith("wizard")}
    worst = max(wizard.values())
    lines.append("| SQL statements per request, wizard steps | " + ", ".join(
        f"{k.removeprefix('wizard ')}: {n}" for k, n in wizard.items()) +
        f" | | | <= 3 per step | {_ok(worst <= 3)} |")
    lines.append("| SQL statements per request, other pages | " + ", ".join(
        f"{k}: {n}" for k, n in q.items() if not k.startswith("wizard")) + " | | | | |")
    fp = r["first_page"]
    lines.append(f"| first full page (GET /login + CSS + JS), gzipped | {fp['gzip'] / 1024:.1f} KB "
                 f"({fp['raw'] / 1024:.0f} KB raw) | | | <= 60 KB | {_ok(fp['gzip'] <= 60 * 1024)} |")
    frag = r["fragments"]
    biggest = max(frag.values())
    lines.append("| step fragments (htmx), bytes | " + ", ".join(
        f"{k.removeprefix('wizard ')}: {n}" for k, n in frag.items()) +
        f" | | | <= 4 KB | {_ok(biggest <= 4096)} |")
    rss = r["rss_kib"]
    lines.append(f"| RSS per worker | app: {', '.join(f'{k / 1024:.0f} MB' for k in rss)} | bare: "
                 f"{', '.join(f'{k / 1024:.0f} MB' for k in r['bare_rss_kib'])} | | | |")
    lines += floor_rows(r)
    statuses = {k: v["statuses"] for k, v in r["pages"].items()}
    statuses.update({f"floor of {k}": v["floor"]["statuses"] for k, v in r["pages"].items()
                     if v.get("floor")})
    if login:
        statuses["password login"] = login["statuses"]
        if login.get("floor"):
            statuses["floor of the password login"] = login["floor"]["statuses"]
    statuses.update({f"search {k}": v["statuses"] for k, v in r["search"].items()})
    lines += ["", "HTTP statuses: " + "; ".join(f"{k}: {v}" for k, v in statuses.items()),
              f"Wizard POSTs mailed codes: {r['post_mails']}."]
    if not (s10 and s1m):
        return "\n".join(lines)
    lines += ["", "Search mix (run in order, sequentially, "
              f"{SEARCH_ROUNDS} rounds per size), median / slowest ms at 10,000 and 1,000,000: "]
    for i, (label, query) in enumerate(SEARCH_MIX):
        a, b = s10["templates"][str(i)], s1m["templates"][str(i)]
        lines.append(f"- {label} `{query or '(empty)'}`: {a['p50']:.1f} / {a['max']:.1f} and "
                     f"{b['p50']:.1f} / {b['max']:.1f}")
    return "\n".join(lines)


def floor_rows(r: dict) -> list[str]:
    """The measured requests next to their floors (bench/floor_app.py), from the same rounds."""
    rows = [(label, page, page["bare"]) for label, page in r["pages"].items() if page.get("floor")]
    login = r.get("login")
    if login and login.get("floor"):
        rows.append(("password login POST /login/password", login, None))
    if not rows:
        return []
    lines = ["", "Next to floors: bare Flask doing only the work the request cannot do without "
             "(bench/floor_app.py), measured in the same rounds; the median round above.", "",
             "| request | app | floor | app / floor | floor / the target's reference | "
             "the target's rate / the floor's (above 1: the floor misses it too) |",
             "|---|---|---|---|---|---|"]
    for label, measured, bare in rows:
        floor = measured["floor"]
        if bare is None:
            base, target = r["verify"]["rate"], LOGIN_TARGET
            share = f"{floor['rps'] / base:.2f} of the raw verify rate"
        else:
            base, target = bare["rps"], PAGE_TARGET
            share = f"{floor['rps'] / base:.2f} of the bare page"
        need = target * base
        lines.append(
            f"| {label} | {measured['rps']:.0f}/s (server CPU {measured['server_cpu_ms']:.2f} ms) "
            f"| {floor['rps']:.0f}/s (server CPU {floor['server_cpu_ms']:.2f} ms) "
            f"| {measured['rps'] / floor['rps']:.2f} | {share} | {need:.0f}/s: "
            f"{need / floor['rps']:.2f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the request counts")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="neighbouring runs per page and for the login (odd: the median)")
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
