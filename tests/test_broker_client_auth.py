"""Client authentication at the broker's token endpoint (issue 18), per broker by configuration:
client_secret_basic (form-encoded, RFC 6749 §2.3.1), client_secret_post and private_key_jwt (the
app's key, its public JWKS at /mitid/jwks.json), each through a whole MitID login."""

import json

import pytest
from joserfc.jwk import ECKey, RSAKey

from app import create_app
from app.simulator import create_simulator_app, serve_simulator
from tests.conftest import LIVE_PORT, TEST_PERSONAS
from tests.helpers.staff import login_with_mitid

SECRET = "a+b/c=d"  # what authlib's own basic sent unencoded, and a conformant broker refused
CALLBACKS = ["http://localhost/auth/mitid/callback"]


def _simulator(**staff):
    client = {"client_id": "klinikadgang-staff", "client_secret": "test-staff-secret",
              "redirect_uris": CALLBACKS, "scope": "openid mitid ssn nemlogin", **staff}
    sim = create_simulator_app({"SIMULATOR_IDENTITIES_FILE": TEST_PERSONAS,
                                "SIMULATOR_CLIENTS": [client]})
    return serve_simulator(sim)


@pytest.fixture
def broker(app_config):
    """Point the staff broker at a simulator whose client is set up as the test says."""
    servers = []

    def start(**staff):
        server = _simulator(**staff)
        servers.append(server)
        app_config["STAFF_BROKER_METADATA_URL"] = server.url + "/.well-known/openid-configuration"
        return server

    yield start
    for server in servers:
        server.shutdown()


PROFILES = pytest.mark.parametrize("profile", ["signaturgruppen", "idura"])


@PROFILES
@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_secret_with_plus_slash_and_equals_works(method, profile, app_config, broker, request):
    broker(client_secret=SECRET, token_endpoint_auth_method=method, profile=profile)
    app_config.update(STAFF_BROKER_CLIENT_SECRET=SECRET, STAFF_BROKER_TOKEN_AUTH_METHOD=method,
                      STAFF_BROKER_PROFILE=profile)
    client = request.getfixturevalue("client")
    assert login_with_mitid(client, "hanne.lund").location == "/"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_secret_gives_the_danish_failure_page(method, app_config, broker, request):
    broker(token_endpoint_auth_method=method)
    app_config.update(STAFF_BROKER_CLIENT_SECRET="not-the-secret",
                      STAFF_BROKER_TOKEN_AUTH_METHOD=method)
    client = request.getfixturevalue("client")
    answer = login_with_mitid(client, "hanne.lund")
    assert answer.status_code == 400  # the broker refused us: the answer could not be confirmed
    assert "Login kunne ikke bekræftes" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_a_method_the_broker_did_not_register_is_refused(app_config, broker, request):
    broker(token_endpoint_auth_method="client_secret_basic")
    app_config["STAFF_BROKER_TOKEN_AUTH_METHOD"] = "client_secret_post"
    client = request.getfixturevalue("client")
    answer = login_with_mitid(client, "hanne.lund")
    assert answer.status_code == 400 and "Login kunne ikke bekræftes" in answer.get_data(as_text=True)


def _pem(kind: str) -> str:
    key = RSAKey.generate_key(2048) if kind == "RSA" else ECKey.generate_key("P-256")
    return key.as_pem(private=True).decode()


@PROFILES
@pytest.mark.parametrize("kind", ["EC", "RSA"])
def test_private_key_jwt_with_the_key_from_configuration(kind, profile, app_config, broker,
                                                         request):
    """The simulator fetches the app's public keys from its JWKS URL, as a broker does."""
    broker(token_endpoint_auth_method="private_key_jwt", profile=profile,
           jwks_uri=f"http://127.0.0.1:{LIVE_PORT}/mitid/jwks.json")
    app_config.update(STAFF_BROKER_TOKEN_AUTH_METHOD="private_key_jwt",
                      STAFF_BROKER_PRIVATE_KEY=_pem(kind), STAFF_BROKER_CLIENT_SECRET=None,
                      STAFF_BROKER_PROFILE=profile)
    request.getfixturevalue("live_server")
    client = request.getfixturevalue("client")
    assert login_with_mitid(client, "hanne.lund").location == "/"


def test_private_key_jwt_with_another_key_is_refused(app_config, broker, request):
    other = ECKey.generate_key("P-256")
    broker(token_endpoint_auth_method="private_key_jwt",
           jwks={"keys": [other.as_dict(private=False)]})
    app_config.update(STAFF_BROKER_TOKEN_AUTH_METHOD="private_key_jwt",
                      STAFF_BROKER_PRIVATE_KEY=_pem("EC"))
    client = request.getfixturevalue("client")
    answer = login_with_mitid(client, "hanne.lund")
    assert answer.status_code == 400 and "Login kunne ikke bekræftes" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_jwks_serves_the_public_key_only(app_config, request, tmp_path):
    key_file = tmp_path / "staff-broker-key.json"
    key_file.write_text(json.dumps(ECKey.generate_key("P-256").as_dict(private=True)))
    app_config.update(STAFF_BROKER_TOKEN_AUTH_METHOD="private_key_jwt",
                      STAFF_BROKER_PRIVATE_KEY_FILE=str(key_file))
    client = request.getfixturevalue("client")
    answer = client.get("/mitid/jwks.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=300"
    [key] = answer.json["keys"]
    assert key["kty"] == "EC" and key["alg"] == "ES256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key


def test_without_private_key_jwt_the_jwks_is_empty(client):
    assert client.get("/mitid/jwks.json").json == {"keys": []}


@pytest.mark.parametrize("settings", [
    {"STAFF_BROKER_TOKEN_AUTH_METHOD": "client_secret_jwt"},
    {"STAFF_BROKER_TOKEN_AUTH_METHOD": "private_key_jwt"},
    {"CITIZEN_BROKER_TOKEN_AUTH_METHOD": "private_key_jwt", "CITIZEN_BROKER_PRIVATE_KEY": "x"},
    {"STAFF_BROKER_TOKEN_AUTH_METHOD": "private_key_jwt",
     "STAFF_BROKER_PRIVATE_KEY": json.dumps(ECKey.generate_key("P-256").as_dict(private=False))},
], ids=["unknown method", "no key", "unreadable key", "a public key"])
def test_a_misconfiguration_stops_the_app_at_start(app_config, settings):
    with pytest.raises(RuntimeError):
        create_app({**app_config, **settings})
