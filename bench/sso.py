"""The sso part: our OpenID Provider next to panva's oidc-provider, measured in the same run.

    python -m bench.sso [--quick] [--rounds N]

Issue 19's goal: single sign-on round trips per second (authorize with a logged-in session ->
code -> token -> userinfo) and refresh grants per second, ours at least as fast as oidc-provider
(OpenID Certified; bench/peer/oidc_provider_peer.mjs) configured alike. Ours is served as the
other parts serve it (gunicorn.conf.py, ENV_NAME=production, PostgreSQL, Redis rate limits, one
trusted proxy) on a fresh database of its own (BENCH_SSO_DATABASE_URL, default
klinikadgang_bench_sso), with one registered sister system and one staff person who logged in
once through the MitID simulator and gave the consent, so the authorization request answers with
a code at once. The peer runs twice, side by side: with its state in Redis (oidc-provider's
documented example adapter, bench/peer/redis_adapter.mjs, under the run's key prefix), as ours
keeps its state in PostgreSQL so that a second instance finds it: configured alike, the target's
reference; and with its default in-process memory adapter (development only, by its authors),
as a note. Each gets its session once by a login interaction it finishes itself.
All three are driven by the same relying party (bench/sso_client.py) in a process of its own, at
the same concurrency, in rounds (the in-memory peer, the Redis peer, then ours) whose median
ratios are reported, after one round that warms them up. Afterwards each
OP is checked to be configured alike (ES256 ID tokens that verify, opaque access tokens, the
PKCE verifier checked, single-use codes, refresh tokens that rotate and whose reuse ends the
chain, a wrong secret refused). Loopback only, bounded counts; every process started here is
stopped again.
Nothing asserts on time: the targets are reported met or missed.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import morning, stack
from bench.sso_client import Connection, Failed, RelyingParty, jwt_part

PEER_SCRIPT = stack.ROOT / "bench" / "peer" / "oidc_provider_peer.mjs"
PEERS = stack.ROOT / "tests" / "peers"
PEER_MODULE = PEERS / "node_modules" / "oidc-provider" / "lib" / "index.js"
PEER_REDIS_MODULE = PEERS / "node_modules" / "ioredis" / "package.json"
CLIENT_ID = "bench-sister"
REDIRECT_URI = "https://sister.bench.invalid/callback"  # never called: the client reads the code
SCOPE = "openid profile clinic offline_access"
PERSON = "asger.torring"  # BRUGER-ID at the simulator; one clinic, one function
SSO_TOTAL, SSO_WARMUP = 600, 40
REFRESH_TOTAL, REFRESH_WARMUP = 1200, 80
ROUNDS = 5
TARGET = 1.0  # ours, as a share of oidc-provider's rate


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- ours -----------------------------------------------------------------------------------

def prepare_ours(database_url: str, app_url: str) -> str:
    """A fresh database: the demo clinics and staff, PERSON onboarded with consent, the client
    registered, the ES256 signing key made; returns the client's secret."""
    from sqlmodel import select

    from app import consent, create_app
    from app.blueprints.dev.demo import load_personas, seed_demo_data
    from app.core.db import get_session
    from app.core.migrate import upgrade
    from app.models import StaffUser
    from app.provider import clients, keys
    from app.simulator import subject_for
    from bench.data import app_config

    stack.create_database(database_url, fresh=True)
    upgrade(database_url)
    personas = load_personas()
    person = next(p for p in personas["staff"] if p.get("mitid_user_id") == PERSON)
    person["onboarded"] = True
    app = create_app({**app_config(database_url), "OP_ISSUER": app_url,
                      "OP_KEY_ENCRYPTION_KEYS": stack.STACK_OP_KEY, "OP_SIGNING_ALG": "ES256"})
    with app.app_context():
        seed_demo_data(personas, subject_for=subject_for, patients_per_clinic=0)
        db = get_session()
        user = db.exec(select(StaffUser).where(
            StaffUser.legacy_user_id == person["legacy_user_id"])).one()
        consent.set_consent(staff_user_id=user.id, given=True, method="bench", actor="bench")
        db.commit()
        _row, secret = clients.add_client(clients.ClientSettings(
            name="KirPACS (bench)", client_id=CLIENT_ID, redirect_uris=[REDIRECT_URI],
            scopes=SCOPE.split(), auth_method="client_secret_basic"), actor="bench")
        keys.current_key()  # made now, so that two workers do not both make the first
    app.extensions["db_engine"].dispose()
    return secret


