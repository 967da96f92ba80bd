"""Test helpers: a live server thread, a recording SMTP handler, and the MitID walk."""

import contextlib
import re
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from app.devmail import parse_message

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN_RE = r'name="{name}"[^>]*value="([^"]*)"'


def free_port() -> int:
    """A free TCP port on loopback (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


class LiveServer:
    """A WSGI app served from a daemon thread (threaded, so it may call other live servers)."""

    def __init__(self, app, port: int = 0):
        self._server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class RecordingHandler:
    """aiosmtpd handler keeping every received message in a list (real SMTP, no mock)."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        mail = parse_message(envelope.original_content, time.time(), envelope.mail_from,
                             envelope.rcpt_tos)
        with self._lock:
            self.messages.append(mail)
        return "250 OK"


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def code_from(mail) -> str:
    """The 6-digit code in an e-mail's text."""
    match = re.search(r"\b(\d{6})\b", mail.text)
    assert match, "mail has no 6-digit code"
    return match.group(1)


def _hidden(html: str, name: str) -> str:
    match = re.search(HIDDEN_RE.format(name=name), html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def walk_simulator(authorize_url: str, mitid_user_id: str, *, login_as: str | None = None,
                   cancel: bool = False) -> str:
    """Log in at the MitID simulator like a person would; return the redirect back to the app."""
    sim = requests.Session()
    page = sim.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.status_code
    base = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    request_id = _hidden(page.text, "request_id")
    if cancel:
        answer = sim.post(base + "/authorize/cancel", data={"request_id": request_id},
                          allow_redirects=False, timeout=10)
        return answer.headers["Location"]
    answer = sim.post(base + "/authorize/login", data={"request_id": request_id,
                                                         "user_id": mitid_user_id}, timeout=10)
    assert answer.status_code == 200, answer.status_code
    if 'name="login_as"' in answer.text:
        answer = sim.post(base + "/authorize/choose", data={
            "request_id": request_id, "login_as": login_as or "private"}, timeout=10)
    answer = sim.post(base + "/authorize/approve", data={"request_id": request_id},
                      allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.status_code
    return answer.headers["Location"]


def app_path(url: str) -> str:
    """Path + query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(url: str) -> dict:
    """The query parameters of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class StatementLog:
    """The SQL statements and commits an engine sends while the `with` block runs."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement.split(None, 1)[0].upper())

    def _commit(self, _conn):
        self.commits += 1

    def clear(self):
        self.statements.clear()
        self.commits = 0

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


class TcpProxy:
    """A TCP forwarder on a fixed loopback port, switched off and on: a real outage of a server.

    Off, the port is closed (connection refused) and every forwarded connection is cut, as when
    the server behind it stops.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen on the port and forward each connection to the target."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and cut every connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone does not
            listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class RedisServer:
    """A throwaway redis-server on a free loopback port (no persistence), to stop and start again."""

    def __init__(self, directory, password: str):
        self.port = free_port()
        self.url = f"redis://:{password}@127.0.0.1:{self.port}/0"
        self._args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                      "--save", "", "--appendonly", "no", "--dir", str(directory),
                      "--requirepass", password]
        self._process = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        import subprocess

        import redis

        self._process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (everything it held is gone, as in a restart without persistence)."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def key_count(self) -> int:
        """How many keys it holds."""
        import redis

        with redis.Redis.from_url(self.url) as client:
            return client.dbsize()
