"""A demo sister system: "KirPACS billedviewer (demo)" and its KirCACS twin, for `make run`.

A separate small Flask app, an ordinary relying party of Klinikadgang's OpenID Provider through
authlib's Flask client, as a sister system's developer would write one:

- Log ind: the authorization code flow with PKCE S256, `state` and `nonce`
  (https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth); the ID token is checked
  by authlib against the provider's JWKS; the clinic and function come from userinfo.
- Log ud: RP-initiated logout at the provider's `end_session_endpoint` with `id_token_hint` and a
  registered `post_logout_redirect_uri`
  (https://openid.net/specs/openid-connect-rpinitiated-1_0.html).
- Back-channel logout: the provider POSTs a logout token when the Klinikadgang session ends; it is
  validated as OpenID Connect Back-Channel Logout 1.0 §2.6 asks and ends the local sessions of
  that `sid` (or `sub`) (https://openid.net/specs/openid-connect-backchannel-1_0.html).

Its sessions are kept in memory, keyed by a random id in its own signed cookie, so that a
back-channel logout can end them; a restart logs everyone out of the demo, which is fine for it.
"""

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

EVENT = "http://schemas.openid.net/event/backchannel-logout"
SCOPE = "openid profile email clinic"
SESSION_KEY = "demo_session"
LOGOUT_TOKEN_LEEWAY = 120  # seconds of clock difference accepted on iat


@dataclass
class DemoSessions:
    """The demo's logged-in sessions, and the logout tokens' jti already seen."""

    by_key: dict[str, dict] = field(default_factory=dict)
    seen_jti: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, person: dict) -> str:
        key = secrets.token_urlsafe(24)
        with self.lock:
            self.by_key[key] = person
        return key

    def get(self, key: str | None) -> dict | None:
        with self.lock:
            return self.by_key.get(key) if key else None

    def end(self, key: str | None) -> dict | None:
        with self.lock:
            return self.by_key.pop(key, None) if key else None

    def end_matching(self, *, sid: str | None, sub: str | None) -> int:
        """End the sessions of a logout token: by sid when it has one, else every one of sub."""
        with self.lock:
            keys = [k for k, p in self.by_key.items()
                    if (p["sid"] == sid if sid else p["sub"] == sub)]
            for key in keys:
                del self.by_key[key]
            return len(keys)

    def first_use(self, jti: str, now: float) -> bool:
        with self.lock:
            for old in [j for j, seen in self.seen_jti.items() if seen < now - 3600]:
                del self.seen_jti[old]
            if jti in self.seen_jti:
                return False
            self.seen_jti[jti] = now
            return True


