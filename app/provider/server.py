"""authlib's authorization server, wired to the provider's tables.

Code flow only (https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth): codes are
single use and live OP_CODE_SECONDS; a code presented twice revokes what it issued (RFC 6749
§4.1.2); PKCE S256 is required of public clients and accepted from all (RFC 7636, RFC 9700
§2.1.1); refresh tokens rotate and a reused one ends its family (RFC 9700 §4.14.2).
"""

import secrets
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    TokenMixin,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import current_app, request
from sqlmodel import select, update

from app.blueprints.auth.sessions import ran_out
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import LoginSession, OIDCClient, OPAuthorizationCode, OPToken, StaffUser
from app.provider import claims, clients, issuer, keys
from app.provider.client_auth import PrivateKeyJWT
from app.security import token_hash


class ProviderClient(ClientMixin):
    """A registered sister system, as authlib asks about it."""

    def __init__(self, row: OIDCClient):
        self.row = row
        self.client_id = row.client_id

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": clients.uris(self.row, "post_logout_redirect_uris"),
                "token_endpoint_auth_method": self.row.auth_method}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None  # OpenID Connect: redirect_uri on every request

    def get_allowed_scope(self, scope):
        allowed = set(scope_to_list(self.row.scopes))
        return " ".join(s for s in scope_to_list(scope or "") if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in clients.uris(self.row, "redirect_uris")  # exact match

    def check_client_secret(self, client_secret):
        return clients.check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.row.auth_method

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        if grant_type == "refresh_token":
            return "offline_access" in scope_to_list(self.row.scopes)
        return grant_type == "authorization_code"

    @property
    def is_public(self) -> bool:
        return self.row.auth_method == "none"


def query_client(client_id: str) -> ProviderClient | None:
    row = clients.find_client(client_id or "")
    return ProviderClient(row) if row else None


def live_session(login_session_id: int) -> LoginSession | None:
    """The login session behind a code or token, while it is open (not ended, idle or expired)."""
    row = get_session().get(LoginSession, login_session_id)
    if row is None or row.ended_at is not None or ran_out(row, utcnow()):
        return None
    return row


def person_of(login_session_id: int) -> claims.Person | None:
    row = live_session(login_session_id)
    if row is None:
        return None
    return claims.Person(get_session().get(StaffUser, row.staff_user_id), row)


class StoredCode(AuthorizationCodeMixin):
    """An issued code with what the ID token says of its login."""

    def __init__(self, row: OPAuthorizationCode, login: LoginSession):
        self.row, self.login = row, login
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self):
        return self.row.redirect_uri

    def get_scope(self):
        return self.row.scope

    def get_nonce(self):
        return self.row.nonce

    def get_auth_time(self):
        return claims.auth_time_of(self.login)

    def get_acr(self):
        return claims.acr_of(self.login)

    def get_amr(self):
        return claims.amr_of(self.login)


