"""The simulator's ID token signing key: ES256 (P-256) by default, RS256 selectable; optionally a PEM.

Real brokers sign with either: the app verifies whatever alg the discovery document and JWKS
publish (authlib reads id_token_signing_alg_values_supported and the key set at jwks_uri).
"""

import os
import threading
from pathlib import Path

from joserfc.jwk import ECKey, RSAKey

SIGNING_ALGS = ("ES256", "RS256")
DEFAULT_SIGNING_ALG = "ES256"
_RSA_KEY_SIZE = 2048


def _new_key(alg: str, parameters: dict | None = None) -> ECKey | RSAKey:
    if alg == "RS256":
        return RSAKey.generate_key(_RSA_KEY_SIZE, parameters=parameters)
    return ECKey.generate_key("P-256", parameters=parameters)


class SigningKeys:
    """The signing key plus an impostor key used to fake bad signatures."""

    def __init__(self, signing_key: ECKey | RSAKey, alg: str = DEFAULT_SIGNING_ALG):
        signing_key.ensure_kid()
        self.signing_key = signing_key
        self.alg = alg
        self._impostor: ECKey | RSAKey | None = None
        self._lock = threading.Lock()

    @property
    def kid(self) -> str:
        return self.signing_key.kid

    def public_jwks(self) -> dict:
        public = self.signing_key.as_dict(private=False)
        public.update({"use": "sig", "alg": self.alg})
        return {"keys": [public]}

    def impostor_key(self) -> ECKey | RSAKey:
        """A different key that claims the real kid, for the bad_signature fault."""
        with self._lock:
            if self._impostor is None:
                self._impostor = _new_key(self.alg, parameters={"kid": self.kid})
            return self._impostor


def load_signing_keys(key_file: str | os.PathLike | None,
                      alg: str = DEFAULT_SIGNING_ALG) -> SigningKeys:
    """Keys from key_file when it exists, else new ones (written to key_file if given)."""
    if alg not in SIGNING_ALGS:
        raise ValueError(f"SIMULATOR_SIGNING_ALG must be one of {', '.join(SIGNING_ALGS)}")
    key_type = RSAKey if alg == "RS256" else ECKey
    if key_file is None:
        return SigningKeys(_new_key(alg), alg)
    path = Path(key_file)
    if path.exists():
        # A key file of the other type raises here: change the file with the alg.
        return SigningKeys(key_type.import_key(path.read_bytes()), alg)
    key = _new_key(alg)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.as_pem(private=True))
    return SigningKeys(key, alg)
