"""How the app authenticates at each broker's token endpoint, chosen per broker by configuration.

`<PREFIX>_TOKEN_AUTH_METHOD` (OpenID Connect Core 1.0 §9,
https://openid.net/specs/openid-connect-core-1_0.html#ClientAuthentication):
- client_secret_basic (default): HTTP Basic with the client id and secret each
  application/x-www-form-urlencoded first, as RFC 6749 §2.3.1 requires
  (https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1). authlib's own basic method sends them
  as they are, so a conformant broker would refuse a secret with `+` (it decodes to a space).
- client_secret_post: the id and secret in the form body.
- private_key_jwt: a JWT signed with the app's private key (`<PREFIX>_PRIVATE_KEY`, a PEM or a
  JWK as JSON, or `<PREFIX>_PRIVATE_KEY_FILE`), RFC 7523 §2.2 and §3: iss and sub the client id,
  aud the token endpoint, exp a minute ahead, a new jti every time. Its public key is served at
  /mitid/jwks.json for the broker. Idura documents it with an RSA key
  (https://docs.idura.app/verify/guides/privatekey-jwt); Signaturgruppen's broker takes a shared
  secret or an uploaded public key
  (https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/api-integration.html).
"""

import base64
import json
from pathlib import Path
from urllib.parse import quote_plus

from authlib.common.urls import add_params_to_qs
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from authlib.oauth2.rfc7523.client import ASSERTION_TYPE
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
ASSERTION_SECONDS = 60
_ALGS = {"EC": "ES256", "RSA": "RS256"}


def basic_form_encoded(client, method, uri, headers, body):
    """client_secret_basic as RFC 6749 §2.3.1 has it: form-encode, then base64."""
    pair = f"{quote_plus(client.client_id, safe='')}:{quote_plus(client.client_secret, safe='')}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return uri, headers, body


def private_key_jwt(key: ECKey | RSAKey):
    """The private_key_jwt method of one key: a fresh, short-lived client assertion per request."""
    alg = _ALGS[key.key_type]

    def sign(client, method, uri, headers, body):
        assertion = private_key_jwt_sign(key, client_id=client.client_id, token_endpoint=uri,
                                         alg=alg, header={"kid": key.kid},
                                         expires_in=ASSERTION_SECONDS)
        body = add_params_to_qs(body or "", [("client_id", client.client_id),
                                             ("client_assertion_type", ASSERTION_TYPE),
                                             ("client_assertion", assertion)])
        if "Content-Length" in headers:
            headers["Content-Length"] = str(len(body))
        return uri, headers, body

    return sign


def private_key(cfg, prefix: str) -> ECKey | RSAKey | None:
    """The broker client's private key from the configuration (None when none is set)."""
    text = cfg.get(f"{prefix}_PRIVATE_KEY")
    path = cfg.get(f"{prefix}_PRIVATE_KEY_FILE")
    if not text and path:
        text = Path(path).read_text()
    if not text:
        return None
    value = json.loads(text) if text.lstrip().startswith("{") else text
    if isinstance(value, dict):
        key = (RSAKey if value.get("kty") == "RSA" else ECKey).import_key(value)
    else:
        key = _pem_key(value)
    if not key.is_private:
        raise RuntimeError(f"{prefix}_PRIVATE_KEY holds a public key, not a private one.")
    key.ensure_kid()
    return key


def _pem_key(pem: str) -> ECKey | RSAKey:
    try:
        return ECKey.import_key(pem)
    except JoseError:  # not an EC key: RSA, or unreadable (raised as ValueError by RSAKey)
        return RSAKey.import_key(pem)


def check_config(cfg, prefix: str) -> None:
    """Refuse to start with an unknown method, or private_key_jwt without a usable key."""
    method = cfg.get(f"{prefix}_TOKEN_AUTH_METHOD") or "client_secret_basic"
    if method not in METHODS:
        raise RuntimeError(f"Unknown {prefix}_TOKEN_AUTH_METHOD; known: {', '.join(METHODS)}.")
    if method == "private_key_jwt":
        try:
            key = private_key(cfg, prefix)
        except (OSError, ValueError, JoseError) as exc:
            raise RuntimeError(f"{prefix}_PRIVATE_KEY cannot be read: {type(exc).__name__}") \
                from None
        if key is None:
            raise RuntimeError(f"{prefix}_TOKEN_AUTH_METHOD=private_key_jwt needs "
                               f"{prefix}_PRIVATE_KEY or {prefix}_PRIVATE_KEY_FILE.")


def registration(cfg, prefix: str) -> dict:
    """The authlib registration arguments of one broker client's token endpoint authentication."""
    method = cfg.get(f"{prefix}_TOKEN_AUTH_METHOD") or "client_secret_basic"
    if method == "private_key_jwt":
        key = private_key(cfg, prefix)
        return {"client_secret": key, "method": method,
                "client_auth_methods": [(method, private_key_jwt(key))]}
    return {"client_secret": cfg[f"{prefix}_CLIENT_SECRET"], "method": method,
            "client_auth_methods": [("client_secret_basic", basic_form_encoded)]}


def public_jwks(cfg, prefixes) -> dict:
    """The public keys of the broker clients that use private_key_jwt (an empty set otherwise)."""
    keys = []
    for prefix in prefixes:
        if (cfg.get(f"{prefix}_TOKEN_AUTH_METHOD") or "") == "private_key_jwt":
            key = private_key(cfg, prefix)
            public = key.as_dict(private=False)
            public.update({"use": "sig", "alg": _ALGS[key.key_type], "kid": key.kid})
            keys.append(public)
    return {"keys": keys}
