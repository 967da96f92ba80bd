"""Configuration defaults of the MitID simulator."""

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

DEFAULT_ISSUER = "http://127.0.0.1:5001"
DEFAULT_IDENTITIES_FILE = Path(__file__).resolve().parent.parent / "data" / "personas.json"
DEFAULT_SCOPE = "openid mitid ssn nemlogin"
SESSION_COOKIE_NAME = "mitid_simulator_session"


def _app_redirect_uris(path: str) -> list[str]:
    return [f"http://127.0.0.1:5000{path}", f"http://localhost:5000{path}"]


def default_clients() -> list[dict]:
    return [
        {
            "client_id": "klinikadgang-staff",
            "client_secret": "dev-staff-secret",
            "client_name": "Klinikadgang",
            "redirect_uris": _app_redirect_uris("/auth/mitid/callback"),
            "post_logout_redirect_uris": _app_redirect_uris("/auth/logget-ud"),
            "scope": DEFAULT_SCOPE,
            "profile": "signaturgruppen",
        },
        {
            "client_id": "klinikadgang-citizen",
            "client_secret": "dev-citizen-secret",
            "client_name": "Klinikadgang patientportal",
            "redirect_uris": _app_redirect_uris("/portal/mitid/callback"),
            "post_logout_redirect_uris": _app_redirect_uris("/portal/mitid/logget-ud"),
            "scope": DEFAULT_SCOPE,
            "profile": "signaturgruppen",
        },
    ]


def build_config(overrides: dict | None) -> dict:
    """Defaults merged with the caller's settings."""
    config = {
        "SIMULATOR_ISSUER": DEFAULT_ISSUER,
        "SIMULATOR_CLIENTS": default_clients(),
        "SIMULATOR_IDENTITIES_FILE": str(DEFAULT_IDENTITIES_FILE),
        "SIMULATOR_KEY_FILE": None,
        "SIMULATOR_SIGNING_ALG": "ES256",  # or "RS256"; the JWKS and discovery say which
        "SIMULATOR_TODAY": None,
        "SECRET_KEY": secrets.token_hex(32),
        "ID_TOKEN_LIFETIME": 300,
        "SIMULATOR_CODE_LIFETIME": 60,
        "SIMULATOR_ACCESS_TOKEN_LIFETIME": 300,
        # False: no end_session_endpoint in discovery and no /logout, like a broker without
        # RP-initiated logout (the app then asks for prompt=login after Log ud).
        "SIMULATOR_END_SESSION": True,
    }
    config.update(overrides or {})
    # The app runs on the same host with the cookie name "session"; cookies ignore ports.
    config["SESSION_COOKIE_NAME"] = SESSION_COOKIE_NAME
    return config


def resolve_today(setting: str | date | Callable[[], date] | None) -> date:
    """The date ages are computed against."""
    if setting is None:
        return date.today()
    if callable(setting):
        return setting()
    if isinstance(setting, date):
        return setting
    return date.fromisoformat(setting)
