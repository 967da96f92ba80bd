"""Klinikadgang's own OpenID Provider: the login of KirPACS, KirCACS and Kiroviden.dk.

The product's code, separate from the MitID simulator (which plays the brokers we are a client
of). Built on authlib's server side; clients and signing keys live in the database so that every
instance behind one address answers alike.
"""

from flask import Blueprint, current_app, request

bp = Blueprint("provider", __name__)


def issuer() -> str:
    """The provider's issuer identifier: configured, or this app's own address."""
    return (current_app.config.get("OP_ISSUER") or request.host_url).rstrip("/")


def init_app(app) -> None:
    """The provider's routes and its CLI."""
    from app.provider import backchannel, cli, flow, routes, server  # noqa: F401  (routes: bp)

    server.init_app(app)
    app.after_request(flow.allow_form_return)
    backchannel.init_app(app)
    app.register_blueprint(bp)
    cli.init_app(app)
