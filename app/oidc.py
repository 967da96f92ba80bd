"""OpenID Connect clients of the MitID brokers (authlib), one registry per app."""

from authlib.integrations.flask_client import OAuth
from flask import current_app

# Each registered client and the prefix of its settings in the config.
BROKERS = {"staff_broker": "STAFF_BROKER", "citizen_broker": "CITIZEN_BROKER"}


def init_app(app) -> None:
    """Register the staff and citizen broker clients on an OAuth registry owned by this app."""
    oauth = OAuth(app)
    for name, prefix in BROKERS.items():
        oauth.register(
            name,
            client_id=app.config[f"{prefix}_CLIENT_ID"],
            client_secret=app.config[f"{prefix}_CLIENT_SECRET"],
            server_metadata_url=app.config[f"{prefix}_METADATA_URL"],
            client_kwargs={
                "scope": app.config[f"{prefix}_SCOPE"],
                "code_challenge_method": "S256",
                "timeout": app.config["OIDC_TIMEOUT"],
            },
        )
    app.extensions["oidc"] = oauth


def staff_broker():
    """Return the OIDC client of the staff broker."""
    return current_app.extensions["oidc"].staff_broker


def citizen_broker():
    """Return the OIDC client of the citizen broker (the patient portal's MitID)."""
    return current_app.extensions["oidc"].citizen_broker


def expected_issuer(metadata_url: str, configured: str | None) -> str:
    """The issuer the ID token must name: configured, or the metadata URL's base."""
    return configured or metadata_url.removesuffix("/.well-known/openid-configuration")


def id_token_claims_options(client) -> dict:
    """Exact issuer and audience of this client's broker for authlib's ID token validation."""
    cfg = current_app.config
    prefix = BROKERS[client.name]
    issuer = expected_issuer(cfg[f"{prefix}_METADATA_URL"], cfg.get(f"{prefix}_ISSUER"))
    return {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [client.client_id]},
        "exp": {"essential": True},
        "nonce": {"essential": True},
    }
