"""Client authentication at the simulator's token endpoint, as strict as a conformant broker.

Each client authenticates with the one method it registered (`token_endpoint_auth_method`, as
in OpenID Connect Dynamic Client Registration §2); another method is refused as invalid_client.
- client_secret_basic: id and secret are form-decoded after base64 (RFC 6749 §2.3.1), so a
  secret with `+` only matches when the client encoded it (an unencoded `+` reads as a space).
- client_secret_post: id and secret in the form.
- private_key_jwt (RFC 7523 §3, OpenID Connect Core 1.0 §9): the assertion is checked against
  the client's registered keys (`jwks`, or `jwks_uri`, fetched as a broker does), aud the token
  endpoint or the issuer, exp required, and every jti accepted once.
"""

import base64
import binascii
import threading
import time
from urllib.parse import unquote_plus

import requests
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc.jwk import KeySet

JTI_KEPT_SECONDS = 3600  # longer than any assertion is valid


def secret_basic(query_client, request):
    """client_secret_basic with the id and secret form-decoded, as RFC 6749 §2.3.1 asks."""
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "basic" or not token:
        return None
    try:
        pair = base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = pair.partition(":")
    if not colon:
        return None
    client = query_client(unquote_plus(client_id))
    if client is not None and client.check_client_secret(unquote_plus(secret)) \
            and client.check_endpoint_auth_method("client_secret_basic", "token"):
        return client
    return None


class PrivateKeyJWTAssertion(JWTBearerClientAssertion):
    """private_key_jwt with the client's registered keys and a one-time jti."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self):
        super().__init__(validate_jti=True, leeway=30)
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def get_audiences(self):
        issuer = current_app.config["SIMULATOR_ISSUER"].rstrip("/")
        return [issuer + "/token", issuer]

    def validate_jti(self, claims, jti):
        now = time.time()
        key = f"{claims['iss']}:{jti}"
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if t > now - JTI_KEPT_SECONDS}
            if key in self._seen:
                return False
            self._seen[key] = now
        return True

    def resolve_client_public_key(self, client):
        if client.jwks:
            return KeySet.import_key_set(client.jwks)
        if not client.jwks_uri:
            raise InvalidClientError(description="The client has no registered keys.")
        try:
            answer = requests.get(client.jwks_uri, timeout=5)
            answer.raise_for_status()
            return KeySet.import_key_set(answer.json())
        except (requests.RequestException, ValueError):
            raise InvalidClientError(description="The client's jwks_uri is unreachable.") \
                from None
