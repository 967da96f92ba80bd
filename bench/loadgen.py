"""Load generator: a separate process that sends a bounded number of HTTP/1.1 requests.

    python -m bench.loadgen JOB.json RESULT.json

The job names a loopback port, a concurrency, a warm-up count, a measured count and a list of
request templates used round-robin. Each of `concurrency` keep-alive connections sends one request
at a time (closed loop). With `"xff": true` every request carries its own X-Forwarded-For address,
as many users behind a load balancer would (the app trusts one proxy in the benchmark).
The result holds the measured requests' latencies (ms), status counts, bytes and elapsed time.
"""

import asyncio
import json
import sys
import time

HOST = "127.0.0.1"  # loopback only, by construction


class HTTPError(Exception):
    pass


async def _read_response(reader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, body, headers.get("connection", "").lower() == "close"


def _encode(template: dict, port: int, xff: str | None) -> bytes:
    body = template.get("body", "").encode()
    lines = [f"{template.get('method', 'GET')} {template['path']} HTTP/1.1",
             f"Host: {HOST}:{port}", "Accept-Encoding: identity", "User-Agent: klinikadgang-bench"]
    for name, value in template.get("headers", {}).items():
        lines.append(f"{name}: {value}")
    if xff:
        lines.append(f"X-Forwarded-For: {xff}")
    if body or template.get("method", "GET") == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def run(job: dict) -> dict:
    port, requests = int(job["port"]), job["requests"]
    warmup, total = int(job.get("warmup", 0)), int(job["total"])
    limit = warmup + total
    xff_base = int(job.get("xff_base", 0)) if job.get("xff") else None
    latencies, statuses, counter = [], {}, {"next": 0, "bytes": 0, "errors": 0}
    marks, per_template = {}, {}

    async def worker():
        reader = writer = None
        try:
            while counter["next"] < limit:
                n = counter["next"]
                counter["next"] += 1
                if n == warmup:
                    marks.setdefault("start", time.perf_counter())
                template = requests[n % len(requests)]
                payload = _encode(template, port, None if xff_base is None else _address(
                    xff_base + n))
                for _attempt in range(2):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(HOST, port)
                    started = time.perf_counter()
                    try:
                        writer.write(payload)
                        await writer.drain()
                        status, body, close = await _read_response(reader)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError):
                        writer.close()
                        reader = writer = None
                else:
                    counter["errors"] += 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if close:
                    writer.close()
                    reader = writer = None
                if n >= warmup:
                    latencies.append(elapsed)
                    per_template.setdefault(n % len(requests), []).append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    counter["bytes"] += len(body)
                    marks["end"] = time.perf_counter()
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(worker() for _ in range(int(job.get("concurrency", 1)))))
    elapsed = marks.get("end", 0) - marks.get("start", 0)
    ordered = sorted(latencies)

    def pct(p):
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] \
            if ordered else None

    templates = {str(k): {"p50": sorted(v)[len(v) // 2], "max": max(v), "n": len(v)}
                 for k, v in sorted(per_template.items())} if len(requests) > 1 else {}
    return {"templates": templates, "n": len(latencies), "elapsed": elapsed,
            "rps": len(latencies) / elapsed if elapsed > 0 else None,
            "p50": pct(50), "p95": pct(95), "p99": pct(99), "max": ordered[-1] if ordered else None,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "bytes": counter["bytes"], "errors": counter["errors"]}


def run_job_files(run_job) -> int:
    """A load process's entry: the job from argv[1] (JSON), run_job's result to argv[2]."""
    with open(sys.argv[1], encoding="utf-8") as fh:
        job = json.load(fh)
    result = asyncio.run(asyncio.wait_for(run_job(job), timeout=float(job.get("timeout", 300))))
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


def main() -> int:
    return run_job_files(run)


if __name__ == "__main__":
    sys.exit(main())
