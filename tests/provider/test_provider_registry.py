"""The provider's clients and signing keys: CLI, audit, discovery and JWKS (issue 19)."""

import json
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import select

from app.core.db import get_session
from app.models import AuditEvent, OIDCClient
from app.provider import clients, keys
from app.security import token_hash
from tests.helpers.db import query_one

KIRPACS = ["--name", "KirPACS", "--client-id", "kirpacs",
           "--redirect-uri", "https://kirpacs.example/callback",
           "--post-logout-uri", "https://kirpacs.example/logged-out",
           "--backchannel-logout-uri", "https://kirpacs.example/backchannel"]


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def _events(app, action):
    return query_one(app, select(AuditEvent).where(AuditEvent.action == action))


def test_cli_adds_a_client_and_shows_its_secret_once(app):
    result = _cli(app, "oidc-client", "add", *KIRPACS)
    assert result.exit_code == 0, result.output
    secret = next(line.split(": ", 1)[1] for line in result.output.splitlines()
                  if line.startswith("client_secret: "))
    with app.app_context():
        row = get_session().exec(select(OIDCClient).where(OIDCClient.client_id == "kirpacs")).one()
        assert row.secret_hash == token_hash(secret) and secret not in row.secret_hash
        assert clients.check_secret(row, secret) and not clients.check_secret(row, secret + "x")
        assert clients.uris(row, "redirect_uris") == ["https://kirpacs.example/callback"]
    listing = _cli(app, "oidc-client", "list").output
    assert "kirpacs\tKirPACS\tclient_secret_basic" in listing and secret not in listing
    [event] = _events(app, "oidc_client_added")
    assert event.actor == "cli" and event.target_id == "kirpacs" and secret not in event.detail


def test_rotating_the_secret_stops_the_old_one_at_once(app):
    first = _cli(app, "oidc-client", "add", *KIRPACS).output.split("client_secret: ")[1].split()[0]
    result = _cli(app, "oidc-client", "rotate-secret", "kirpacs")
    second = result.output.split("client_secret: ")[1].split()[0]
    with app.app_context():
        row = clients.find_client("kirpacs")
        assert clients.check_secret(row, second) and not clients.check_secret(row, first)
    assert len(_events(app, "oidc_client_secret_rotated")) == 1


def test_a_disabled_client_is_not_found_for_logins(app):
    _cli(app, "oidc-client", "add", *KIRPACS)
    assert _cli(app, "oidc-client", "disable", "kirpacs").exit_code == 0
    with app.app_context():
        assert clients.find_client("kirpacs") is None
        assert clients.find_client("kirpacs", include_disabled=True).disabled_at is not None
    assert "disabled" in _cli(app, "oidc-client", "list").output
    assert len(_events(app, "oidc_client_disabled")) == 1


@pytest.mark.parametrize("uri", [
    "https://*.kirpacs.example/callback",  # wildcard
    "https://kirpacs.example/callback#x",  # fragment
    "http://kirpacs.example/callback",  # http off loopback
    "https://user:pw@kirpacs.example/callback",  # credentials
    "kirpacs.example/callback",  # not absolute
    "javascript:alert(1)",
])
def test_unsafe_redirect_uris_are_refused_and_nothing_is_stored(app, uri):
    result = _cli(app, "oidc-client", "add", "--name", "X", "--redirect-uri", uri)
    assert result.exit_code != 0 and "redirect_uri" in result.output
    with app.app_context():
        assert get_session().exec(select(OIDCClient)).all() == []
    assert _events(app, "oidc_client_added") == []


def test_a_private_key_jwt_client_gets_its_jwks_uri_and_no_secret(app):
    result = _cli(app, "oidc-client", "add", *KIRPACS, "--auth-method", "private_key_jwt",
                  "--jwks-uri", "https://kirpacs.example/jwks.json")
    assert result.exit_code == 0, result.output
    assert "client_secret" not in result.output
    [row] = query_one(app, select(OIDCClient))
    assert row.auth_method == "private_key_jwt" and row.secret_hash is None
    assert row.jwks_uri == "https://kirpacs.example/jwks.json"
    [event] = _events(app, "oidc_client_added")
    assert "https://kirpacs.example/jwks.json" in event.detail
    rotate = _cli(app, "oidc-client", "rotate-secret", "kirpacs")  # it has no secret to rotate
    assert rotate.exit_code != 0 and "auth_method" in rotate.output


