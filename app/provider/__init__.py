"""Klinikadgang's own OpenID Provider: the login of KirPACS, KirCACS and Kiroviden.dk.

The product's code, separate from the MitID simulator (which plays the brokers we are a client
of). Built on authlib's server side; clients and signing keys live in the database so that every
instance behind one address answers alike.
"""

from flask import Blueprint

bp = Blueprint("provider", __name__)


def init_app(app) -> None:
    """The provider's routes and its CLI."""
    from app.provider import cli, routes  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    cli.init_app(app)
