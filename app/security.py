"""Password hashing (argon2id), one-time codes, opaque tokens and CPR protection."""

import hashlib
import hmac
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context

# OWASP's argon2id parameters: 19 MiB memory, 2 iterations, 1 lane.
password_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Verified against when no account matches, so an unknown user costs the same time as a known one.
_DUMMY_HASH = password_hasher.hash(secrets.token_hex(16))


# Each argon2id computation holds 19 MiB and keeps a core busy: more at once than the cores only
# makes each one slower. The bound is per process; threads beyond it wait their turn.
_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}  # by size: one bound per configured size


def _hash_slots() -> threading.BoundedSemaphore:
    """This process's bound on argon2id at once: PASSWORD_HASH_CONCURRENCY, else the cores."""
    configured = current_app.config["PASSWORD_HASH_CONCURRENCY"] if has_app_context() else 0
    size = configured or os.cpu_count() or 1
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    with _hash_slots():
        return password_hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password against its hash in constant-ish time, also when there is no hash."""
    try:
        with _hash_slots():
            return (password_hasher.verify(stored_hash or _DUMMY_HASH, password)
                    and bool(stored_hash))
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's."""
    return password_hasher.check_needs_rehash(stored_hash)


def new_numeric_code(digits: int = 6) -> str:
    """Return a cryptographically random code of the given number of digits."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA256 of a value under the app's secret, separated by purpose."""
    key = hashlib.sha256((purpose + ":" + current_app.config["SECRET_KEY"]).encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hash_code(code: str) -> str:
    """Hash a one-time code (keyed, so a leaked table cannot be brute-forced offline)."""
    return keyed_hash(code, "email-code")


def codes_match(stored_hash: str, code: str) -> bool:
    """Compare a typed code with a stored hash in constant time."""
    return hmac.compare_digest(stored_hash, hash_code(code.strip()))


def new_token() -> str:
    """Return an opaque random token for cookies and links."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Hash a high-entropy token for storage (a plain hash suffices at 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


_fernets: dict[str, MultiFernet] = {}


def fernet_for(configured: str) -> MultiFernet:
    """Comma-separated Fernet keys (newest first) as one MultiFernet, made once per key list.

    A patient list shows 25 masked CPR numbers: parsing the keys for each would cost more than
    the decryption.
    """
    fernet = _fernets.get(configured)
    if fernet is None:
        keys = [k.strip() for k in configured.split(",") if k.strip()]
        fernet = _fernets[configured] = MultiFernet([Fernet(k.encode()) for k in keys])
    return fernet


def _cpr_fernet() -> MultiFernet:
    """The CPR keys."""
    return fernet_for(current_app.config["CPR_ENCRYPTION_KEYS"])


def encrypt_cpr(cpr: str) -> str:
    """Encrypt a normalised CPR number with the newest key."""
    return _cpr_fernet().encrypt(cpr.encode()).decode()


def decrypt_cpr(token: str) -> str:
    """Decrypt a stored CPR number with any configured key."""
    try:
        return _cpr_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("CPR ciphertext cannot be decrypted with the configured keys") from exc


def rotate_cpr(token: str) -> str:
    """Re-encrypt a stored CPR number under the newest key."""
    return _cpr_fernet().rotate(token.encode()).decode()


def cpr_index(cpr: str) -> str:
    """Keyed blind index of a normalised CPR number, for lookups and uniqueness."""
    key = current_app.config["CPR_INDEX_KEY"].encode()
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()
