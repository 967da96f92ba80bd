"""Authlib authorization server of the simulator: code grant, PKCE S256, OpenID Connect."""

import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfoEndpoint
from flask import Flask, current_app

from .claims import id_token_claims, userinfo_claims
from .client_auth import PrivateKeyJWTAssertion, secret_basic
from .models import TOKEN_AUTH_METHODS, AccessToken, AuthorizationCode
from .oidc import SimulatorOpenIDCode
from .store import PendingAuthorization, SimulatorState, get_state

SCOPES_SUPPORTED = ["openid", "mitid", "ssn", "nemlogin"]


class StoredAuthorizationRequest(OAuth2Request):
    """An authorization request rebuilt from the server-side pending login."""

    def __init__(self, pending: PendingAuthorization):
        super().__init__("GET", pending.uri)
        self.payload = BasicOAuth2Payload(dict(pending.params))

    @property
    def args(self):
        return self.payload.data

    @property
    def form(self):
        return {}


class SimulatorAuthorizationServer(AuthorizationServer):
    """Flask authorization server that also accepts rebuilt authorization requests."""

    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)


class S256CodeChallenge(CodeChallenge):
    """PKCE that is mandatory on every request and only allows S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class SimulatorCodeGrant(AuthorizationCodeGrant):
    """Authorization code grant with in-memory, single-use, short-lived codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        if "openid" not in scope_to_list(self.request.payload.scope or ""):
            raise InvalidScopeError("The scope must contain 'openid'.", redirect_uri=redirect_uri)
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state' in request.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code, request):
        data = request.payload.data
        lifetime = current_app.config["SIMULATOR_CODE_LIFETIME"]
        get_state().save_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                subject=request.user,
                expires_at=time.time() + lifetime,
            )
        )

    def query_authorization_code(self, code, client):
        return get_state().consume_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code):
        # Nothing to do: consume_code already removed it when it was looked up.
        pass

    def authenticate_user(self, authorization_code):
        return authorization_code.subject


class SimulatorUserInfoEndpoint(UserInfoEndpoint):
    """OIDC userinfo answered with the broker's claim names."""

    def generate_user_info(self, user, scope):
        return userinfo_claims(user, scope)

    def get_issuer(self):
        return current_app.config["SIMULATOR_ISSUER"]


class SimulatorTokenValidator(BearerTokenValidator):
    """Looks bearer tokens up in the simulator state."""

    def authenticate_token(self, token_string):
        return get_state().token(token_string)


def _save_token(token: dict, request) -> None:
    code = request.authorization_code
    get_state().save_token(
        AccessToken(
            access_token=token["access_token"],
            client=request.client,
            scope=token.get("scope", ""),
            subject=request.user,
            expires_in=current_app.config["SIMULATOR_ACCESS_TOKEN_LIFETIME"],
        ),
        code.code if code else None,
    )


def init_oauth(app: Flask, state: SimulatorState) -> SimulatorAuthorizationServer:
    """Wire the authorization server, its grant and the userinfo endpoint into app."""
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": app.config["SIMULATOR_ACCESS_TOKEN_LIFETIME"]
    }
    app.config["OAUTH2_SCOPES_SUPPORTED"] = SCOPES_SUPPORTED
    server = SimulatorAuthorizationServer(
        app, query_client=state.clients.get, save_token=_save_token
    )
    # Stricter than authlib's defaults, as a conformant broker is (app/simulator/client_auth.py).
    server.register_client_auth_method("client_secret_basic", secret_basic)
    server.register_client_auth_method("private_key_jwt", PrivateKeyJWTAssertion())
    openid = SimulatorOpenIDCode(require_nonce=True, claims_for=id_token_claims)
    server.register_grant(SimulatorCodeGrant, [S256CodeChallenge(required=True), openid])
    protector = ResourceProtector()
    protector.register_token_validator(SimulatorTokenValidator())
    server.register_endpoint(SimulatorUserInfoEndpoint(resource_protector=protector))
    app.extensions["mitid_simulator_server"] = server
    return server


def get_server() -> SimulatorAuthorizationServer:
    return current_app.extensions["mitid_simulator_server"]
