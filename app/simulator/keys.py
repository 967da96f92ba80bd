"""RS256 signing key of the simulator, optionally persisted as a PEM file."""

import os
import threading
from pathlib import Path

from joserfc.jwk import RSAKey

SIGNING_ALG = "RS256"
_KEY_SIZE = 2048


class SigningKeys:
    """The signing key plus an impostor key used to fake bad signatures."""

    def __init__(self, signing_key: RSAKey):
        signing_key.ensure_kid()
        self.signing_key = signing_key
        self._impostor: RSAKey | None = None
        self._lock = threading.Lock()

    @property
    def kid(self) -> str:
        return self.signing_key.kid

    def public_jwks(self) -> dict:
        public = self.signing_key.as_dict(private=False)
        public.update({"use": "sig", "alg": SIGNING_ALG})
        return {"keys": [public]}

    def impostor_key(self) -> RSAKey:
        """A different key that claims the real kid, for the bad_signature fault."""
        with self._lock:
            if self._impostor is None:
                self._impostor = RSAKey.generate_key(_KEY_SIZE, parameters={"kid": self.kid})
            return self._impostor


def load_signing_keys(key_file: str | os.PathLike | None) -> SigningKeys:
    """Keys from key_file when it exists, else new ones (written to key_file if given)."""
    if key_file is None:
        return SigningKeys(RSAKey.generate_key(_KEY_SIZE))
    path = Path(key_file)
    if path.exists():
        return SigningKeys(RSAKey.import_key(path.read_bytes()))
    key = RSAKey.generate_key(_KEY_SIZE)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.as_pem(private=True))
    return SigningKeys(key)
