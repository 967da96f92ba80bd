"""Servers the tests talk to: a live WSGI thread, an SMTP recorder, a TCP proxy, redis-server."""

import contextlib
import socket
import subprocess
import threading
import time

from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

from app.blueprints.dev.mail import parse_message


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


class LogoutReceiver:
    """A sister system's back-channel logout endpoint on loopback: keeps the logout tokens it is
    sent, or answers 503 while `down`."""

    def __init__(self):
        self.tokens, self.down = [], False
        self._lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/backchannel")
        def backchannel_logout():
            if self.down:
                return "", 503
            with self._lock:
                self.tokens.append(request.form["logout_token"])
            return "", 200

        self.server = LiveServer(app)
        self.uri = self.server.url + "/backchannel"
