"""In-memory OAuth models that Authlib's grants and validators work with."""

import hmac
import time
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin

from .identities import Identity, Organisation, subject_for

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
# Whose claim names and request parameters a client gets (app/simulator/profiles.py).
PROFILES = ("signaturgruppen", "idura")


@dataclass(frozen=True)
class SimulatorClient(ClientMixin):
    """A registered relying party."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scope: str
    client_name: str
    post_logout_redirect_uris: tuple[str, ...] = ()
    profile: str = "signaturgruppen"
    # Where the simulator POSTs logout tokens when this client's login session ends at the broker.
    backchannel_logout_uri: str | None = None
    # The one way this client authenticates at the token endpoint (app/simulator/client_auth.py);
    # private_key_jwt with its public keys inline (jwks) or at jwks_uri.
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105 (a method name)
    jwks: dict | None = None
    jwks_uri: str | None = None

    @classmethod
    def from_config(cls, entry: dict) -> "SimulatorClient":
        return cls(
            client_id=entry["client_id"],
            client_secret=entry["client_secret"],
            redirect_uris=tuple(entry["redirect_uris"]),
            scope=entry.get("scope", "openid"),
            client_name=entry.get("client_name") or entry["client_id"],
            post_logout_redirect_uris=tuple(entry.get("post_logout_redirect_uris", ())),
            profile=_profile(entry.get("profile", "signaturgruppen")),
            backchannel_logout_uri=entry.get("backchannel_logout_uri"),
            token_endpoint_auth_method=_auth_method(
                entry.get("token_endpoint_auth_method", "client_secret_basic")),
            jwks=entry.get("jwks"),
            jwks_uri=entry.get("jwks_uri"),
        )

    @property
    def client_metadata(self) -> dict:
        # Read by authlib's EndSessionEndpoint, which matches post_logout_redirect_uri exactly.
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        # OIDC requires redirect_uri on every request, so there is no fallback.
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return None
        allowed = set(scope_to_list(self.scope))
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method == self.token_endpoint_auth_method

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


def _auth_method(name: str) -> str:
    if name not in TOKEN_AUTH_METHODS:
        raise ValueError(f"unknown token_endpoint_auth_method {name!r}; known: "
                         f"{', '.join(TOKEN_AUTH_METHODS)}")
    return name


def _profile(name: str) -> str:
    if name not in PROFILES:
        raise ValueError(f"unknown simulator client profile {name!r}; known: {', '.join(PROFILES)}")
    return name


@dataclass(frozen=True)
class LoginSubject:
    """Who logged in, for which organisation if it was a MitID Erhverv login, and how.

    loa is the NSIS level reached; profile names whose claim names the answer uses; sid is the
    broker's login session this answer belongs to (set when the login session starts).
    """

    identity: Identity
    organisation: Organisation | None
    auth_time: int
    loa: str = "substantial"
    profile: str = "signaturgruppen"
    sid: str | None = None

    @property
    def sub(self) -> str:
        """Private MitID and each MitID Erhverv identity have their own subject."""
        return subject_for(self.identity.mitid_user_id,
                           self.organisation.cvr if self.organisation else None)

    @property
    def idp(self) -> str:
        return "mitid_erhverv" if self.organisation else "mitid"

    @property
    def identity_type(self) -> str:
        return "professional" if self.organisation else "private"


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued authorization code, bound to client, redirect URI and PKCE challenge."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    subject: LoginSubject
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.subject.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class AccessToken(TokenMixin):
    """An issued bearer token."""

    access_token: str
    client: SimulatorClient
    scope: str
    subject: LoginSubject
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client):
        return client.get_client_id() == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.subject

    def get_client(self):
        return self.client
