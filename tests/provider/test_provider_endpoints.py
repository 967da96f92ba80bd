"""Revocation (RFC 7009), introspection (RFC 7662) and private_key_jwt (RFC 7523), as clients see them."""

import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.helpers.db import audit_events
from tests.helpers.http import post_form
from tests.helpers.servers import LiveServer, free_port
from tests.helpers.sister import REDIRECT_URI, SisterSystem, give_consent, register
from tests.helpers.staff import login_as, user_by_id

SCOPES = ("openid", "profile", "clinic", "offline_access")
WITH_REFRESH = "openid profile offline_access"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def kirpacs(app, live_server):
    client_id, secret = register(app, scopes=SCOPES)
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


@pytest.fixture
def kircacs(app, live_server):
    client_id, secret = register(app, client_id="kircacs", scopes=SCOPES)
    return SisterSystem(live_server.url, client_id, secret)


def _tokens(client, sister, scope=WITH_REFRESH):
    """Log jonas in (once per browser) and get the sister system its tokens."""
    if client.get("/").status_code != 200:
        login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path(scope=scope))
    return sister.exchange(sister.read_redirect(answer.location)["code"])


def _basic(sister):
    return (sister.rp.client_id, sister.rp.client_secret)


def _post(live_server, path, data, auth=None):
    return requests.post(live_server.url + path, data=data, auth=auth, timeout=5)


def _userinfo_status(live_server, access_token):
    return requests.get(live_server.url + "/oidc/userinfo", timeout=5,
                        headers={"Authorization": f"Bearer {access_token}"}).status_code


def _refresh(live_server, sister, refresh_token):
    return _post(live_server, "/oidc/token", {"grant_type": "refresh_token",
                                              "refresh_token": refresh_token}, _basic(sister))


def _introspect(live_server, sister, token, **extra):
    return _post(live_server, "/oidc/introspect", {"token": token, **extra}, _basic(sister))


# Revocation (RFC 7009)

def test_revoking_a_refresh_token_ends_its_whole_family(app, client, kirpacs, live_server):
    first = _tokens(client, kirpacs)
    second = _refresh(live_server, kirpacs, first["refresh_token"]).json()
    answer = _post(live_server, "/oidc/revoke", {"token": second["refresh_token"],
                                                 "token_type_hint": "refresh_token"},
                   _basic(kirpacs))
    assert answer.status_code == 200
    assert _userinfo_status(live_server, first["access_token"]) == 401
    assert _userinfo_status(live_server, second["access_token"]) == 401
    assert _refresh(live_server, kirpacs, second["refresh_token"]).json()["error"] == "invalid_grant"
    [event] = audit_events(app, "op_token_revoked")
    assert event.actor == "oidc_client:kirpacs" and event.target_id == "kirpacs"
    assert '"token_type": "refresh_token"' in event.detail
    assert second["refresh_token"] not in event.detail


