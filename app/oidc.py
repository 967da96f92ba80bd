"""OpenID Connect clients of the MitID brokers (authlib), one registry per app."""

from authlib.integrations.flask_client import OAuth
from flask import current_app


def init_app(app) -> None:
    """Register the staff broker client on an OAuth registry owned by this app."""
    oauth = OAuth(app)
    oauth.register(
        "staff_broker",
        client_id=app.config["STAFF_BROKER_CLIENT_ID"],
        client_secret=app.config["STAFF_BROKER_CLIENT_SECRET"],
        server_metadata_url=app.config["STAFF_BROKER_METADATA_URL"],
        client_kwargs={
            "scope": app.config["STAFF_BROKER_SCOPE"],
            "code_challenge_method": "S256",
            "timeout": app.config["OIDC_TIMEOUT"],
        },
    )
    app.extensions["oidc"] = oauth


def staff_broker():
    """Return the OIDC client of the staff broker."""
    return current_app.extensions["oidc"].staff_broker


def expected_issuer(metadata_url: str, configured: str | None) -> str:
    """The issuer the ID token must name: configured, or the metadata URL's base."""
    return configured or metadata_url.removesuffix("/.well-known/openid-configuration")


def id_token_claims_options(client) -> dict:
    """Exact issuer and audience for authlib's ID token validation."""
    cfg = current_app.config
    issuer = expected_issuer(cfg["STAFF_BROKER_METADATA_URL"], cfg.get("STAFF_BROKER_ISSUER"))
    return {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [client.client_id]},
        "exp": {"essential": True},
        "nonce": {"essential": True},
    }
