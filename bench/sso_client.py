"""The sso part's relying party: a separate process that drives one OP for a bounded count.

    python -m bench.sso_client JOB.json RESULT.json

`"mode": "sso"`: each of `concurrency` keep-alive connections runs single sign-on round trips one
after another: GET authorize with the logged-in session's cookie (its own state, nonce and PKCE
S256 verifier, RFC 7636 §4) -> 302 to the redirect URI with a code (state and RFC 9207 `iss`
checked) -> POST token (client_secret_basic, RFC 6749 §2.3.1; the ID token's nonce checked)
-> GET userinfo with the access token (RFC 6750 §2.1). `"mode": "refresh"`: each connection
starts a chain with one round trip (not measured), then refreshes it again and again, each time
with the newest refresh token (RFC 6749 §6; rotation, RFC 9700 §4.14.2). Every request of a round
trip carries an X-Forwarded-For address of that round trip's own, as the other parts do.
Loopback only; counts and time are bounded. The result: units per second, each step's latency,
statuses, failures, and this process's CPU per unit.
"""

import asyncio
import base64
import hashlib
import json
import os
import secrets
import sys
import time
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from bench.loadgen import run_job_files

HOST = "127.0.0.1"  # loopback only, by construction


class Failed(Exception):
    """An answer other than a conformant relying party accepts."""


class Connection:
    """One keep-alive HTTP/1.1 connection to the OP; reconnects once when the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def send(self, method: str, path: str, headers: dict, body: str = "") -> tuple:
        data = body.encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}",
                 "User-Agent: klinikadgang-bench-sso", "Accept-Encoding: identity",
                 *(f"{k}: {v}" for k, v in headers.items())]
        if method == "POST":
            lines.append(f"Content-Length: {len(data)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(payload)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers, cookies = {}, []
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                name = name.strip().lower()
                if name == "set-cookie":
                    cookies.append(value.strip())
                headers[name] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, cookies, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_part(token: str, index: int) -> dict:
    """A JWT's header (0) or payload (1), unverified (bench/sso.py verifies one per OP)."""
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class RelyingParty:
    """The sister system of the job: its client, the OP's endpoints and the person's cookie."""

    def __init__(self, job: dict):
        self.job = job
        self.cookies = dict(job["cookies"])  # name -> value; Set-Cookie answers update it
        secret = f"{quote(job['client_id'], safe='')}:{quote(job['client_secret'], safe='')}"
        self.basic = "Basic " + base64.b64encode(secret.encode()).decode()
        self.timings = {"authorize": [], "token": [], "userinfo": [], "refresh": []}
        self.units = []  # ms per measured round trip or refresh
        self.statuses = {}

    def _xff(self, address: str | None) -> dict:
        return {"X-Forwarded-For": address} if address else {}

    def _keep(self, cookies: list[str]) -> None:
        for cookie in cookies:
            pair = cookie.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if name.strip() in self.cookies and value.strip():  # the session's cookies only
                self.cookies[name.strip()] = value.strip()

    async def _timed(self, step: str, conn: Connection, *args, measured: bool) -> tuple:
        started = time.perf_counter()
        answer = await conn.send(*args)
        if measured:
            self.timings[step].append((time.perf_counter() - started) * 1000)
            self.statuses[answer[0]] = self.statuses.get(answer[0], 0) + 1
        return answer

    async def authorize(self, conn, *, address=None, measured=True) -> tuple:
        """The authorization request with the session: (code, verifier, nonce)."""
        job = self.job
        verifier = secrets.token_urlsafe(48)
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = {"response_type": "code", "client_id": job["client_id"], "scope": job["scope"],
                 "redirect_uri": job["redirect_uri"], "state": state, "nonce": nonce,
                 "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
                 "code_challenge_method": "S256"}
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, headers, cookies, _body = await self._timed(
            "authorize", conn, "GET", job["authorize"] + "?" + urlencode(query),
            {"Cookie": cookie, **self._xff(address)}, measured=measured)
        self._keep(cookies)
        location = headers.get("location", "")
        if status not in (302, 303) or not location.startswith(job["redirect_uri"] + "?"):
            raise Failed(f"authorize: {status} {location[:80]}")
        answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if answer.get("state") != state or answer.get("iss") != job["issuer"]:
            raise Failed(f"authorize: state or iss wrong ({answer.get('error', '')})")
        if "code" not in answer:
            raise Failed(f"authorize: {answer.get('error')}")
        return answer["code"], verifier, nonce

    async def token(self, conn, form: dict, *, address=None, step="token", measured=True):
        """POST to the token endpoint as the confidential client: (status, JSON answer)."""
        status, _headers, _cookies, body = await self._timed(
            step, conn, "POST", self.job["token"],
            {"Authorization": self.basic, "Content-Type": "application/x-www-form-urlencoded",
             "Accept": "application/json", **self._xff(address)}, urlencode(form),
            measured=measured)
        return status, json.loads(body or b"{}")

    async def round_trip(self, conn, *, address=None, measured=True) -> dict:
        """Authorize -> code -> token -> userinfo; the tokens issued and the userinfo answer."""
        started = time.perf_counter()
        code, verifier, nonce = await self.authorize(conn, address=address, measured=measured)
        status, tokens = await self.token(conn, {
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.job["redirect_uri"], "code_verifier": verifier},
            address=address, measured=measured)
        if status != 200 or tokens.get("token_type", "").lower() != "bearer":
            raise Failed(f"token: {status} {tokens.get('error')}")
        if jwt_part(tokens["id_token"], 1).get("nonce") != nonce:
            raise Failed("token: the ID token's nonce is not the request's")
        status, _headers, _cookies, body = await self._timed(
            "userinfo", conn, "GET", self.job["userinfo"],
            {"Authorization": "Bearer " + tokens["access_token"], **self._xff(address)},
            measured=measured)
        tokens["userinfo"] = json.loads(body) if status == 200 else {}
        if not tokens["userinfo"].get("sub"):
            raise Failed(f"userinfo: {status}")
        if measured:
            self.units.append((time.perf_counter() - started) * 1000)
        return tokens

    async def refresh(self, conn, refresh_token: str, *, address=None, measured=True) -> str:
        """One refresh; the new refresh token (it must rotate)."""
        started = time.perf_counter()
        status, tokens = await self.token(conn, {"grant_type": "refresh_token",
                                                 "refresh_token": refresh_token},
                                          address=address, step="refresh", measured=measured)
        newest = tokens.get("refresh_token")
        if status != 200 or not tokens.get("access_token") or not newest:
            raise Failed(f"refresh: {status} {tokens.get('error')}")
        if newest == refresh_token:
            raise Failed("refresh: the refresh token did not rotate")
        if measured:
            self.units.append((time.perf_counter() - started) * 1000)
        return newest