def test_revoking_an_access_token_ends_that_token_and_its_refresh_token(
        app, client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    other = _tokens(client, kirpacs)  # a second sign-in of the same person stays
    answer = _post(live_server, "/oidc/revoke", {"token": tokens["access_token"]},
                   _basic(kirpacs))
    assert answer.status_code == 200
    assert _userinfo_status(live_server, tokens["access_token"]) == 401
    assert _refresh(live_server, kirpacs, tokens["refresh_token"]).status_code == 400
    assert _userinfo_status(live_server, other["access_token"]) == 200
    [event] = audit_events(app, "op_token_revoked")
    assert '"token_type": "access_token"' in event.detail


def test_a_wrong_hint_still_finds_the_token(client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    _post(live_server, "/oidc/revoke", {"token": tokens["refresh_token"],
                                        "token_type_hint": "access_token"}, _basic(kirpacs))
    assert _userinfo_status(live_server, tokens["access_token"]) == 401


def test_another_clients_token_is_not_revoked_and_the_answer_tells_nothing(
        app, client, kirpacs, kircacs, live_server):
    tokens = _tokens(client, kirpacs)
    answer = _post(live_server, "/oidc/revoke", {"token": tokens["refresh_token"]},
                   _basic(kircacs))
    unknown = _post(live_server, "/oidc/revoke", {"token": "not-a-token"}, _basic(kircacs))
    assert answer.status_code == unknown.status_code == 200
    assert answer.content == unknown.content
    assert _userinfo_status(live_server, tokens["access_token"]) == 200
    assert _refresh(live_server, kirpacs, tokens["refresh_token"]).status_code == 200
    assert audit_events(app, "op_token_revoked") == []
    [event] = audit_events(app, "op_token_revocation_ignored")
    assert event.actor == "oidc_client:kircacs" and '"owner": "kirpacs"' in event.detail


@pytest.mark.parametrize("auth", [None, ("kirpacs", "wrong"), ("nobody", "x")])
def test_revocation_without_the_clients_own_authentication_is_refused(
        client, kirpacs, live_server, auth):
    tokens = _tokens(client, kirpacs)
    data = {"token": tokens["access_token"]}
    if auth is None:
        data["client_id"] = "kirpacs"  # names itself without its secret
    answer = _post(live_server, "/oidc/revoke", data, auth)
    assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"
    assert _userinfo_status(live_server, tokens["access_token"]) == 200


@pytest.mark.parametrize(("data", "error"), [
    ({}, "invalid_request"),
    ({"token": "x", "token_type_hint": "id_token"}, "unsupported_token_type"),
])
def test_a_malformed_revocation_request_is_refused(kirpacs, live_server, data, error):
    answer = _post(live_server, "/oidc/revoke", data, _basic(kirpacs))
    # authlib answers unsupported_token_type with 401 (its ForbiddenError); RFC 7009 names no status
    assert answer.status_code in (400, 401) and answer.json()["error"] == error


def test_a_public_client_revokes_its_own_token_by_naming_itself(app, client, live_server):
    client_id, _ = register(app, client_id="kiroviden", auth_method="none")
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, None, auth_method="none")
    login_as(client, "jonas.holm", function="secretary")
    pkce, verifier = sister.rp.add_code_challenge()
    answer = client.get(sister.authorization_path(**pkce))
    tokens = sister.exchange(sister.read_redirect(answer.location)["code"], code_verifier=verifier)
    answer = _post(live_server, "/oidc/revoke", {"token": tokens["access_token"],
                                                 "client_id": client_id})
    assert answer.status_code == 200
    assert _userinfo_status(live_server, tokens["access_token"]) == 401


def test_the_revocation_endpoint_needs_no_csrf_token_but_a_post(kirpacs, live_server):
    assert requests.get(live_server.url + "/oidc/revoke", timeout=5).status_code == 405
    assert _post(live_server, "/oidc/revoke", {"token": "x"}, _basic(kirpacs)).status_code == 200


@pytest.mark.ratelimit
@pytest.mark.parametrize("path", ["/oidc/revoke", "/oidc/introspect"])
def test_revocation_and_introspection_are_rate_limited_like_the_token_endpoint(app, client, path):
    app.config["SERVER_RATE_LIMIT"] = "5 per minute"
    answers = [client.post(path, data={"token": "x"},
                           environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code
               for _ in range(6)]
    assert answers[:5] == [401] * 5 and answers[5] == 429  # unauthenticated, then limited


# Introspection (RFC 7662)

def test_an_active_access_token_says_whose_it_is_as_the_id_token_does(
        app, client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs, scope="openid profile clinic")
    answer = _introspect(live_server, kirpacs, tokens["access_token"])
    assert answer.status_code == 200
    found, id_token = answer.json(), tokens["id_token"]
    assert found["active"] is True and found["token_type"] == "Bearer"
    assert found["sub"] == id_token["sub"] and found["sid"] == id_token["sid"]
    assert found["client_id"] == "kirpacs" and found["iss"] == live_server.url
    assert found["scope"] == "openid profile clinic"
    assert found["exp"] - found["iat"] == 300  # the client's access token lifetime


def test_an_active_refresh_token_is_not_called_a_bearer_token(client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    found = _introspect(live_server, kirpacs, tokens["refresh_token"]).json()
    assert found["active"] is True and found["token_use"] == "refresh_token"
    assert "token_type" not in found
    assert found["exp"] - found["iat"] == 8 * 3600


def test_a_revoked_token_is_inactive(client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    _post(live_server, "/oidc/revoke", {"token": tokens["refresh_token"]}, _basic(kirpacs))
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert _introspect(live_server, kirpacs, token).json() == {"active": False}


def test_a_rotated_refresh_token_is_inactive(client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    new = _refresh(live_server, kirpacs, tokens["refresh_token"]).json()
    assert _introspect(live_server, kirpacs, tokens["refresh_token"]).json() == {"active": False}
    assert _introspect(live_server, kirpacs, new["refresh_token"]).json()["active"] is True


def test_an_expired_access_token_is_inactive(client, kirpacs, live_server, request):
    tokens = _tokens(client, kirpacs)
    clock = request.getfixturevalue("clock")  # frozen only now: pyoidc checks real time
    clock.now = datetime.now(UTC) + timedelta(seconds=301)
    assert _introspect(live_server, kirpacs, tokens["access_token"]).json() == {"active": False}
    assert _introspect(live_server, kirpacs, tokens["refresh_token"]).json()["active"] is True


def _offboard_jonas(app, _client):
    hanne = login_as(app.test_client(), "hanne.lund")  # the clinic's administrator
    uid = user_by_id(app, "jho").id
    post_form(hanne, f"/clinic/memberships/{uid}/end", {}, page=f"/clinic/memberships/{uid}/end")


def _log_ud(_app, client):
    post_form(client, "/logout", {}, page="/")


@pytest.mark.parametrize("end", [_log_ud, _offboard_jonas], ids=["log_ud", "offboarding"])
def test_tokens_of_an_ended_login_session_are_inactive(app, client, kirpacs, live_server, end):
    tokens = _tokens(client, kirpacs)
    assert _introspect(live_server, kirpacs, tokens["access_token"]).json()["active"] is True
    end(app, client)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert _introspect(live_server, kirpacs, token).json() == {"active": False}


def test_another_clients_token_is_inactive_to_it(client, kirpacs, kircacs, live_server):
    tokens = _tokens(client, kirpacs)
    assert _introspect(live_server, kircacs, tokens["access_token"]).json() == {"active": False}
    assert _introspect(live_server, kircacs, "not-a-token").json() == {"active": False}


def test_introspection_is_for_authenticated_confidential_clients_only(
        app, client, kirpacs, live_server):
    tokens = _tokens(client, kirpacs)
    register(app, client_id="kiroviden", auth_method="none")
    for data, auth in [({}, None), ({"client_id": "kiroviden"}, None),
                       ({"client_id": "kirpacs"}, None), ({}, ("kirpacs", "wrong"))]:
        answer = _post(live_server, "/oidc/introspect", {"token": tokens["access_token"], **data},
                       auth)
        assert answer.status_code in (400, 401), (data, auth)
        assert answer.json()["error"] == "invalid_client"
        assert "active" not in answer.json()


def test_an_introspection_request_without_a_token_is_refused(kirpacs, live_server):
    answer = _post(live_server, "/oidc/introspect", {}, _basic(kirpacs))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


# private_key_jwt (RFC 7523 §2.2, §3)

class JwksServer:
    """A sister system's published keys on loopback: the JWKS it serves, or 503 when down."""

    def __init__(self):
        self.jwks, self.down, self.body = {"keys": []}, False, None
        app = Flask("sister_jwks")

        @app.get("/jwks.json")
        def jwks():
            if self.down:
                return "", 503
            return self.body if self.body is not None else self.jwks

        self.server = LiveServer(app)
        self.uri = self.server.url + "/jwks.json"


@pytest.fixture
def jwks_server():
    found = JwksServer()
    yield found
    found.server.shutdown()


@pytest.fixture
def key(jwks_server):
    """The sister system's EC P-256 key, published at its jwks_uri."""
    private = ECKey.generate_key("P-256", parameters={"kid": "kircacs-1", "use": "sig"})
    jwks_server.jwks["keys"].append(private.as_dict(private=False))
    return private


@pytest.fixture
def kircacs_jwt(app, live_server, jwks_server):
    client_id, secret = register(app, client_id="kircacs", auth_method="private_key_jwt",
                                 scopes=SCOPES, jwks_uri=jwks_server.uri)
    assert secret is None  # no secret is made for it
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, None, auth_method="private_key_jwt")


def _assertion(live_server, key, *, alg="ES256", **claims):
    now = int(time.time())
    found = {"iss": "kircacs", "sub": "kircacs", "aud": live_server.url + "/oidc/token",
             "jti": secrets.token_urlsafe(16), "iat": now, "exp": now + 60, **claims}
    found = {name: value for name, value in found.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, found, key, algorithms=[alg])


def _code(client, sister):
    if client.get("/").status_code != 200:
        login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path(scope=WITH_REFRESH))
    return sister.read_redirect(answer.location)["code"]


def _exchange(live_server, code, assertion, auth=None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if assertion is not None:
        data.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    return _post(live_server, "/oidc/token", data, auth)


def _refused(answer, description=None):
    found = answer.json()
    return (answer.status_code in (400, 401) and found["error"] == "invalid_client"
            and (description is None or found.get("error_description") == description))


@pytest.mark.parametrize("audience", ["token_endpoint", "issuer"])
def test_a_client_assertion_signed_with_the_registered_key_gets_tokens(
        client, kircacs_jwt, key, live_server, audience):
    aud = live_server.url + ("/oidc/token" if audience == "token_endpoint" else "")
    answer = _exchange(live_server, _code(client, kircacs_jwt),
                       _assertion(live_server, key, aud=aud))
    assert answer.status_code == 200, answer.text
    assert answer.json()["id_token"] and answer.json()["refresh_token"]


def test_an_rsa_key_works_too(client, kircacs_jwt, jwks_server, live_server):
    rsa = RSAKey.generate_key(2048, parameters={"kid": "kircacs-rsa"})
    jwks_server.jwks["keys"] = [rsa.as_dict(private=False)]
    answer = _exchange(live_server, _code(client, kircacs_jwt),
                       _assertion(live_server, rsa, alg="RS256"))
    assert answer.status_code == 200, answer.text


def test_a_reused_jti_is_refused(client, kircacs_jwt, key, live_server):
    assertion = _assertion(live_server, key)
    assert _exchange(live_server, _code(client, kircacs_jwt), assertion).status_code == 200
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion),
                    "JWT ID is used before.")


def test_a_jti_spent_on_a_failed_request_stays_spent(client, kircacs_jwt, key, live_server):
    assertion = _assertion(live_server, key)
    answer = _exchange(live_server, "no-such-code", assertion)
    assert answer.json()["error"] == "invalid_grant"
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion),
                    "JWT ID is used before.")