def login_ours(app_url: str) -> dict:
    """PERSON's MitID login through the simulator, as a browser; the app's session cookie."""
    walk = morning.Walk(app_url, "10.254.0.1", lambda *_args: None)
    morning.staff_mitid_login(walk, PERSON)
    found = {c.name: c.value for c in walk.http.cookies if c.name.startswith("__Host-")}
    if not found:
        raise RuntimeError("the MitID login left no session cookie")
    return found


# --- the peer -------------------------------------------------------------------------------

class NodePeer:
    """oidc_provider_peer.mjs in a process group of its own, on loopback; its state in Redis
    under `redis_prefix` when `redis_url` is given, else in its in-process memory adapter."""

    def __init__(self, *, secret: str, account: dict, log_path: Path | None = None,
                 redis_url: str | None = None, redis_prefix: str | None = None):
        self.port = stack.free_port()
        self.url = f"http://{stack.LOOPBACK}:{self.port}"
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PEER_PORT": str(self.port),
                    "PEER_CLIENT_ID": CLIENT_ID, "PEER_CLIENT_SECRET": secret,
                    "PEER_REDIRECT_URI": REDIRECT_URI, "PEER_ACCOUNT": json.dumps(account),
                    "PEER_COOKIE_KEY": secrets.token_urlsafe(32),
                    "PEER_MODULE": str(PEER_MODULE), "NODE_ENV": "production"}
        if redis_url:
            self.env.update(PEER_REDIS_URL=redis_url, PEER_REDIS_PREFIX=redis_prefix)
        self.log_path = log_path
        self.process = None

    def start(self) -> "NodePeer":
        if not (PEER_MODULE.exists() and PEER_REDIS_MODULE.exists()):  # what `make
            # tests/peers/node_modules/.installed` does
            subprocess.run(["npm", "ci", "--prefix", str(PEERS), "--no-audit",  # noqa: S603,S607
                            "--no-fund", "--loglevel=error"], check=True)
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 (our script, fixed arguments)
            [shutil.which("node") or "node", str(PEER_SCRIPT)], env=self.env, cwd=stack.ROOT,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        if out is not subprocess.DEVNULL:
            out.close()
        stack.wait_for_port(self.port, 30, self.process)
        return self

    def cpu_seconds(self) -> float:
        return stack.cpu_seconds(self.process.pid)

    def rss_kib(self) -> int:
        return stack.rss_kib(self.process.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass


def login_peer(url: str) -> dict:
    """The peer's login interaction, once: its session cookies."""
    import requests

    job = {"client_id": CLIENT_ID, "scope": SCOPE, "redirect_uri": REDIRECT_URI}
    http = requests.Session()
    query = {"response_type": "code", "state": "login", "nonce": "login",
             "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
             "code_challenge_method": "S256", **job}
    answer = http.get(url + "/auth", params=query, allow_redirects=False, timeout=10)
    for _hop in range(4):
        location = answer.headers.get("Location", "")
        if location.startswith(REDIRECT_URI):
            return {c.name: c.value for c in http.cookies if c.path == "/"}
        answer = http.get(location if location.startswith("http") else url + location,
                          allow_redirects=False, timeout=10)
    raise RuntimeError(f"the peer's login did not come back with a code: {answer.status_code}")


# --- one OP, as the relying party sees it ------------------------------------------------------

def relying_party_job(url: str, secret: str, cookies: dict) -> dict:
    """What the relying party needs of an OP: its endpoints (from discovery) and the cookie."""
    import requests

    found = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    path = {k: found[k + "_endpoint"].removeprefix(url) for k in ("authorization", "token",
                                                                   "userinfo")}
    return {"port": int(url.rsplit(":", 1)[1]), "issuer": found["issuer"],
            "jwks_uri": found["jwks_uri"], "client_id": CLIENT_ID, "client_secret": secret,
            "redirect_uri": REDIRECT_URI, "scope": SCOPE, "cookies": cookies,
            "authorize": path["authorization"], "token": path["token"],
            "userinfo": path["userinfo"]}


def one_round_trip(job: dict) -> dict:
    """One round trip outside the measure: the tokens and the userinfo answer."""
    async def go():
        conn = Connection(job["port"])
        try:
            return await RelyingParty(job).round_trip(conn, address="10.253.0.1", measured=False)
        finally:
            conn.close()

    return asyncio.run(go())


def database_cpu_seconds(name: str) -> float:
    """CPU used so far by the PostgreSQL backends connected to one database (from /proc)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            if title.startswith("postgres: ") and f" {name} " in title:
                total += stack.cpu_seconds(int(entry))
        except OSError:  # a backend may just have ended
            continue
    return total


def redis_cpu_seconds(url: str) -> float:
    """CPU used so far by the Redis server (its INFO cpu section; the machine's one Redis, so
    another user's load on it would count too)."""
    import redis

    info = redis.Redis.from_url(url).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def drive(job: dict, cpu_seconds, *, mode: str, total: int, warmup: int, concurrency: int,
          xff_base: int, database: str | None = None, redis_url: str | None = None) -> dict:
    """The relying party as a second process against one OP; the OP's CPU per unit added
    (and its database backends', when it has a database, and Redis's, when it uses Redis)."""
    job = dict(job, mode=mode, total=total, warmup=warmup, concurrency=concurrency,
               xff_base=xff_base, timeout=300)
    with tempfile.TemporaryDirectory() as tmp:
        job_path, out_path = Path(tmp, "job.json"), Path(tmp, "out.json")
        job_path.write_text(json.dumps(job))
        before = cpu_seconds()
        db_before = database_cpu_seconds(database) if database else 0.0
        redis_before = redis_cpu_seconds(redis_url) if redis_url else 0.0
        subprocess.run([sys.executable, "-m", "bench.sso_client", str(job_path),  # noqa: S603
                        str(out_path)], cwd=stack.ROOT, check=True, timeout=330)
        cpu = cpu_seconds() - before
        db_cpu = database_cpu_seconds(database) - db_before if database else 0.0
        redis_cpu = redis_cpu_seconds(redis_url) - redis_before if redis_url else 0.0
        result = json.loads(out_path.read_text())
    # The warm-up's share is in it (and, for refreshes, each chain's first round trip).
    result["server_cpu_ms"] = cpu * 1000 / max(1, result["n"] + warmup)
    if database:
        result["database_cpu_ms"] = db_cpu * 1000 / max(1, result["n"] + warmup)
    if redis_url:
        result["redis_cpu_ms"] = redis_cpu * 1000 / max(1, result["n"] + warmup)
    return result


# --- configured alike: what each OP refuses and issues -----------------------------------------

def check_alike(job: dict) -> dict:
    """Each check's outcome (True: as a conformant OP configured like ours answers)."""
    import requests
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keyset = KeySet.import_key_set(requests.get(job["jwks_uri"], timeout=10).json())

    async def go() -> dict:
        rp, conn, out = RelyingParty(job), Connection(job["port"]), {}
        address = "10.252.0.1"
        try:
            tokens = await rp.round_trip(conn, address=address, measured=False)
            token = jwt.decode(tokens["id_token"], keyset, algorithms=["ES256"])
            out["ID token ES256, signature, iss and aud verified"] = (
                jwt_part(tokens["id_token"], 0)["alg"] == "ES256"
                and token.claims["iss"] == job["issuer"] and token.claims["aud"] == CLIENT_ID)
            out["access token opaque"] = tokens["access_token"].count(".") != 2
            out["refresh token on the code exchange"] = bool(tokens.get("refresh_token"))
            code, _verifier, _nonce = await rp.authorize(conn, address=address, measured=False)
            status, answer = await rp.token(conn, {
                "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": secrets.token_urlsafe(48)}, address=address, measured=False)
            out["wrong PKCE code_verifier refused (invalid_grant)"] = (
                status == 400 and answer.get("error") == "invalid_grant")
            wrong = RelyingParty(dict(job, client_secret="not-the-secret"))  # noqa: S106
            status, answer = await wrong.token(conn, {
                "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                address=address, measured=False)
            out["wrong client secret refused (401 invalid_client)"] = (
                status == 401 and answer.get("error") == "invalid_client")
            newer = await rp.refresh(conn, tokens["refresh_token"], address=address,
                                     measured=False)
            out["refresh token rotates"] = newer != tokens["refresh_token"]
            status, answer = await rp.token(conn, {
                "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                address=address, measured=False)
            out["rotated refresh token refused (invalid_grant)"] = (
                status == 400 and answer.get("error") == "invalid_grant")
            status, answer = await rp.token(conn, {"grant_type": "refresh_token",
                                                   "refresh_token": newer},
                                            address=address, measured=False)
            out["its reuse ends the chain"] = status == 400
            code, verifier, _nonce = await rp.authorize(conn, address=address, measured=False)
            form = {"grant_type": "authorization_code", "code": code,
                    "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
            first, _ = await rp.token(conn, form, address=address, measured=False)
            second, answer = await rp.token(conn, form, address=address, measured=False)
            out["code single use (invalid_grant)"] = (
                first == 200 and second == 400 and answer.get("error") == "invalid_grant")
        except Failed as exc:
            out[f"checks stopped: {exc}"] = False
        finally:
            conn.close()
        return out

    return asyncio.run(go())


# --- SQL statements per request, in-process on the same database -------------------------------

def count_statements(database_url: str, app_url: str, cookies: dict, secret: str) -> dict:
    """Statements of each request of one round trip and of one refresh (the served app's code,
    in-process with the same keys, the logged-in cookie and the client's secret)."""
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlencode, urlsplit

    from app import create_app
    from bench.data import app_config
    from bench.run import StatementCounter

    app = create_app({**app_config(database_url), "OP_ISSUER": app_url,
                      "OP_KEY_ENCRYPTION_KEYS": stack.STACK_OP_KEY})
    client, counts = app.test_client(), {}
    for name, value in cookies.items():
        client.set_cookie(name, value)
    basic = {"Authorization": "Basic " + base64.b64encode(
        f"{CLIENT_ID}:{secret}".encode()).decode()}
    counter = StatementCounter(app.extensions["db_engine"])
    try:
        for _warm in range(2):  # the second pass is counted (the first fills the caches)
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            query = urlencode({
                "response_type": "code", "client_id": CLIENT_ID, "scope": SCOPE,
                "redirect_uri": REDIRECT_URI, "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8), "code_challenge_method": "S256",
                "code_challenge": challenge.rstrip(b"=").decode()})
            counts["authorize"], answer = counter.measure(
                lambda query=query: client.get("/oidc/authorize?" + query))
            code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
            counts["token (code)"], answer = counter.measure(
                lambda code=code, verifier=verifier: client.post(
                    "/oidc/token", headers=basic, data={
                        "grant_type": "authorization_code", "code": code,
                        "redirect_uri": REDIRECT_URI, "code_verifier": verifier}))
            tokens = answer.get_json()
            counts["userinfo"], _answer = counter.measure(lambda tokens=tokens: client.get(
                "/oidc/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}))
            counts["token (refresh)"], _answer = counter.measure(
                lambda tokens=tokens: client.post("/oidc/token", headers=basic, data={
                    "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))
    finally:
        counter.close()
        app.extensions["db_engine"].dispose()
    return counts


# --- the run --------------------------------------------------------------------------------

def median_round(rounds: list[dict], key: str, ratio: str = "ratio") -> dict:
    """The round with the median `ratio` of `key` (by default ours to the Redis peer's), and
    every round's; `ratio` is then that ratio."""
    chosen = sorted(rounds, key=lambda r: r[key][ratio])[len(rounds) // 2]
    return dict(chosen[key], ratio=chosen[key][ratio], rounds=[r[key][ratio] for r in rounds])


def run(*, quick: bool = False, rounds: int = ROUNDS, concurrency: int | None = None) -> dict:
    """Both OPs up, each logged in once; `rounds` neighbouring measures of each; the checks."""
    from app.blueprints.dev.mail import start_smtp_sink

    database_url = os.environ.get("BENCH_SSO_DATABASE_URL",
                                  stack.DEFAULT_POSTGRES + "klinikadgang_bench_sso")
    redis_url = os.environ.get("BENCH_REDIS_URL", stack.DEFAULT_REDIS)
    workers = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1))
    threads = int(os.environ.get("BENCH_THREADS", 4))
    concurrency = concurrency or int(os.environ.get("BENCH_CONCURRENCY", workers * threads))
    scale = 0.25 if quick else 1.0
    sso_total, refresh_total = int(SSO_TOTAL * scale), int(REFRESH_TOTAL * scale)
    prefix = f"klinikadgang-sso-{secrets.token_hex(4)}"
    results_dir = stack.ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    server_log = results_dir / "sso-servers.log"
    server_log.write_bytes(b"")

    class NoMail:  # the flow sends none; a sink so that a stray message cannot hang a request
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    sink = start_smtp_sink(NoMail(), port=stack.free_port())
    port = stack.free_port()
    app_url = f"http://{stack.LOOPBACK}:{port}"
    simulator, simulator_url = morning.start_simulator(app_url)
    server = peer = peer_redis = None
    try:
        log(f"sso: a fresh database ({stack.database_name(database_url)}), the client, "
            f"{PERSON} onboarded with consent ...")
        secret = prepare_ours(database_url, app_url)
        env = stack.app_environment(database_url=database_url, redis_url=redis_url,
                                    mail_port=sink.port, broker_url=simulator_url,
                                    key_prefix=prefix, TRUSTED_PROXIES=1, OP_ISSUER=app_url)
        server = stack.Gunicorn("wsgi:app", env, port=port, workers=workers, threads=threads,
                                log_path=server_log).start()
        ours = relying_party_job(app_url, secret, login_ours(app_url))
        account = one_round_trip(ours)["userinfo"]  # the peer's fixed account: the same claims
        peer = NodePeer(secret=secret, account=account, log_path=server_log).start()
        theirs = relying_party_job(peer.url, secret, login_peer(peer.url))
        peer_claims = one_round_trip(theirs)["userinfo"]
        peer_redis = NodePeer(secret=secret, account=account, log_path=server_log,
                              redis_url=redis_url, redis_prefix=f"{prefix}-peer:").start()
        theirs_redis = relying_party_job(peer_redis.url, secret, login_peer(peer_redis.url))
        peer_redis_claims = one_round_trip(theirs_redis)["userinfo"]
        log(f"  ours at {app_url} ({workers} workers x {threads} threads), oidc-provider at "
            f"{peer.url} (in memory) and {peer_redis.url} (Redis), one Node.js process each; "
            f"{concurrency} connections each")
        xff = 1
        measured = []
        # Round 0 warms both up and is not counted: Node.js's JIT needs a few thousand requests
        # (the peer's rate doubled over the first rounds without it), ours its caches and pool.
        for n in range(rounds + 1):
            log(f"  round {n} of {rounds}: SSO round trips, then refresh grants"
                + (" (warm-up, not counted)" if n == 0 else ""))
            one = {}
            for mode, total, warmup in (("sso", sso_total, SSO_WARMUP),
                                        ("refresh", refresh_total, REFRESH_WARMUP)):
                pair = {}
                for name, job, cpu, database, redis in (
                        ("peer", theirs, peer.cpu_seconds, None, None),
                        ("peer_redis", theirs_redis, peer_redis.cpu_seconds, None, redis_url),
                        ("ours", ours, server.cpu_seconds, stack.database_name(database_url),
                         redis_url)):
                    pair[name] = drive(job, cpu, mode=mode, total=total, warmup=warmup,
                                       concurrency=concurrency, xff_base=xff, database=database,
                                       redis_url=redis)
                    xff += total + warmup + concurrency
                # The target's ratio: ours to the peer configured alike (its state in Redis).
                pair["ratio"] = pair["ours"]["rps"] / pair["peer_redis"]["rps"]
                pair["ratio_memory"] = pair["ours"]["rps"] / pair["peer"]["rps"]
                one[mode] = pair
            if n:
                measured.append(one)
        log("  checks: all three configured alike")
        checks = {"ours": check_alike(ours), "peer (Redis)": check_alike(theirs_redis),
                  "peer (in memory)": check_alike(theirs)}
        statements = count_statements(database_url, app_url, ours["cookies"], secret)
        return {"rounds": measured, "checks": checks, "statements": statements,
                "claims": {"ours": sorted(account), "peer": sorted(peer_claims),
                           "peer_redis": sorted(peer_redis_claims)},
                "rss_kib": {"ours": server.worker_rss_kib(), "peer": [peer.rss_kib()],
                            "peer_redis": [peer_redis.rss_kib()]},
                "config": {"workers": workers, "threads": threads, "concurrency": concurrency,
                           "rounds": rounds, "sso_total": sso_total,
                           "refresh_total": refresh_total}}
    finally:
        for running in (peer, peer_redis, server):
            if running is not None:
                running.stop()
        simulator.terminate()
        simulator.wait(10)
        sink.stop()
        stack.delete_redis_prefix(redis_url, prefix)


# --- the table ------------------------------------------------------------------------------

LABELS = {
    "sso": "single sign-on round trips (authorize with a session -> code -> token -> userinfo), "
           "next to panva's oidc-provider with its state in Redis",
    "refresh": "refresh grants (rotating chains, each with its newest refresh token), next to "
               "panva's oidc-provider with its state in Redis",
}
UNITS = {"sso": "round trip", "refresh": "refresh"}
PLURALS = {"sso": "round trips", "refresh": "refreshes"}


def _rate(measured: dict, unit: str) -> str:
    database = (f", PostgreSQL {measured['database_cpu_ms']:.2f} ms"
                if "database_cpu_ms" in measured else "")
    redis = f", Redis {measured['redis_cpu_ms']:.2f} ms" if "redis_cpu_ms" in measured else ""
    return (f"{measured['rps']:.0f}/s (p50 {measured['p50']:.1f} ms, server CPU "
            f"{measured['server_cpu_ms']:.2f} ms/{unit}{database}{redis})")


def target_rows(result: dict) -> list[str]:
    """One table row per target: ours, the peer, the median ratio with every round's, met."""
    rows = []
    for mode in ("sso", "refresh"):
        m = median_round(result["rounds"], mode)
        failed = m["ours"]["failed"] + m["peer_redis"]["failed"]
        ok = m["ratio"] >= TARGET and not failed
        rows.append(
            f"| {LABELS[mode]} | {_rate(m['ours'], UNITS[mode])} | "
            f"{_rate(m['peer_redis'], UNITS[mode])} | {m['ratio']:.2f} (rounds: "
            f"{', '.join(f'{r:.2f}' for r in m['rounds'])}) | >= {TARGET} (ours at least as "
            f"fast as oidc-provider) | {'met' if ok else '**missed**'} |")
    return rows


def notes(result: dict) -> list[str]:
    """The figures beside the targets: the in-memory peer, steps, statuses, failures, the
    client, the checks."""
    lines = []
    for mode in ("sso", "refresh"):
        m = median_round(result["rounds"], mode, "ratio_memory")
        lines.append(
            f"- {PLURALS[mode]}, ours next to oidc-provider with its default in-process memory "
            f"adapter (development only; not the target's reference): "
            f"{_rate(m['peer'], UNITS[mode])}, ours {_rate(m['ours'], UNITS[mode])}, ratio "
            f"{m['ratio']:.2f} (rounds: {', '.join(f'{r:.2f}' for r in m['rounds'])}); "
            f"failed {m['peer']['failed']}")
    for mode in ("sso", "refresh"):
        m = median_round(result["rounds"], mode)
        for name in ("ours", "peer_redis", "peer"):
            run = m[name]
            steps = ", ".join(f"{step} p50 {s['p50']:.1f} / p95 {s['p95']:.1f} ms"
                              for step, s in run["steps"].items())
            label = {"peer_redis": "peer (Redis)", "peer": "peer (in memory)"}.get(name, name)
            lines.append(f"- {mode}, {label} (the round of the median ratio to the Redis peer): "
                         f"{steps}; statuses "
                         f"{run['statuses']}; failed {run['failed']}"
                         + (f" ({'; '.join(run['failures'])})" if run["failures"] else "")
                         + f"; the relying party's CPU {run['client_cpu_ms']:.2f} ms/"
                         f"{UNITS[mode]}")
    for name, checks in result["checks"].items():
        passed = [k for k, v in checks.items() if v]
        missing = [k for k, v in checks.items() if not v]
        lines.append(f"- configured alike, {name}: {len(passed)} of {len(checks)} checks "
                     f"passed" + (f"; not: {', '.join(missing)}" if missing else
                                  f" ({', '.join(passed)})"))
    lines.append("- SQL statements per request of ours (in-process): " + ", ".join(
        f"{k}: {n}" for k, n in result["statements"].items()) + "; the peer keeps its state in "
        "Redis (or in process memory)")
    claims = result["claims"]
    lines.append(f"- userinfo claims: ours {', '.join(claims['ours'])}; the Redis peer's "
                 f"{', '.join(claims['peer_redis'])}; the in-memory peer's "
                 f"{', '.join(claims['peer'])}")
    rss = result["rss_kib"]
    lines.append("- RSS: ours " + ", ".join(f"{k / 1024:.0f} MB" for k in rss["ours"])
                 + f" per worker; oidc-provider {rss['peer_redis'][0] / 1024:.0f} MB with Redis, "
                 f"{rss['peer'][0] / 1024:.0f} MB in memory (one process each)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the counts")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    result = run(quick=args.quick, rounds=args.rounds)
    print("\n".join(["| target | ours | reference (same run) | ratio | target | |",
                     "|---|---|---|---|---|---|", *target_rows(result), "", *notes(result)]))
    out = stack.ROOT / "bench" / "results"
    (out / "sso.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