@pytest.mark.parametrize(("extra", "field"), [
    (["--auth-method", "private_key_jwt"], "jwks_uri"),  # no JWKS
    (["--auth-method", "private_key_jwt", "--jwks-uri", "http://kirpacs.example/jwks.json"],
     "jwks_uri"),  # http off loopback
    (["--auth-method", "private_key_jwt", "--jwks-uri", "https://*.example/jwks.json"],
     "jwks_uri"),
    (["--jwks-uri", "https://kirpacs.example/jwks.json"], "jwks_uri"),  # a secret client
])
def test_a_jwks_uri_is_required_for_private_key_jwt_and_only_for_it(app, extra, field):
    refused = _cli(app, "oidc-client", "add", "--name", "X", "--redirect-uri",
                   "https://x.example/cb", *extra)
    assert refused.exit_code != 0 and field in refused.output
    assert query_one(app, select(OIDCClient)) == []


def test_a_loopback_jwks_uri_is_allowed_outside_production(app):
    result = _cli(app, "oidc-client", "add", "--name", "Demo", "--auth-method",
                  "private_key_jwt", "--jwks-uri", "http://127.0.0.1:5002/jwks.json",
                  "--redirect-uri", "http://127.0.0.1:5002/callback")
    assert result.exit_code == 0, result.output


def test_loopback_http_is_allowed_outside_production(app):
    result = _cli(app, "oidc-client", "add", "--name", "Demo",
                  "--redirect-uri", "http://127.0.0.1:5002/callback")
    assert result.exit_code == 0, result.output


def test_discovery_names_the_issuer_and_its_jwks(client):
    answer = client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200 and "max-age" in answer.headers["Cache-Control"]
    document = answer.get_json()
    assert document["jwks_uri"] == document["issuer"] + "/oidc/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["id_token_signing_alg_values_supported"]) == {"ES256", "RS256"}


def test_discovery_names_revocation_introspection_and_private_key_jwt(client):
    document = client.get("/.well-known/openid-configuration").get_json()
    assert document["revocation_endpoint"] == document["issuer"] + "/oidc/revoke"
    assert document["introspection_endpoint"] == document["issuer"] + "/oidc/introspect"
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    assert document["token_endpoint_auth_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert "none" in document["revocation_endpoint_auth_methods_supported"]
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]
    assert "private_key_jwt" in document["introspection_endpoint_auth_methods_supported"]


def test_the_jwks_signs_with_es256_and_publishes_no_private_part(app, client):
    answer = client.get("/oidc/jwks").get_json()
    [key] = answer["keys"]
    assert key["alg"] == "ES256" and key["kty"] == "EC" and "d" not in key
    with app.app_context():
        row = keys.current_key()
        token = jwt.encode({"alg": row.alg, "kid": row.kid}, {"sub": "x"}, keys.private_key(row))
    assert jwt.decode(token, KeySet.import_key_set(answer)).claims == {"sub": "x"}


def test_rotation_keeps_the_old_key_published_and_signs_with_the_new(app, client):
    old_kid = client.get("/oidc/jwks").get_json()["keys"][0]["kid"]
    result = _cli(app, "oidc-key", "rotate", "--alg", "RS256")
    assert result.exit_code == 0
    published = client.get("/oidc/jwks").get_json()["keys"]
    assert [k["kid"] for k in published][1] == old_kid and published[0]["alg"] == "RS256"
    with app.app_context():
        assert keys.current_key().kid == published[0]["kid"]
        stored = keys.current_key().private_jwk
        assert "\"d\"" not in stored and json.dumps(published[0]) not in stored  # encrypted
    assert len(_events(app, "op_signing_key_rotated")) == 1


def test_a_retired_key_leaves_the_jwks_after_its_retention(app, client, clock):
    old_kid = client.get("/oidc/jwks").get_json()["keys"][0]["kid"]
    _cli(app, "oidc-key", "rotate")
    clock.now += timedelta(seconds=app.config["OP_KEY_RETAIN_SECONDS"] + 1)
    assert old_kid not in [k["kid"] for k in client.get("/oidc/jwks").get_json()["keys"]]


def test_a_clients_addresses_change_checked_and_audited_and_nothing_else(app):
    with app.test_request_context():  # the refusal's message is translated
        row, secret = clients.add_client(clients.ClientSettings(
            name="KirPACS", client_id="kirpacs", redirect_uris=["https://a.example/cb"]),
            actor="test")
        moved = clients.ClientSettings(name="KirPACS", redirect_uris=["https://b.example/cb"],
                                       login_url="https://b.example/")
        clients.update_addresses("kirpacs", moved, actor="test")
        row = clients.find_client("kirpacs")
        assert clients.uris(row, "redirect_uris") == ["https://b.example/cb"]
        assert row.login_url == "https://b.example/" and clients.check_secret(row, secret)
        with pytest.raises(clients.ClientError):
            clients.update_addresses("kirpacs", clients.ClientSettings(
                name="KirPACS", redirect_uris=["http://evil.example/cb"]), actor="test")
        assert clients.uris(clients.find_client("kirpacs"), "redirect_uris") == [
            "https://b.example/cb"]
    assert len(_events(app, "oidc_client_addresses_changed")) == 1
