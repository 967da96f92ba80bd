"""OpenID Connect clients of the MitID brokers (authlib), one registry per app."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc.errors import JoseError

from app import audit, broker_client_auth, broker_profiles
from app.broker_profiles import BROKERS
from app.core.db import get_session

log = logging.getLogger(__name__)
Identity = TypeVar("Identity")


def init_app(app) -> None:
    """Register the staff and citizen broker clients on an OAuth registry owned by this app."""
    broker_profiles.check_config(app.config)
    oauth = OAuth(app)
    for name, prefix in BROKERS.items():
        broker_client_auth.check_config(app.config, prefix)
        auth = broker_client_auth.registration(app.config, prefix)
        oauth.register(
            name,
            client_id=app.config[f"{prefix}_CLIENT_ID"],
            client_secret=auth["client_secret"],
            server_metadata_url=app.config[f"{prefix}_METADATA_URL"],
            client_auth_methods=auth["client_auth_methods"],
            client_kwargs={
                "scope": app.config[f"{prefix}_SCOPE"],
                "code_challenge_method": "S256",
                "timeout": app.config["OIDC_TIMEOUT"],
                "token_endpoint_auth_method": auth["method"],
            },
        )
    app.extensions["oidc"] = oauth


def staff_broker():
    """Return the OIDC client of the staff broker."""
    return current_app.extensions["oidc"].staff_broker


def citizen_broker():
    """Return the OIDC client of the citizen broker (the patient portal's MitID)."""
    return current_app.extensions["oidc"].citizen_broker


def expected_issuer(metadata_url: str, configured: str | None) -> str:
    """The issuer the ID token must name: configured, or the metadata URL's base."""
    return configured or metadata_url.removesuffix("/.well-known/openid-configuration")


def id_token_claims_options(client) -> dict:
    """Exact issuer and audience of this client's broker for authlib's ID token validation."""
    cfg = current_app.config
    prefix = BROKERS[client.name]
    issuer = expected_issuer(cfg[f"{prefix}_METADATA_URL"], cfg.get(f"{prefix}_ISSUER"))
    options = {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [client.client_id]},
        "exp": {"essential": True},
        "nonce": {"essential": True},
    }
    max_age = cfg.get(f"{prefix}_MAX_AGE")
    if max_age:
        # With max_age the ID token MUST carry auth_time and the RP SHOULD check it
        # (https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation, item 13).
        leeway = cfg["OIDC_LEEWAY"]
        options["auth_time"] = {"essential": True, "validate": lambda _claims, value: (
            isinstance(value, int | float) and time.time() - value <= int(max_age) + leeway)}
    return options


@dataclass(frozen=True)
class BrokerLogin:
    """What a login session keeps of the MitID login it came from.

    id_token is the hint of Log ud at the broker; sub and sid find the session when the broker
    sends a back-channel logout token; idp and loa say how the person logged in.
    """

    id_token: str | None = None
    idp: str | None = None  # mitid | mitid_erhverv
    loa: str | None = None  # low | substantial | high
    sub: str | None = None
    sid: str | None = None

    @classmethod
    def of(cls, identity) -> "BrokerLogin":
        """From a verified staff or citizen identity (MitIDIdentity, CitizenIdentity)."""
        return cls(id_token=identity.id_token, idp=identity.idp, loa=identity.loa,
                   sub=identity.sub, sid=identity.sid)

    def session_columns(self) -> dict:
        """The columns of LoginSession and PortalSession that hold it."""
        return {"id_token": self.id_token, "idp": self.idp, "loa": self.loa,
                "broker_sub": self.sub, "broker_sid": self.sid}


class LoginFailed(Exception):
    """The broker's answer was refused.

    kind is expired, cancelled, unreachable, invalid, or (a verified answer the app does not
    accept) unknown_idp or low_assurance.
    """

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def finish_login(client, identity_from_claims: Callable[[dict], Identity]) -> Identity:
    """Finish the authorization at the callback and read the identity, or raise LoginFailed.

    identity_from_claims builds the area's identity from the broker profile's reading of the
    claims (broker_profiles.claims_of), once the login's kind and assurance level are accepted.
    """
    who = client.name.removesuffix("_broker")
    try:
        token = client.authorize_access_token(leeway=current_app.config["OIDC_LEEWAY"],
                                              claims_options=id_token_claims_options(client))
        claims = broker_profiles.claims_of(client.name, token["userinfo"],
                                           client.userinfo(token=token))
        refused = broker_profiles.refusal(client.name, claims["idp"], claims["loa"])
        if refused:
            _refuse(client, refused, claims)
        identity = identity_from_claims(claims)
        identity.id_token = token["id_token"]  # kept server-side: the hint of Log ud at the broker
        return identity
    # Only the error's type or code is logged: the token and claims hold personal data.
    except MismatchingStateError:  # an OAuthError too, so it goes first
        log.info("%s MitID callback refused: state mismatch or replay", who)
        raise LoginFailed("expired") from None
    except OAuthError as exc:
        log.info("%s MitID callback refused: %s", who, exc.error)
        raise LoginFailed("cancelled" if exc.error == "access_denied" else "invalid") from None
    except requests.RequestException as exc:  # before ValueError: some are both
        log.warning("%s broker unreachable at callback: %s", who, type(exc).__name__)
        raise LoginFailed("unreachable") from None
    except (JoseError, ValueError, KeyError) as exc:
        log.warning("%s ID token rejected: %s", who, type(exc).__name__)
        raise LoginFailed("invalid") from None


def _refuse(client, kind: str, claims: dict) -> NoReturn:
    """Audit a verified login that is not accepted (how it was made, nothing of who), then raise."""
    who = client.name.removesuffix("_broker")
    log.info("%s MitID login refused: %s", who, kind)
    audit.record("mitid_login_refused_assurance", actor="anonymous", broker=who, reason=kind,
                 idp=claims["idp"], loa=claims["loa"],
                 required=current_app.config[f"{BROKERS[client.name]}_MIN_LOA"])
    get_session().commit()
    raise LoginFailed(kind)
