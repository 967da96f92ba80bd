"""OpenID Connect extension of the code grant: ID tokens, including deliberate test faults."""

import secrets
import time
from collections.abc import Callable

from authlib.oidc.core.grants import OpenIDCode
from flask import current_app

from .store import get_state

EXPIRED_BY = 600
MISSING_CLAIMS = {"missing_idp": ("idp", "identity_type", "identityscheme"),
                  "missing_loa": ("loa", "ial", "aal", "acr")}


class SimulatorOpenIDCode(OpenIDCode):
    """Signs ID tokens with the simulator key and applies the active id_token fault."""

    def __init__(self, require_nonce: bool, claims_for: Callable):
        super().__init__(require_nonce=require_nonce)
        self._claims_for = claims_for

    def exists_nonce(self, nonce, request):
        return get_state().nonce_in_use(request.payload.client_id, nonce)

    def resolve_client_private_key(self, client):
        keys = get_state().keys
        if get_state().fault == "bad_signature":
            return keys.impostor_key()
        return keys.signing_key

    def get_client_algorithm(self, client):
        return get_state().keys.alg

    def get_encode_header(self, client):
        return {"alg": get_state().keys.alg, "kid": get_state().keys.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        fault = get_state().fault
        lifetime = current_app.config["ID_TOKEN_LIFETIME"]
        issued_at = int(time.time())
        if fault == "expired":
            issued_at -= lifetime + EXPIRED_BY
        issuer = current_app.config["SIMULATOR_ISSUER"]
        return {
            "iss": issuer + "/impostor" if fault == "wrong_issuer" else issuer,
            "aud": "not-" + client.client_id if fault == "wrong_audience" else client.client_id,
            "iat": issued_at,
            "exp": issued_at + lifetime,
        }

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        subject = authorization_code.subject
        if subject.sid:
            # The login session's id, which a logout token names (Back-Channel Logout 1.0 §2.1,
            # https://openid.net/specs/openid-connect-backchannel-1_0.html#BCSupport). The
            # Signaturgruppen broker also names it neb_sid and tells the session's end
            # (https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/sessions.html).
            claims["sid"] = subject.sid
            if subject.profile == "signaturgruppen":
                claims["neb_sid"] = subject.sid
        if get_state().fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        return claims

    def generate_user_info(self, user, scope):
        claims = self._claims_for(user)
        fault = get_state().fault
        if fault in MISSING_CLAIMS:  # an answer that does not say how the person logged in
            claims = {name: value for name, value in claims.items()
                      if name not in MISSING_CLAIMS[fault]}
        return claims
