"""Discovery and the JWKS of the provider (OpenID Connect Discovery 1.0)."""

from flask import current_app, jsonify, request, url_for

from app.provider import bp, clients, keys


def issuer() -> str:
    """The provider's issuer identifier: configured, or this app's own address."""
    return (current_app.config.get("OP_ISSUER") or request.host_url).rstrip("/")


def _public(response, seconds: int):
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.get("/.well-known/openid-configuration")
def discovery():
    """What a sister system's OpenID Connect library reads to talk to us.

    https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
    """
    base = issuer()
    document = {
        "issuer": base,
        "jwks_uri": base + url_for("provider.jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(clients.SCOPES),
        "acr_values_supported": list(clients.ACR_VALUES),
    }
    return _public(jsonify(document), 300)


@bp.get("/oidc/jwks")
def jwks():
    """The public signing keys, the current one and those retired lately (rotation)."""
    return _public(jsonify(keys.public_jwks()), 300)
