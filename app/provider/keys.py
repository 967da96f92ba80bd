"""The provider's signing keys: in the database (encrypted), rotated with a new `kid`.

The newest unretired key signs. A retired key stays in the JWKS for OP_KEY_RETAIN_SECONDS, longer
than any token it signed lives, so relying parties that cache the JWKS can still verify them
(https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys).
"""

import json
import secrets
from datetime import timedelta

from cryptography.fernet import MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import current_app
from joserfc.jwk import ECKey, JWKRegistry, RSAKey
from sqlmodel import select

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import OPSigningKey
from app.security import fernet_for

ALGORITHMS = ("ES256", "RS256")


def _fernet() -> MultiFernet:
    return fernet_for(current_app.config["OP_KEY_ENCRYPTION_KEYS"])


def _generate(alg: str):
    kid = secrets.token_urlsafe(12)
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters={"kid": kid, "alg": alg, "use": "sig"})
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": alg, "use": "sig"})


def _new_row(alg: str, key=None) -> OPSigningKey:
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    key = key or _generate(alg)
    private = json.dumps(key.as_dict(private=True))
    return OPSigningKey(kid=key.kid, alg=alg,
                        private_jwk=_fernet().encrypt(private.encode()).decode())


def private_key(row: OPSigningKey):
    """The joserfc key of a stored row."""
    return JWKRegistry.import_key(json.loads(_fernet().decrypt(row.private_jwk.encode())))


def current_key() -> OPSigningKey:
    """The key that signs now; the first is created on first use."""
    db = get_session()
    row = db.exec(select(OPSigningKey).where(OPSigningKey.retired_at.is_(None))
                  .order_by(OPSigningKey.id.desc())).first()
    if row is None:
        row = _new_row(current_app.config["OP_SIGNING_ALG"])
        db.add(row)
        db.commit()
    return row


def published_keys() -> list[OPSigningKey]:
    """The current key and the retired ones whose tokens may still be around."""
    keep_since = utcnow() - timedelta(seconds=current_app.config["OP_KEY_RETAIN_SECONDS"])
    current_key()
    return list(get_session().exec(
        select(OPSigningKey).where(OPSigningKey.retired_at.is_(None)
                                   | (OPSigningKey.retired_at > keep_since))
        .order_by(OPSigningKey.id.desc())))


def public_jwks() -> dict:
    """The JWKS document: public parts only."""
    return {"keys": [private_key(row).as_dict(private=False) for row in published_keys()]}


def from_pem(pem: bytes):
    """An operator's own private key (PEM): EC P-256 signs ES256, RSA of 2048 bits or more RS256."""
    try:
        loaded = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not an unencrypted PEM private key") from exc
    parameters = {"kid": secrets.token_urlsafe(12), "use": "sig"}
    if isinstance(loaded, ec.EllipticCurvePrivateKey) and loaded.curve.name == "secp256r1":
        return ECKey.import_key(pem, parameters={**parameters, "alg": "ES256"})
    if isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size >= 2048:
        return RSAKey.import_key(pem, parameters={**parameters, "alg": "RS256"})
    raise ValueError("an EC key on P-256 or an RSA key of at least 2048 bits")


def rotate(*, actor: str, alg: str | None = None, pem: bytes | None = None) -> OPSigningKey:
    """Retire the signing key and start a new one, generated or the operator's (audited)."""
    db = get_session()
    key = from_pem(pem) if pem else None
    alg = key.alg if key is not None else alg or current_app.config["OP_SIGNING_ALG"]
    now = utcnow()
    for row in db.exec(select(OPSigningKey).where(OPSigningKey.retired_at.is_(None))):
        row.retired_at = now
    row = _new_row(alg, key)
    db.add(row)
    audit.record("op_signing_key_rotated", actor=actor, target_type="op_signing_key",
                 target_id=row.kid, alg=row.alg)
    db.commit()
    return row
