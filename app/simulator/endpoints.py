"""Machine endpoints: discovery, JWKS, token and userinfo."""

import logging

from flask import Blueprint, current_app, jsonify, request

from .models import TOKEN_AUTH_METHODS
from .oauth import SCOPES_SUPPORTED, get_server
from .store import get_state

log = logging.getLogger(__name__)
bp = Blueprint("endpoints", __name__)

CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "idp",
    "identity_type",
    "loa",
    "mitid.uuid",
    "mitid.identity_name",
    "mitid.date_of_birth",
    "mitid.age",
    "dk.cpr",
    "nemlogin.cvr",
    "nemlogin.org_name",
    "nemlogin.persistent_professional_id",
    "nemlogin.name",
    "nemlogin.given_name",
    "nemlogin.family_name",
    "ial",
    "aal",
    # The Idura profile's names (app/simulator/claims.py).
    "acr",
    "identityscheme",
    "uuid",
    "name",
    "birthdate",
    "age",
    "country",
    "cprNumberIdentifier",
    "cvrNumberIdentifier",
    "2.5.4.10",
    "employee",
    "sid",
    "neb_sid",
]


@bp.get("/.well-known/openid-configuration")
def discovery():
    issuer = current_app.config["SIMULATOR_ISSUER"]
    base = issuer.rstrip("/")
    # RP-Initiated Logout 1.0 §2.1: the OP advertises end_session_endpoint in discovery
    # (https://openid.net/specs/openid-connect-rpinitiated-1_0.html#OPMetadata).
    logout = {"end_session_endpoint": f"{base}/logout"} \
        if current_app.config["SIMULATOR_END_SESSION"] else {}
    return jsonify(
        issuer=issuer,
        authorization_endpoint=f"{base}/authorize",
        token_endpoint=f"{base}/token",
        jwks_uri=f"{base}/jwks",
        userinfo_endpoint=f"{base}/userinfo",
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=["authorization_code"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=[get_state().keys.alg],
        code_challenge_methods_supported=["S256"],
        scopes_supported=SCOPES_SUPPORTED,
        claims_supported=CLAIMS_SUPPORTED,
        token_endpoint_auth_methods_supported=list(TOKEN_AUTH_METHODS),
        token_endpoint_auth_signing_alg_values_supported=["ES256", "RS256"],
        prompt_values_supported=["login", "none"],
        # Back-Channel Logout 1.0 §2.1: logout tokens, with the sid of the ID tokens.
        backchannel_logout_supported=True,
        backchannel_logout_session_supported=True,
        **logout,
    )


@bp.get("/jwks")
def jwks():
    return jsonify(get_state().keys.public_jwks())


@bp.post("/token")
def token():
    response = get_server().create_token_response()
    client_id = request.authorization.username if request.authorization else None
    log.info(
        "token client_id=%s outcome=%s",
        client_id or request.form.get("client_id"),
        "issued" if response.status_code == 200 else f"error_{response.status_code}",
    )
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    return get_server().create_endpoint_response("userinfo")
