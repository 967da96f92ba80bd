"""private_key_jwt: a sister system authenticates with a JWT signed by its own key.

RFC 7523 §2.2 and §3 (JWT client assertions) as OpenID Connect Core §9 names them, with authlib's
`JWTBearerClientAssertion`. The public keys come from the client's registered `jwks_uri`, fetched
at each use (a rotation at the client works at once); a JWKS that cannot be read is the client's
`invalid_client`, never our error. Each `jti` is accepted once, on every instance (app.core.jti).
"""

import logging
from datetime import UTC, datetime

import requests
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import url_for
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.core.clock import utcnow
from app.core.db import get_session
from app.core.jti import first_use
from app.provider import issuer

log = logging.getLogger(__name__)

ALGORITHMS = ("ES256", "RS256")  # token_endpoint_auth_signing_alg_values_supported
JWKS_TIMEOUT = 3  # seconds: the client's JWKS is fetched while its token request waits
LEEWAY = 60  # seconds of clock skew allowed on exp (authlib's default)
MAX_LIFETIME = 300  # seconds: an assertion valid for longer is refused (its jti is kept as long)
_JTI_MAX = 255  # used_token_id.jti


class PrivateKeyJWT(JWTBearerClientAssertion):
    """authlib's client assertion under the name clients register and discovery publishes."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self):
        super().__init__(validate_jti=True, leeway=LEEWAY)

    def get_audiences(self):
        """The token endpoint's URL or the issuer (RFC 7523 §3 point 3; RFC 9126 §2)."""
        return [issuer() + url_for("provider.token"), issuer()]

    def extract_assertion(self, assertion):
        headers, claims = super().extract_assertion(assertion)
        if headers.get("alg") not in ALGORITHMS:
            raise InvalidClientError(description="The assertion must be signed ES256 or RS256.")
        return headers, claims

    def resolve_client_public_key(self, client):
        return client_keys(client.row.jwks_uri)

    def validate_jti(self, claims, jti):
        """A jti once (RFC 7523 §3 point 7), kept until the assertion could not pass anyway."""
        if not isinstance(jti, str) or not 0 < len(jti) <= _JTI_MAX:
            raise InvalidClientError(description="Invalid JWT ID.")
        if claims["exp"] > utcnow().timestamp() + MAX_LIFETIME + LEEWAY:
            raise InvalidClientError(description="The assertion is valid for too long.")
        kept_until = datetime.fromtimestamp(claims["exp"] + LEEWAY, UTC)
        if not first_use(issuer=claims["iss"], jti=jti, expires_at=kept_until):
            return False
        get_session().commit()  # the jti is spent even when the rest of the request fails
        return True


def client_keys(jwks_uri: str | None) -> KeySet:
    """The client's signature keys from its JWKS; InvalidClientError when they cannot be had."""
    if not jwks_uri:
        raise InvalidClientError(description="The client has no registered jwks_uri.")
    try:
        answer = requests.get(jwks_uri, timeout=JWKS_TIMEOUT, allow_redirects=False)
        answer.raise_for_status()
        found = KeySet.import_key_set(answer.json())
    except (requests.RequestException, ValueError, TypeError, KeyError, JoseError) as exc:
        log.warning("client JWKS unreadable: %s (%s)", jwks_uri, type(exc).__name__)
        raise InvalidClientError(description="The client's JWKS could not be read.") from None
    signing = [key for key in found.keys if key.get("use") in (None, "sig")]
    if not signing:
        raise InvalidClientError(description="The client's JWKS holds no signature key.")
    return KeySet(signing)
