"""A sister system as a test drives it: pyoidc (an OpenID Connect client other than authlib)."""

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from oic.oic import Client
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from app.blueprints.dev import sisters
from app.demo_sister import create_demo_sister_app
from app.provider import clients
from tests.helpers.servers import LiveServer, free_port

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never called: the test reads the code


def register(app, *, client_id="kirpacs", auth_method="client_secret_basic",
             scopes=("openid", "profile", "email", "clinic"), **extra):
    """Register a client with the provider; returns (row, secret)."""
    with app.app_context():
        settings = clients.ClientSettings(name=client_id.upper(), client_id=client_id,
                                          redirect_uris=[REDIRECT_URI], scopes=list(scopes),
                                          auth_method=auth_method, **extra)
        row, secret = clients.add_client(settings, actor="test")
        return row.client_id, secret


def give_consent(app, legacy_user_id: str) -> None:
    """The person's consent to share the profile across the systems (the demo has none)."""
    from sqlmodel import select

    from app import consent
    from app.core.db import get_session
    from app.models import StaffUser

    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id)).one()
        consent.set_consent(staff_user_id=user.id, given=True, method="test", actor="test")
        db.commit()


class SisterSystem:
    """One relying party: discovery, authorization request, code exchange, userinfo (pyoidc)."""

    def __init__(self, issuer: str, client_id: str, secret: str | None,
                 auth_method: str = "client_secret_basic"):
        self.rp = Client(client_authn_method=CLIENT_AUTHN_METHOD)
        self.rp.provider_config(issuer)
        info = {"client_id": client_id, "redirect_uris": [REDIRECT_URI],
                "token_endpoint_auth_method": auth_method}
        if secret:
            info["client_secret"] = secret
        self.rp.store_registration_info(RegistrationResponse(**info))
        self.auth_method = auth_method
        self.state = self.nonce = None

    def authorization_path(self, scope="openid profile clinic", **extra) -> str:
        """The path of the authorization request the browser is sent to."""
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        args = {"response_type": "code", "scope": scope, "redirect_uri": REDIRECT_URI,
                "state": self.state, "nonce": self.nonce, **extra}
        url = self.rp.construct_AuthorizationRequest(request_args=args).request(
            self.rp.authorization_endpoint)
        parts = urlsplit(url)
        return parts.path + "?" + parts.query

    def read_redirect(self, location: str) -> AuthorizationResponse:
        """The authorization response at our redirect URI, checked by pyoidc (state)."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI, location
        return self.rp.parse_response(AuthorizationResponse, info=parts.query,
                                      sformat="urlencoded", state=self.state)

    def exchange(self, code: str, **request_args):
        """Code → tokens; pyoidc verifies the ID token (signature, iss, aud, nonce)."""
        if self.auth_method == "none":  # a public client names itself and authenticates not
            request_args = {"client_id": self.rp.client_id, **request_args}
        return self.rp.do_access_token_request(
            state=self.state, request_args={"code": code, **request_args},
            authn_method="" if self.auth_method == "none" else self.auth_method)

    def userinfo(self):
        return self.rp.do_user_info_request(state=self.state, behavior="use_authorization_header")


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Demo:
    """A demo sister system (app/demo_sister) served on loopback, and a test client of it."""

    client_id: str
    url: str
    app: object
    browser: object  # the demo's test client: the person's cookies at the demo
    server: LiveServer

    def path_of(self, location: str) -> str:
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}" == self.url, location
        return parts.path + ("?" + parts.query if parts.query else "")

    def page(self) -> str:
        return self.browser.get("/").get_data(as_text=True)


def serve_demo_sisters(app, issuer: str) -> dict[str, Demo]:
    """KirPACS and KirCACS demo apps, registered as `make run` registers them (shut them down)."""
    found = {}
    for sister in sisters.DEMO_SISTERS:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with app.app_context():
            _row, secret = clients.add_client(sisters.demo_settings(sister, url), actor="test")
        demo_app = create_demo_sister_app(name=sister.name, client_id=sister.client_id,
                                          client_secret=secret, issuer=issuer, base_url=url)
        found[sister.client_id] = Demo(sister.client_id, url, demo_app, demo_app.test_client(),
                                       LiveServer(demo_app, port=port))
    return found