def create_demo_sister_app(*, name: str, client_id: str, client_secret: str, issuer: str,
                           base_url: str, secret_key: str | None = None) -> Flask:
    """The demo system at base_url (its registered URIs), a client of the provider at issuer."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret_key or secrets.token_hex(32),
                      SESSION_COOKIE_NAME=f"{client_id}_session", SESSION_COOKIE_SAMESITE="Lax",
                      DEMO_NAME=name, DEMO_CLIENT_ID=client_id, DEMO_ISSUER=issuer.rstrip("/"))
    CSRFProtect(app)
    sessions = DemoSessions()
    app.extensions["demo_sessions"] = sessions
    oauth = OAuth(app)
    provider = oauth.register(
        "klinikadgang", client_id=client_id, client_secret=client_secret,
        server_metadata_url=app.config["DEMO_ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"})
    op_origin = "{0.scheme}://{0.netloc}".format(urlsplit(app.config["DEMO_ISSUER"]))

    @app.after_request
    def headers(response):
        # The Log ud form's redirect goes on to the provider: form-action must allow its origin.
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; form-action 'self' {op_origin}; frame-ancestors 'none'")
        response.headers["Cache-Control"] = "no-store"
        return response

    def current() -> dict | None:
        return sessions.get(session.get(SESSION_KEY))

    @app.get("/")
    def index():
        person = current()
        ended = person is None and session.pop(SESSION_KEY, None) is not None
        return render_template("demo_sister/index.html", person=person, ended=ended)

    @app.get("/login")
    def login():
        """Send the person to Klinikadgang (the Kliniske systemer link points here)."""
        return provider.authorize_redirect(base_url + url_for("callback"),
                                           nonce=secrets.token_urlsafe(16))

    @app.get("/callback")
    def callback():
        if "error" in request.args:  # e.g. access_denied: no consent, or a login refused
            return render_template("demo_sister/index.html", person=None,
                                   error=request.args["error"]), 403
        try:
            token = provider.authorize_access_token()  # state, PKCE, ID token (iss, aud, nonce)
        except OAuthError as exc:  # e.g. a stale tab's state, or a code used already
            return render_template("demo_sister/index.html", person=None,
                                   error=exc.error), 400
        claims = token["userinfo"]
        info = provider.userinfo(token=token)
        if info.get("sub") != claims["sub"]:
            abort(400)
        session.clear()
        session[SESSION_KEY] = sessions.start({
            "sub": claims["sub"], "sid": claims.get("sid"), "name": info.get("name"),
            "email": info.get("email"), "clinic": info.get("clinic"),
            "function": info.get("function"), "roles": info.get("roles", []),
            "acr": claims.get("acr"), "amr": claims.get("amr", []),
            "auth_time": claims.get("auth_time"), "id_token": token["id_token"]})
        return redirect(url_for("index"))

    @app.post("/logout")
    def logout():
        """Log ud here and at Klinikadgang (RP-initiated logout, with authlib's helper)."""
        person = sessions.end(session.pop(SESSION_KEY, None))
        if person is None:
            return redirect(url_for("index"))
        return provider.logout_redirect(base_url + url_for("logged_out"),
                                        id_token_hint=person["id_token"], client_id=client_id)

    @app.get("/logget-ud")
    def logged_out():
        try:
            provider.validate_logout_response()  # the state we sent comes back
        except OAuthError:
            return redirect(url_for("index"))
        return render_template("demo_sister/index.html", person=None, logged_out=True)

    @app.post("/backchannel-logout")
    @app.extensions["csrf"].exempt
    def backchannel_logout():
        """A logout token from Klinikadgang (Back-Channel Logout 1.0 §2.5-2.8)."""
        try:
            found = _validated(request.form.get("logout_token", ""))
        except (JoseError, ValueError) as exc:
            return jsonify(error="invalid_request", error_description=str(exc)), 400
        if not sessions.first_use(found["jti"], time.time()):
            return jsonify(error="invalid_request", error_description="jti seen before"), 400
        sessions.end_matching(sid=found.get("sid"), sub=found.get("sub"))
        return "", 200

    def _validated(token: str) -> dict:
        """§2.6: signature, iss, aud, iat, jti, events, sid or sub, and no nonce."""
        metadata = provider.load_server_metadata()
        keyset = KeySet.import_key_set(provider.fetch_jwk_set())
        decoded = jwt.decode(token, keyset)  # signature with the provider's published keys
        found = decoded.claims
        audience = found.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if found.get("iss") != metadata["issuer"]:
            raise ValueError("wrong iss")
        if client_id not in audiences:
            raise ValueError("wrong aud")
        if not isinstance(found.get("iat"), int) or found["iat"] > time.time() + LOGOUT_TOKEN_LEEWAY:
            raise ValueError("bad iat")
        if found.get("exp") is not None and found["exp"] < time.time() - LOGOUT_TOKEN_LEEWAY:
            raise ValueError("expired")
        if not found.get("jti"):
            raise ValueError("no jti")
        if not isinstance(found.get("events"), dict) or EVENT not in found["events"]:
            raise ValueError("no back-channel logout event")
        if "nonce" in found:
            raise ValueError("a nonce is not allowed")
        if not found.get("sid") and not found.get("sub"):
            raise ValueError("neither sid nor sub")
        return found

    return app