def test_an_assertion_signed_with_another_key_is_refused(client, kircacs_jwt, key, live_server):
    other = ECKey.generate_key("P-256", parameters={"kid": key.kid})  # same kid, other key
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt),
                              _assertion(live_server, other)))


def test_an_assertion_with_an_unknown_kid_is_refused(client, kircacs_jwt, key, live_server):
    other = ECKey.generate_key("P-256", parameters={"kid": "somebody-else"})
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt),
                              _assertion(live_server, other)))


def test_an_expired_assertion_is_refused(client, kircacs_jwt, key, live_server):
    now = int(time.time())
    assertion = _assertion(live_server, key, iat=now - 600, exp=now - 300)
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion))


def test_an_assertion_valid_for_hours_is_refused(client, kircacs_jwt, key, live_server):
    # Its jti would have to be kept as long; a client assertion is for one request.
    assertion = _assertion(live_server, key, exp=int(time.time()) + 6 * 3600)
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion))
    five_minutes = _assertion(live_server, key, exp=int(time.time()) + 300)
    assert "id_token" in _exchange(live_server, _code(client, kircacs_jwt), five_minutes).json()


@pytest.mark.parametrize("claims", [
    {"aud": "https://kirpacs.example/oidc/token"},  # another server
    {"aud": None},
    {"exp": None},
    {"jti": None},
    {"iss": "kirpacs"},  # iss and sub differ
    {"jti": "x" * 300},  # longer than any jti we keep
])
def test_an_assertion_with_wrong_or_missing_claims_is_refused(
        client, kircacs_jwt, key, live_server, claims):
    assertion = _assertion(live_server, key, **claims)
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion))