def revoke_family(family: str) -> None:
    """End every token of one grant (a replayed code or refresh token)."""
    get_session().exec(update(OPToken).where(OPToken.family == family,
                                             OPToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


class S256Only(CodeChallenge):
    """PKCE with S256 only; a challenge without its method would mean `plain`."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256",
                                      redirect_uri=redirect_uri)
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE (S256) is required for public clients",
                                      redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = clients.AUTH_METHODS

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        asked = scope_to_list(self.request.payload.scope or "")
        allowed = scope_to_list(self.request.client.row.scopes)
        if "openid" not in asked or set(asked) - set(allowed):
            raise InvalidScopeError("The scope must hold openid and only the client's scopes.",
                                    redirect_uri=redirect_uri)
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state'.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code, request):
        data = request.payload.data
        get_session().add(OPAuthorizationCode(
            code_hash=token_hash(code), client_id=request.client.client_id,
            login_session_id=request.user.login_session.id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope or "",
            nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            expires_at=utcnow() + timedelta(seconds=current_app.config["OP_CODE_SECONDS"])))
        get_session().commit()

    def query_authorization_code(self, code, client):
        db = get_session()
        row = db.exec(select(OPAuthorizationCode).where(
            OPAuthorizationCode.code_hash == token_hash(code),
            OPAuthorizationCode.client_id == client.client_id)).first()
        if row is None:
            return None
        if row.used_at is not None:
            # A second use: whoever holds it, what the first use issued is revoked.
            for family in db.exec(select(OPToken.family).where(OPToken.code_id == row.id)):
                revoke_family(family)
            db.commit()
            return None
        login = live_session(row.login_session_id)
        if row.expires_at <= utcnow() or login is None:
            return None
        return StoredCode(row, login)

    def delete_authorization_code(self, authorization_code):
        authorization_code.row.used_at = utcnow()
        get_session().commit()

    def authenticate_user(self, authorization_code):
        return person_of(authorization_code.row.login_session_id)


class ProviderOpenIDCode(OpenIDCode):
    """ID tokens signed with the provider's current key, with `sid`."""

    def exists_nonce(self, nonce, request):
        return get_session().exec(select(OPAuthorizationCode.id).where(
            OPAuthorizationCode.client_id == request.payload.client_id,
            OPAuthorizationCode.nonce == nonce)).first() is not None

    def resolve_client_private_key(self, client):
        return keys.private_key(keys.current_key())

    def get_client_algorithm(self, client):
        return keys.current_key().alg

    def get_encode_header(self, client):
        row = keys.current_key()
        return {"alg": row.alg, "kid": row.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        now = int(utcnow().timestamp())
        return {"iss": issuer(), "aud": client.client_id, "iat": now,
                "exp": now + current_app.config["OP_ID_TOKEN_SECONDS"]}

    def get_authorization_code_claims(self, authorization_code):
        found = super().get_authorization_code_claims(authorization_code)
        found["sid"] = claims.session_id_of(authorization_code.login)
        return found

    def generate_user_info(self, user, scope):
        return claims.user_info(user, scope)


class StoredToken(TokenMixin):
    """An issued token row, as presented: its access token (the default) or its refresh token."""

    def __init__(self, row: OPToken, person: claims.Person | None,
                 presented: str = "access_token"):
        self.row, self.person, self.presented = row, person, presented
        self.scope = row.scope  # read as an attribute by authlib's userinfo endpoint

    def check_client(self, client):
        return client.client_id == self.row.client_id

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return int((self.row.access_expires_at - self.row.issued_at).total_seconds())

    def expires_at(self):
        if self.presented == "refresh_token":
            return self.row.refresh_expires_at
        return self.row.access_expires_at

    def is_expired(self):
        expires = self.expires_at()
        return expires is None or expires <= utcnow()

    def is_revoked(self):
        """Revoked, its login session ended, or (a refresh token) already rotated."""
        if self.row.revoked_at is not None or self.person is None:
            return True
        return self.presented == "refresh_token" and self.row.rotated_at is not None

    def is_refresh_token_valid(self):
        expires = self.row.refresh_expires_at
        return (self.row.revoked_at is None and self.row.rotated_at is None
                and expires is not None and expires > utcnow())

    def get_user(self):
        return self.person

    def get_client(self):
        return query_client(self.row.client_id)


def find_token(token_string: str, hint: str | None = None) -> StoredToken | None:
    """The issued token with this value: the hinted kind first, then the other (RFC 7009 §2.1)."""
    columns = {"access_token": OPToken.access_token_hash,
               "refresh_token": OPToken.refresh_token_hash}
    kinds = sorted(columns, key=lambda kind: kind != hint)
    hashed = token_hash(token_string or "")
    for kind in kinds:
        row = get_session().exec(select(OPToken).where(columns[kind] == hashed)).first()
        if row is not None:
            return StoredToken(row, person_of(row.login_session_id), presented=kind)
    return None


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = clients.AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        db = get_session()
        row = db.exec(select(OPToken).where(
            OPToken.refresh_token_hash == token_hash(refresh_token))).first()
        if row is None:
            return None
        if row.rotated_at is not None:
            revoke_family(row.family)  # an old refresh token again: the chain ends
            db.commit()
            return None
        token = StoredToken(row, person_of(row.login_session_id), presented="refresh_token")
        if not (token.is_refresh_token_valid() and token.person):
            return None
        # Work in a sister system is work: the Klinikadgang session does not go idle meanwhile
        # (saved with the new tokens). Its absolute expiry still ends it.
        token.person.login_session.last_seen_at = utcnow()
        return token

    def authenticate_user(self, refresh_token):
        return refresh_token.person

    def revoke_old_credential(self, refresh_token):
        refresh_token.row.rotated_at = utcnow()
        get_session().commit()


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = get_session().exec(select(OPToken).where(
            OPToken.access_token_hash == token_hash(token_string))).first()
        return StoredToken(row, person_of(row.login_session_id)) if row else None


class ProviderUserInfo(UserInfoEndpoint):
    def get_issuer(self):
        return issuer()

    def generate_user_info(self, user, scope):
        return claims.user_info(user, scope)


class ProviderIssuer(IssuerParameter):
    """RFC 9207: `iss` on every authorization response, errors included."""

    def get_issuer(self):
        return issuer()


def error_redirect(error):
    """An authorization error sent to the client's (validated) redirect URI, with `iss`.

    authlib adds `iss` in its create_authorization_response hook only; an error raised before
    (prompt=none without a session, say) is answered here, so it gets it too (RFC 9207 §2).
    """
    server = get_server()
    response = server.handle_error_response(request, error)
    ProviderIssuer().add_issuer_parameter(server, response)
    return response


def _expires_in(client, grant_type):
    return client.row.access_token_seconds


def save_token(token: dict, request) -> None:
    """Store hashes of what was issued; a refresh stays in its family."""
    now = utcnow()
    client = request.client
    old = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    refresh = token.get("refresh_token")
    get_session().add(OPToken(
        client_id=client.client_id, login_session_id=request.user.login_session.id,
        scope=token.get("scope", ""), access_token_hash=token_hash(token["access_token"]),
        refresh_token_hash=token_hash(refresh) if refresh else None,
        code_id=code.row.id if code is not None else None,
        family=old.row.family if old is not None else secrets.token_hex(16),
        issued_at=now, access_expires_at=now + timedelta(seconds=token["expires_in"]),
        refresh_expires_at=(now + timedelta(seconds=client.row.refresh_token_seconds)
                            if refresh else None)))
    get_session().commit()


def init_app(app) -> AuthorizationServer:
    from app.provider.token_endpoints import ProviderIntrospection, ProviderRevocation

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", BearerTokenGenerator(
        access_token_generator=lambda *a, **k: secrets.token_urlsafe(32),
        refresh_token_generator=lambda *a, **k: secrets.token_urlsafe(32),
        expires_generator=_expires_in))
    server.register_grant(CodeGrant, [S256Only(required=True),
                                      ProviderOpenIDCode(require_nonce=False)])
    server.register_grant(RefreshGrant)
    server.register_extension(ProviderIssuer())
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator())
    server.register_endpoint(ProviderUserInfo(resource_protector=protector))
    server.register_endpoint(ProviderEndSession())
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_endpoint(ProviderRevocation)
    server.register_endpoint(ProviderIntrospection)
    app.extensions["oidc_provider"] = server
    return server


def get_server() -> AuthorizationServer:
    return current_app.extensions["oidc_provider"]


class ProviderEndSession(EndSessionEndpoint):
    """RP-initiated logout: a sister system's Log ud ends the Klinikadgang session too.

    https://openid.net/specs/openid-connect-rpinitiated-1_0.html, with authlib's endpoint:
    id_token_hint checked against our keys, post_logout_redirect_uri exact-matched.
    """

    def get_server_jwks(self):
        return keys.public_jwks()

    def end_session(self, end_session_request):
        from flask_login import current_user

        from app import broker_sessions
        from app.blueprints.auth.sessions import end_login_session
        from app.oidc import staff_broker

        if not current_user.is_authenticated:
            return
        hinted = (end_session_request.id_token_claims or {}).get("sub")
        if hinted is not None and hinted != claims.subject_of(current_user.user):
            return  # the hint is someone else's: this browser's person stays logged in
        row = current_user.login_session
        method, row_id = row.method, row.id
        end_login_session(current_user._get_current_object(), reason="sister_logout")
        if method == "mitid":
            broker_sessions.logged_out(staff_broker(), row_id=row_id)
