"""Back-channel logout from a MitID broker: a valid logout token ends the matching local sessions.

OpenID Connect Back-Channel Logout 1.0 (https://openid.net/specs/openid-connect-backchannel-1_0.html).
The broker POSTs a logout_token (§2.5) when a person's login session ends there; we check it as
§2.6 says: signed with a key of the broker's JWKS in an alg its discovery names; explicitly typed
logout+jwt if typed at all (§2.4); iss and aud exactly ours; iat not in the future and not old;
exp not passed; the events member holds the back-channel event as a JSON object; sub or sid is
there; no nonce; and the jti is new (once, on every instance: app/core/jti). Then every open
session of that broker with that sid (and sub, when both are named), or with that sub (no sid),
ends: staff login sessions for the staff broker, patient portal sessions for the citizen broker.
Ending a staff login session also tells our own sister systems (app/provider/backchannel.py).
"""

import logging
from datetime import UTC, datetime

import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import select

from app import audit
from app.broker_profiles import BROKERS
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.jti import first_use
from app.models import LoginSession, PortalSession
from app.oidc import expected_issuer

log = logging.getLogger(__name__)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Explicitly typed, or plainly a JWT (as many OPs send it); never another explicit type.
TYPES = ("logout+jwt", "application/logout+jwt", "jwt")
MAX_AGE = 600  # seconds: an older logout token is refused, so its jti need not be kept longer


class LogoutTokenError(Exception):
    """The logout token is not valid; the message says why (it names no person)."""


def _decode(client, logout_token: str):
    metadata = client.load_server_metadata()
    algorithms = [alg for alg in metadata.get("id_token_signing_alg_values_supported", ["RS256"])
                  if alg != "none"]
    for force in (False, True):  # a kid we do not know yet: the broker may have rotated its keys
        try:
            keys = KeySet.import_key_set(client.fetch_jwk_set(force=force))
            return jwt.decode(logout_token, keys, algorithms=algorithms)
        except (JoseError, ValueError) as exc:
            error = exc
    raise LogoutTokenError(f"signature: {type(error).__name__}")


def read_logout_token(client, logout_token: str) -> dict:
    """The claims of a valid logout token of this broker, or LogoutTokenError."""
    token = _decode(client, logout_token)
    claims, typ = token.claims, token.header.get("typ")
    if typ is not None and typ.lower() not in TYPES:
        raise LogoutTokenError("typ")
    cfg = current_app.config
    prefix = BROKERS[client.name]
    if claims.get("iss") != expected_issuer(cfg[f"{prefix}_METADATA_URL"], cfg.get(f"{prefix}_ISSUER")):
        raise LogoutTokenError("iss")
    audience = claims.get("aud")
    if client.client_id not in (audience if isinstance(audience, list) else [audience]):
        raise LogoutTokenError("aud")
    now, leeway = utcnow().timestamp(), cfg["OIDC_LEEWAY"]
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > now + leeway or iat < now - MAX_AGE:
        raise LogoutTokenError("iat")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp < now - leeway):
        raise LogoutTokenError("exp")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        raise LogoutTokenError("events")
    if not isinstance(claims.get("sub") or claims.get("sid"), str):
        raise LogoutTokenError("sub_or_sid")
    if "nonce" in claims:
        raise LogoutTokenError("nonce")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LogoutTokenError("jti")
    kept_until = datetime.fromtimestamp(max(iat + MAX_AGE, exp or 0) + leeway, UTC)
    if not first_use(issuer=claims["iss"], jti=jti, expires_at=kept_until):
        raise LogoutTokenError("jti_reused")
    return claims


def end_sessions(client, claims: dict) -> int:
    """End the open sessions of this broker's login session (sid) or person (sub); how many."""
    model = LoginSession if client.name == "staff_broker" else PortalSession
    query = select(model).where(model.ended_at.is_(None))
    if claims.get("sid"):
        query = query.where(model.broker_sid == claims["sid"])
    if claims.get("sub"):
        query = query.where(model.broker_sub == claims["sub"])
    db = get_session()
    rows = db.exec(query).all()
    now = utcnow()
    for row in rows:
        row.ended_at = now
        if model is LoginSession:
            row.ended_reason = "broker_logout"
        audit.record("session_ended_by_broker", actor=f"broker:{client.name.removesuffix('_broker')}",
                     target_type=model.__tablename__, target_id=row.id)
    db.commit()
    return len(rows)


def handle(client, logout_token: str | None) -> tuple[dict, int]:
    """The endpoint's answer (§2.8): 200 when the token is valid, else 400 invalid_request."""
    who = client.name.removesuffix("_broker")
    if not logout_token:
        return {"error": "invalid_request", "error_description": "logout_token missing"}, 400
    try:
        claims = read_logout_token(client, logout_token)
    except LogoutTokenError as exc:
        get_session().rollback()
        log.info("%s back-channel logout refused: %s", who, exc)
        return {"error": "invalid_request", "error_description": "invalid logout_token"}, 400
    except (requests.RequestException, RuntimeError) as exc:  # the broker's JWKS is unreachable
        log.warning("%s back-channel logout: keys unavailable (%s)", who, type(exc).__name__)
        return {"error": "temporarily_unavailable"}, 503
    ended = end_sessions(client, claims)
    log.info("%s back-channel logout: %d session(s) ended", who, ended)
    return {}, 200