def test_an_hmac_assertion_is_refused(client, kircacs_jwt, jwks_server, live_server):
    secret = OctKey.generate_key(256, parameters={"kid": "kircacs-hs"})
    jwks_server.jwks["keys"] = [secret.as_dict(private=True)]
    assertion = _assertion(live_server, secret, alg="HS256")
    assert _refused(_exchange(live_server, _code(client, kircacs_jwt), assertion),
                    "The assertion must be signed ES256 or RS256.")


def test_a_secret_is_refused_for_a_private_key_jwt_client(client, kircacs_jwt, key, live_server):
    code = _code(client, kircacs_jwt)
    assert _refused(_exchange(live_server, code, None, auth=("kircacs", "guessed-secret")))
    assert _refused(_exchange(live_server, code, None, auth=("kircacs", "")))


def test_a_secret_client_cannot_switch_to_an_assertion(app, client, kirpacs, key, live_server,
                                                       jwks_server):
    code = _code(client, kirpacs)
    assertion = _assertion(live_server, key, iss="kirpacs", sub="kirpacs")
    assert _refused(_exchange(live_server, code, assertion),
                    "The client has no registered jwks_uri.")


@pytest.mark.parametrize("outage", ["503", "refused", "not_json", "no_signing_keys"])
def test_a_jwks_that_cannot_be_read_is_the_clients_invalid_client(
        app, client, kircacs_jwt, key, jwks_server, live_server, outage):
    if outage == "503":
        jwks_server.down = True
    elif outage == "not_json":
        jwks_server.body = "<html>maintenance</html>"
    elif outage == "no_signing_keys":
        jwks_server.jwks["keys"] = [{**key.as_dict(private=False), "use": "enc"}]
    else:
        from sqlmodel import select

        from app.core.db import get_session
        from app.models import OIDCClient

        with app.app_context():  # nothing listens there
            db = get_session()
            row = db.exec(select(OIDCClient).where(OIDCClient.client_id == "kircacs")).one()
            row.jwks_uri = f"http://127.0.0.1:{free_port()}/jwks.json"
            db.commit()
    answer = _exchange(live_server, _code(client, kircacs_jwt), _assertion(live_server, key))
    assert _refused(answer, "The client's JWKS holds no signature key." if outage ==
                    "no_signing_keys" else "The client's JWKS could not be read.")


def test_private_key_jwt_works_at_revocation_and_introspection(client, kircacs_jwt, key,
                                                               live_server):
    tokens = _exchange(live_server, _code(client, kircacs_jwt), _assertion(live_server, key)).json()

    def call(path, **data):
        return _post(live_server, path, {"token": tokens["access_token"], **data,
                                         "client_assertion_type": ASSERTION_TYPE,
                                         "client_assertion": _assertion(live_server, key)})
    assert call("/oidc/introspect").json()["active"] is True
    assert call("/oidc/revoke").status_code == 200
    assert call("/oidc/introspect").json() == {"active": False}
    refused = _post(live_server, "/oidc/introspect", {"token": tokens["access_token"]},
                    ("kircacs", "guessed-secret"))
    assert _refused(refused)
