"""Serve a simulator app from a background thread, e.g. as a live server in tests."""

import threading
from typing import Self

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from .store import get_state


class _QuietRequestHandler(WSGIRequestHandler):
    """Skips werkzeug's access log: the simulator logs its own outcomes."""

    def log_request(self, code="-", size="-"):
        pass


class SimulatorServer:
    """A running simulator: its base URL, port and a way to stop it."""

    def __init__(self, app: Flask, host: str, port: int):
        self._server = make_server(
            host, port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self.host = host
        self.port = self._server.server_port
        url_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{url_host}:{self.port}"
        # A short poll interval keeps shutdown() fast; tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mitid-simulator-{self.port}",
            daemon=True,
        )

    def start(self) -> Self:
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def serve_simulator(app: Flask, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Start app on host:port (0 = any free port); the issuer follows the URL unless configured."""
    server = SimulatorServer(app, host, port)
    if not get_state(app).issuer_configured:
        app.config["SIMULATOR_ISSUER"] = server.url
    return server.start()
