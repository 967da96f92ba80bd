"""The sister systems registered with the provider: add, list, rotate a secret, disable.

Every change is audited. Redirect, post-logout and back-channel URIs are matched exactly (no
wildcard, no pattern): https, or http on loopback outside production
(https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3 and RFC 8252 §7.3 for loopback).
"""

import json
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import select

from app import audit, consent
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import OIDCClient
from app.security import token_hash

# private_key_jwt: a JWT signed with the client's key, published at its jwks_uri (RFC 7523 §2.2,
# OpenID Connect Core §9); no secret is created for it.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SCOPES = ("openid", "profile", "email", "phone", "clinic", "offline_access")
ACR_VALUES = ("mitid-substantial", "mitid-high", "password")
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class ClientError(ValueError):
    """A registration that cannot be stored: which field, and why (in Danish, for the form)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class ClientSettings:
    """What an operator gives when registering a sister system."""

    name: str
    redirect_uris: list[str]
    client_id: str | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str | None = None
    scopes: list[str] = field(default_factory=lambda: ["openid", "profile", "clinic"])
    auth_method: str = "client_secret_basic"
    jwks_uri: str | None = None  # private_key_jwt: where the client publishes its public keys
    required_acr: str | None = None
    login_url: str | None = None
    access_token_seconds: int = 300
    refresh_token_seconds: int = 8 * 3600
    # The profile-sharing consent text versions that name the system (app/consent.py).
    consent_versions: list[str] = field(
        default_factory=lambda: [consent.PROFILE_SHARING_VERSION])


def check_uri(uri: str, field: str) -> str:
    """An exact, absolute URI a browser or our server may be sent to; else ClientError."""
    uri = (uri or "").strip()
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    production = current_app.config["ENV_NAME"] == "production"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ClientError(field, _("Skriv en fuld adresse, der begynder med https://."))
    if parts.scheme == "http" and (production or not loopback):
        raise ClientError(field, _("Kun https – http kun til 127.0.0.1 uden for produktion."))
    if parts.fragment or "*" in uri or parts.username or parts.password:
        raise ClientError(field, _("Adressen må ikke have #, * eller brugernavn og adgangskode."))
    return uri


def _validate(settings: ClientSettings) -> None:
    if not settings.name.strip():
        raise ClientError("name", _("Skriv systemets navn."))
    if settings.client_id is not None and not _CLIENT_ID.match(settings.client_id):
        raise ClientError("client_id", _("3-64 tegn: a-z, 0-9, punktum, bindestreg og _."))
    if not settings.redirect_uris:
        raise ClientError("redirect_uris", _("Skriv mindst én adresse."))
    settings.redirect_uris = [check_uri(u, "redirect_uris") for u in settings.redirect_uris]
    settings.post_logout_redirect_uris = [check_uri(u, "post_logout_redirect_uris")
                                          for u in settings.post_logout_redirect_uris]
    for name in ("backchannel_logout_uri", "login_url"):
        if getattr(settings, name):
            setattr(settings, name, check_uri(getattr(settings, name), name))
    if "openid" not in settings.scopes or set(settings.scopes) - set(SCOPES):
        raise ClientError("scopes", _("openid skal være med, og kun kendte scopes: %(known)s.",
                                      known=", ".join(SCOPES)))
    if settings.auth_method not in AUTH_METHODS:
        raise ClientError("auth_method", _("Vælg en af metoderne."))
    if settings.auth_method == "private_key_jwt":
        if not settings.jwks_uri:
            raise ClientError("jwks_uri", _("private_key_jwt kræver systemets JWKS-adresse."))
        settings.jwks_uri = check_uri(settings.jwks_uri, "jwks_uri")
    elif settings.jwks_uri:
        raise ClientError("jwks_uri", _("En JWKS-adresse bruges kun med private_key_jwt."))
    if settings.required_acr and settings.required_acr not in ACR_VALUES:
        raise ClientError("required_acr", _("Vælg et af niveauerne."))
    for name in ("access_token_seconds", "refresh_token_seconds"):
        if not 60 <= getattr(settings, name) <= 30 * 24 * 3600:
            raise ClientError(name, _("Mellem 60 sekunder og 30 dage."))
    if set(settings.consent_versions) - set(consent.PROFILE_SHARING_VERSIONS):
        raise ClientError("consent_versions", _(
            "Kun kendte versioner af samtykketeksten: %(known)s.",
            known=", ".join(consent.PROFILE_SHARING_VERSIONS)))


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def add_client(settings: ClientSettings, *, actor: str) -> tuple[OIDCClient, str | None]:
    """Register a client; returns it and its secret (shown once; None without a secret)."""
    _validate(settings)
    db = get_session()
    client_id = settings.client_id or "kc-" + secrets.token_hex(8)
    if find_client(client_id, include_disabled=True) is not None:
        raise ClientError("client_id", _("Der findes allerede et system med dette client_id."))
    secret = _new_secret() if settings.auth_method.startswith("client_secret") else None
    row = OIDCClient(
        client_id=client_id, name=settings.name.strip(), auth_method=settings.auth_method,
        secret_hash=token_hash(secret) if secret else None, jwks_uri=settings.jwks_uri,
        redirect_uris=json.dumps(settings.redirect_uris),
        post_logout_redirect_uris=json.dumps(settings.post_logout_redirect_uris),
        backchannel_logout_uri=settings.backchannel_logout_uri,
        scopes=" ".join(settings.scopes), required_acr=settings.required_acr,
        login_url=settings.login_url, access_token_seconds=settings.access_token_seconds,
        refresh_token_seconds=settings.refresh_token_seconds,
        consent_versions=" ".join(settings.consent_versions))
    db.add(row)
    audit.record("oidc_client_added", actor=actor, target_type="oidc_client",
                 target_id=client_id, auth_method=settings.auth_method, jwks_uri=row.jwks_uri,
                 scopes=row.scopes, required_acr=settings.required_acr,
                 consent_versions=row.consent_versions)
    db.commit()
    return row, secret


def update_addresses(client_id: str, settings: ClientSettings, *, actor: str) -> OIDCClient:
    """Give a client the redirect, post-logout, back-channel and login addresses of settings
    (checked as at registration); its secret, method and scopes stay. Audited."""
    _validate(settings)
    row = _existing(client_id)
    row.redirect_uris = json.dumps(settings.redirect_uris)
    row.post_logout_redirect_uris = json.dumps(settings.post_logout_redirect_uris)
    row.backchannel_logout_uri, row.login_url = settings.backchannel_logout_uri, settings.login_url
    row.updated_at = utcnow()
    audit.record("oidc_client_addresses_changed", actor=actor, target_type="oidc_client",
                 target_id=client_id, redirect_uris=row.redirect_uris,
                 backchannel_logout_uri=row.backchannel_logout_uri)
    get_session().commit()
    return row


def find_client(client_id: str, *, include_disabled: bool = False) -> OIDCClient | None:
    """A registered client by its id; disabled ones only when asked for."""
    query = select(OIDCClient).where(OIDCClient.client_id == client_id)
    if not include_disabled:
        query = query.where(OIDCClient.disabled_at.is_(None))
    return get_session().exec(query).first()


def list_clients() -> list[OIDCClient]:
    """Every client, enabled first, by name."""
    return list(get_session().exec(select(OIDCClient).order_by(
        OIDCClient.disabled_at.is_not(None), OIDCClient.name)))


def _existing(client_id: str) -> OIDCClient:
    row = find_client(client_id, include_disabled=True)
    if row is None:
        raise ClientError("client_id", _("Systemet findes ikke."))
    return row


def rotate_secret(client_id: str, *, actor: str) -> str:
    """A new secret for a secret-authenticated client; the old one stops working at once."""
    row = _existing(client_id)
    if not row.auth_method.startswith("client_secret"):
        raise ClientError("auth_method", _("Systemet logger ikke ind med en hemmelighed."))
    secret = _new_secret()
    row.secret_hash, row.updated_at = token_hash(secret), utcnow()
    audit.record("oidc_client_secret_rotated", actor=actor, target_type="oidc_client",
                 target_id=client_id)
    get_session().commit()
    return secret


def disable_client(client_id: str, *, actor: str) -> OIDCClient:
    """Stop a client: no new logins or tokens for it."""
    row = _existing(client_id)
    if row.disabled_at is None:
        row.disabled_at = row.updated_at = utcnow()
        audit.record("oidc_client_disabled", actor=actor, target_type="oidc_client",
                     target_id=client_id)
        get_session().commit()
    return row


def check_secret(row: OIDCClient, secret: str | None) -> bool:
    """Whether secret is the client's (constant-time)."""
    return bool(row.secret_hash and secret) and secrets.compare_digest(
        row.secret_hash, token_hash(secret))


def uris(row: OIDCClient, name: str) -> list[str]:
    """A stored URI list of a client ("redirect_uris" or "post_logout_redirect_uris")."""
    return json.loads(getattr(row, name))


def consent_versions(row: OIDCClient) -> list[str]:
    """The consent text versions that name the client."""
    return row.consent_versions.split()


def login_links() -> list[tuple[str, str]]:
    """The Kliniske systemer page's links: each enabled client's login URL, by name."""
    return [(row.name, row.login_url) for row in list_clients()
            if row.disabled_at is None and row.login_url]
