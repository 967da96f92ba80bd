"""Fixtures for the MitID simulator: a live server and a relying party that walks the flow."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from app.simulator import create_simulator_app, serve_simulator

STAFF_CLIENT = ("klinikadgang-staff", "dev-staff-secret")
STAFF_REDIRECT_URI = "http://127.0.0.1:5000/auth/mitid/callback"
_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class RelyingParty:
    """A minimal OIDC client driving the simulator over HTTP, like the app will."""

    def __init__(self, base_url: str, client=STAFF_CLIENT, redirect_uri=STAFF_REDIRECT_URI):
        self.base_url = base_url
        self.client_id, self.client_secret = client
        self.redirect_uri = redirect_uri
        self.http = requests.Session()
        self.state = self.nonce = self.verifier = None

    def authorize(self, scope="openid mitid ssn", **overrides) -> requests.Response:
        """Start a login; overrides replace or (with None) drop query parameters."""
        self.verifier, challenge = pkce_pair()
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        params = {key: value for key, value in params.items() if value is not None}
        return self.get("/authorize", params=params)

    def get(self, path, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=10, **kwargs)

    def post(self, path, **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, allow_redirects=False, timeout=10, **kwargs)

    def submit(self, page: requests.Response, path: str, **fields) -> requests.Response:
        """Post a form of page, carrying its hidden request id like a browser would."""
        request_id = _REQUEST_ID.search(page.text).group(1)
        return self.post(path, data={"request_id": request_id, **fields})

    def login(self, user_id: str, login_as: str | None = None, **authorize_args) -> dict:
        """Walk the whole login and return the callback's query parameters."""
        page = self.submit(self.authorize(**authorize_args), "/authorize/login", user_id=user_id)
        if login_as is not None:
            page = self.submit(page, "/authorize/choose", login_as=login_as)
        return self.callback(self.submit(page, "/authorize/approve"))

    def callback(self, response: requests.Response) -> dict:
        """Query parameters of a redirect to this relying party's callback."""
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.redirect_uri
        return {key: values[0] for key, values in parse_qs(location.query).items()}

    def exchange(self, code: str, verifier: str | None = None, auth="basic") -> requests.Response:
        """Redeem a code at the token endpoint with client_secret_basic or client_secret_post."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier or self.verifier,
        }
        if auth == "basic":
            return self.post("/token", data=form, auth=(self.client_id, self.client_secret))
        form.update(client_id=self.client_id, client_secret=self.client_secret)
        return self.post("/token", data=form)

    def tokens(self, user_id: str, login_as: str | None = None, **authorize_args) -> dict:
        """Log in and redeem the code; returns the token response."""
        code = self.login(user_id, login_as, **authorize_args)["code"]
        response = self.exchange(code)
        assert response.status_code == 200, response.text
        return response.json()

    def userinfo(self, access_token: str) -> requests.Response:
        return self.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})

    def decode_id_token(self, id_token: str):
        """Verify the ID token signature against the simulator's JWKS."""
        published = self.get("/jwks").json()
        algs = [key["alg"] for key in published["keys"]]  # the simulator's ES256 or RS256
        return jwt.decode(id_token, KeySet.import_key_set(published), algorithms=algs)

    def validate_claims(self, claims: dict, issuer: str) -> None:
        """Check iss, aud, nonce and exp as a relying party must."""
        JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": self.nonce},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(claims)


@pytest.fixture
def serve():
    """Start simulators with given config; all are stopped after the test."""
    servers = []

    def start(config: dict | None = None):
        app = create_simulator_app(config)
        server = serve_simulator(app)
        servers.append(server)
        return app, server

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def simulator(serve):
    """A running simulator with default configuration: (app, server)."""
    return serve()


@pytest.fixture
def rp(simulator):
    """The staff relying party against the default simulator."""
    return RelyingParty(simulator[1].url)


@pytest.fixture
def rp_for():
    """Build a relying party for another simulator server."""
    return lambda server, **kwargs: RelyingParty(server.url, **kwargs)