def _address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def run(job: dict) -> dict:
    rp = RelyingParty(job)
    warmup, total = int(job["warmup"]), int(job["total"])
    counter = {"next": 0, "done": 0}
    marks, failures = {}, []
    base = int(job.get("xff_base", 1))

    async def worker():
        conn = Connection(int(job["port"]))
        chain = None
        try:
            if job["mode"] == "refresh":  # the chain's start: one round trip, not measured
                chain = (await rp.round_trip(conn, address=_address(base + counter["next"]),
                                             measured=False))["refresh_token"]
            while counter["next"] < warmup + total:
                n = counter["next"]
                counter["next"] += 1
                measured = n >= warmup
                if n == warmup:
                    marks.setdefault("start", time.perf_counter())
                try:
                    if job["mode"] == "sso":
                        await rp.round_trip(conn, address=_address(base + n), measured=measured)
                    else:
                        chain = await rp.refresh(conn, chain, address=_address(base + n),
                                                 measured=measured)
                except Failed as exc:
                    failures.append(str(exc))
                    if chain is not None:  # a broken chain cannot go on: start a new one
                        try:
                            chain = (await rp.round_trip(conn, measured=False))["refresh_token"]
                        except Failed as again:
                            failures.append(str(again))
                            return
                    continue
                if measured:
                    counter["done"] += 1
                    marks["end"] = time.perf_counter()
        finally:
            conn.close()

    cpu_before = sum(os.times()[:2])
    await asyncio.gather(*(worker() for _ in range(int(job["concurrency"]))))
    cpu = sum(os.times()[:2]) - cpu_before
    elapsed = marks.get("end", 0) - marks.get("start", 0)
    steps = {step: _summary(ms) for step, ms in rp.timings.items() if ms}
    return {"mode": job["mode"], "n": counter["done"], "elapsed": elapsed,
            "rps": counter["done"] / elapsed if elapsed > 0 else None,
            **_summary(rp.units), "steps": steps,
            "statuses": {str(k): v for k, v in sorted(rp.statuses.items())},
            "failed": len(failures), "failures": failures[:5],
            "client_cpu_ms": cpu * 1000 / max(1, warmup + total)}


def _summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    if not ordered:
        return {"p50": None, "p95": None}
    return {"p50": ordered[len(ordered) // 2],
            "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]}


def main() -> int:
    return run_job_files(run)


if __name__ == "__main__":
    sys.exit(main())
