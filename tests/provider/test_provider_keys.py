"""The operator's own signing key: `flask oidc-key rotate --pem FILE` (issue 19)."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import JWKRegistry, KeySet
from sqlmodel import select

from app.models import AuditEvent
from app.provider import keys
from tests.helpers.db import query_one


def _pem(private_key, *, password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return private_key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8, encryption)


@pytest.mark.parametrize(("private_key", "alg"), [
    (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
], ids=["ec-p256", "rsa-2048"])
def test_an_operators_key_signs_from_now_on(app, client, tmp_path, private_key, alg):
    old_kid = client.get("/oidc/jwks").get_json()["keys"][0]["kid"]
    path = tmp_path / "signing.pem"
    path.write_bytes(_pem(private_key))
    result = app.test_cli_runner().invoke(args=["oidc-key", "rotate", "--pem", str(path)])
    assert result.exit_code == 0, result.output
    published = client.get("/oidc/jwks").get_json()["keys"]
    assert published[0]["alg"] == alg and published[1]["kid"] == old_kid
    assert "d" not in published[0]
    with app.app_context():
        row = keys.current_key()
        token = jwt.encode({"alg": row.alg, "kid": row.kid}, {"sub": "x"}, keys.private_key(row))
        kid = row.kid
    assert kid == published[0]["kid"]
    assert jwt.decode(token, KeySet.import_key_set({"keys": published[:1]})).claims == {"sub": "x"}
    given = JWKRegistry.import_key(private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        published[0]["kty"])
    assert JWKRegistry.import_key(published[0]).thumbprint() == given.thumbprint()
    [event] = query_one(app, select(AuditEvent).where(AuditEvent.action ==
                                                      "op_signing_key_rotated"))
    assert event.target_id == kid


@pytest.mark.parametrize("pem", [
    b"not a key",
    _pem(ec.generate_private_key(ec.SECP384R1())),
    _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505
    _pem(ec.generate_private_key(ec.SECP256R1()), password=b"secret"),
], ids=["garbage", "p384", "rsa-1024", "encrypted"])
def test_a_key_that_cannot_sign_is_refused_and_nothing_changes(app, client, tmp_path, pem):
    before = client.get("/oidc/jwks").get_json()
    path = tmp_path / "signing.pem"
    path.write_bytes(pem)
    result = app.test_cli_runner().invoke(args=["oidc-key", "rotate", "--pem", str(path)])
    assert result.exit_code != 0 and "Error:" in result.output
    assert client.get("/oidc/jwks").get_json() == before
