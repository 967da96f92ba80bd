"""Thread-safe in-memory state of one simulator app."""

import secrets
import threading
import time
from dataclasses import dataclass, replace

from flask import Flask, current_app

from .identities import Identity
from .keys import SigningKeys
from .models import AccessToken, AuthorizationCode, LoginSubject, SimulatorClient

EXTENSION_KEY = "mitid_simulator"
PENDING_LIFETIME = 600
ID_TOKEN_FAULTS = ("bad_signature", "wrong_audience", "wrong_issuer", "wrong_nonce", "expired",
                   "missing_idp", "missing_loa")
LEVELS = ("low", "substantial", "high")  # NSIS assurance levels, rising


class DuplicateIdentityError(Exception):
    """Raised when a MitID user id is already taken."""


@dataclass(frozen=True)
class PendingAuthorization:
    """A validated authorization request waiting for the user to log in and approve."""

    request_id: str
    uri: str
    params: dict
    client_id: str
    created_at: float
    subject: LoginSubject | None = None
    login_chosen: bool = False


class SimulatorState:
    """Clients, identities, pending logins, codes, tokens and test switches."""

    def __init__(
        self,
        clients: list[SimulatorClient],
        identities: list[Identity],
        keys: SigningKeys,
        issuer_configured: bool,
    ):
        self.clients = {client.client_id: client for client in clients}
        self.keys = keys
        self.issuer_configured = issuer_configured
        self._lock = threading.Lock()
        self._identities = {identity.mitid_user_id: identity for identity in identities}
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._spent_codes: dict[str, list[str]] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._outage = False
        self._fault: str | None = None
        self._assurance: str | None = None  # a level every login answers with (tests), or None
        # Login sessions (SSO), by the browser's simulator cookie and then by client: each
        # client has its own session with the user, as at the Signaturgruppen broker
        # (https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/sessions.html).
        self._sso: dict[str, dict[str, LoginSubject]] = {}

    def identity(self, mitid_user_id: str) -> Identity | None:
        with self._lock:
            return self._identities.get(mitid_user_id)

    def identity_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._identities)

    def add_identity(self, identity: Identity) -> None:
        with self._lock:
            if identity.mitid_user_id in self._identities:
                raise DuplicateIdentityError(identity.mitid_user_id)
            self._identities[identity.mitid_user_id] = identity

    def create_pending(self, uri: str, params: dict, client_id: str) -> PendingAuthorization:
        now = time.time()
        pending = PendingAuthorization(secrets.token_urlsafe(32), uri, params, client_id, now)
        with self._lock:
            self._pending = {
                key: value
                for key, value in self._pending.items()
                if value.created_at + PENDING_LIFETIME > now
            }
            self._pending[pending.request_id] = pending
        return pending

    def pending(self, request_id: str) -> PendingAuthorization | None:
        with self._lock:
            pending = self._pending.get(request_id or "")
        if pending and pending.created_at + PENDING_LIFETIME > time.time():
            return pending
        return None

    def update_pending(self, pending: PendingAuthorization, **changes) -> PendingAuthorization:
        updated = replace(pending, **changes)
        with self._lock:
            if pending.request_id in self._pending:
                self._pending[pending.request_id] = updated
        return updated

    def pop_pending(self, request_id: str) -> PendingAuthorization | None:
        with self._lock:
            pending = self._pending.pop(request_id or "", None)
        if pending and pending.created_at + PENDING_LIFETIME > time.time():
            return pending
        return None

    def save_code(self, code: AuthorizationCode) -> None:
        now = time.time()
        with self._lock:
            self._codes = {k: v for k, v in self._codes.items() if v.expires_at > now}
            self._codes[code.code] = code

    def consume_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """Take a code out of the store: it is single use even if the exchange fails."""
        with self._lock:
            if code in self._spent_codes:
                # A replayed code revokes what it bought (RFC 6749 section 4.1.2).
                for access_token in self._spent_codes[code]:
                    if access_token in self._tokens:
                        self._tokens[access_token].revoked = True
                return None
            stored = self._codes.get(code)
            if stored is None or stored.client_id != client_id:
                return None
            del self._codes[code]
            self._spent_codes[code] = []
        return stored if stored.expires_at > time.time() else None

    def sso_subject(self, browser: str | None, client_id: str) -> LoginSubject | None:
        """Who is logged in at this client in this browser, or None."""
        with self._lock:
            return self._sso.get(browser or "", {}).get(client_id)

    def start_sso(self, browser: str, client_id: str, subject: LoginSubject) -> None:
        """Remember a successful login of this browser at this client."""
        with self._lock:
            self._sso.setdefault(browser, {})[client_id] = subject

    def end_sso(self, browser: str | None, client_id: str) -> None:
        """End this browser's login session at this client."""
        with self._lock:
            self._sso.get(browser or "", {}).pop(client_id, None)

    def end_sso_of(self, mitid_user_id: str) -> list[tuple[str, LoginSubject]]:
        """End every login session of this person, in every browser; (client_id, subject) each."""
        ended = []
        with self._lock:
            for sessions in self._sso.values():
                for client_id, subject in list(sessions.items()):
                    if subject.identity.mitid_user_id == mitid_user_id:
                        ended.append((client_id, sessions.pop(client_id)))
        return ended

    def nonce_in_use(self, client_id: str, nonce: str) -> bool:
        with self._lock:
            return any(c.client_id == client_id and c.nonce == nonce for c in self._codes.values())

    def save_token(self, token: AccessToken, code: str | None) -> None:
        now = time.time()
        with self._lock:
            self._tokens = {
                k: v for k, v in self._tokens.items() if v.issued_at + v.expires_in > now
            }
            self._tokens[token.access_token] = token
            if code is not None:
                self._spent_codes.setdefault(code, []).append(token.access_token)

    def token(self, access_token: str) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(access_token)

    @property
    def outage(self) -> bool:
        return self._outage

    def set_outage(self, on: bool) -> None:
        with self._lock:
            self._outage = bool(on)

    @property
    def fault(self) -> str | None:
        return self._fault

    def set_fault(self, name: str | None) -> None:
        if name is not None and name not in ID_TOKEN_FAULTS:
            raise ValueError(f"unknown fault {name!r}")
        with self._lock:
            self._fault = name


    @property
    def assurance(self) -> str | None:
        return self._assurance

    def set_assurance(self, level: str | None) -> None:
        if level is not None and level not in LEVELS:
            raise ValueError(f"unknown assurance level {level!r}")
        with self._lock:
            self._assurance = level


def get_state(app: Flask | None = None) -> SimulatorState:
    """The simulator state of app (default: the current app)."""
    return (app or current_app).extensions[EXTENSION_KEY]
