"""Flask app factory of the MitID simulator."""

from flask import Flask, jsonify, render_template, request

from . import dev, endpoints, login, logout
from .config import build_config
from .identities import load_identities
from .keys import load_signing_keys
from .models import SimulatorClient
from .oauth import init_oauth
from .store import EXTENSION_KEY, SimulatorState, get_state

_MACHINE_PATHS = ("/token", "/jwks", "/userinfo", "/.well-known/")
_OUTAGE_EXEMPT_PATHS = ("/dev/", "/static/")
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_simulator_app(config: dict | None = None) -> Flask:
    """A MitID-like OpenID Connect provider for development and tests."""
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(build_config(config))
    clients = [SimulatorClient.from_config(entry) for entry in app.config["SIMULATOR_CLIENTS"]]
    app.extensions[EXTENSION_KEY] = SimulatorState(
        clients=clients,
        identities=load_identities(app.config["SIMULATOR_IDENTITIES_FILE"]),
        keys=load_signing_keys(app.config["SIMULATOR_KEY_FILE"],
                               app.config["SIMULATOR_SIGNING_ALG"]),
        issuer_configured="SIMULATOR_ISSUER" in (config or {}),
    )
    server = init_oauth(app, app.extensions[EXTENSION_KEY])
    server.register_endpoint(logout.SimulatorEndSessionEndpoint)
    app.register_blueprint(login.bp)
    app.register_blueprint(logout.bp)
    app.register_blueprint(endpoints.bp)
    app.register_blueprint(dev.bp)
    app.before_request(_answer_outage)
    app.after_request(_harden_response)
    return app


def _answer_outage():
    if not get_state().outage or request.path.startswith(_OUTAGE_EXEMPT_PATHS):
        return None
    headers = {"Retry-After": "60"}
    if request.path.startswith(_MACHINE_PATHS):
        body = jsonify(
            error="temporarily_unavailable",
            error_description="MitID er midlertidigt utilgængelig.",
        )
        return body, 503, headers
    return render_template("simulator/outage.html"), 503, headers


def _harden_response(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Content-Security-Policy", _CONTENT_SECURITY_POLICY)
    return response
