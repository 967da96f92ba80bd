"""Configuration: embedded defaults, overridden by instance/config.py and the environment."""

import os
import secrets
from datetime import date
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from app.custody import SOURCES as CUSTODY_SOURCES


def _instance_secret(instance_path: str, name: str, factory) -> str:
    """Read a local secret from instance/, creating it on first use."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written once with owner-only permissions: these are this machine's local keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(factory())
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class Config:
    """Safe embedded defaults; every value can be overridden by an environment variable of its name."""

    ENV_NAME = "development"  # development | test | production
    SECRET_KEY = None  # generated into instance/ when not configured
    DATABASE_URL = None  # default: SQLite in instance/
    SQL_ECHO = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # required in production (behind TLS)
    # None: "__Host-session" when Secure (the browser then refuses it without TLS, from a
    # subdomain or with a Domain), else "session" (development over http://127.0.0.1).
    SESSION_COOKIE_NAME = None
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    STAFF_SESSION_HOURS = 8  # a clinic session stays open this long at most
    STAFF_IDLE_MINUTES = 60  # and ends after this long without a request
    KIOSK_IDLE_SECONDS = 90  # a kiosk resets after this long without a request
    ONBOARDING_TTL_SECONDS = 30 * 60  # a half-finished onboarding, from its latest MitID login
    RETENTION_DAYS = 180  # people without membership/clinic are deleted after this long inactive
    CONTACT_CONFIRM_MONTHS = 12  # staff confirm e-mail and mobile at login after this long
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")

    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Klinikadgang <no-reply@klinikadgang.localhost>"
    OUTBOX_DIR = None  # development only: where the local SMTP sink writes mail

    # The staff broker (NemLog-in / SEB in front of MitID). Point these at a real broker in production.
    STAFF_BROKER_METADATA_URL = "http://127.0.0.1:5001/.well-known/openid-configuration"
    STAFF_BROKER_CLIENT_ID = "klinikadgang-staff"
    STAFF_BROKER_CLIENT_SECRET = "dev-staff-secret"  # noqa: S105 (the simulator's dev client)
    STAFF_BROKER_SCOPE = "openid mitid nemlogin"
    STAFF_BROKER_ISSUER = None  # default: the metadata URL without /.well-known/...
    STAFF_BROKER_REDIRECT_URI = None  # default: this app's /auth/mitid/callback
    # Where the broker returns after Log ud (register it as a post_logout_redirect_uri).
    STAFF_BROKER_POST_LOGOUT_REDIRECT_URI = None  # default: this app's /auth/logget-ud
    # Seconds: sent as max_age, so the broker asks for MitID again once a login is older.
    STAFF_BROKER_MAX_AGE = None  # None: not sent (the broker's own session length applies)
    # Klinikadgang's own OpenID Provider (the login of the sister systems).
    OP_ISSUER = None  # e.g. https://login.klinikadgang.dk; default: this app's own address
    OP_SIGNING_ALG = "ES256"  # of new signing keys: ES256 | RS256
    OP_KEY_ENCRYPTION_KEYS = None  # Fernet keys (comma-separated); generated into instance/
    OP_KEY_RETAIN_SECONDS = 24 * 3600  # a retired signing key stays in the JWKS this long
    OP_CODE_SECONDS = 60  # an authorization code, single use
    OP_ID_TOKEN_SECONDS = 300
    # Per address at the endpoints other servers call (the provider's token, revocation and
    # introspection endpoints, the brokers' back-channel logout): a sister system's back end or
    # a broker calls from one address for all its users (the morning: tens a second). Codes,
    # secrets and tokens are 256 random bits or signed; this only keeps a flood away.
    SERVER_RATE_LIMIT = "6000 per minute"
    # Which broker it is (app/broker_profiles.py): "signaturgruppen" or "idura". It decides the
    # authorization parameters sent and the claim names read.
    STAFF_BROKER_PROFILE = "signaturgruppen"
    # The lowest NSIS assurance level accepted (low | substantial | high): asked for, and checked.
    STAFF_BROKER_MIN_LOA = "substantial"
    # How the app authenticates at the broker's token endpoint (app/broker_client_auth.py):
    # client_secret_basic | client_secret_post | private_key_jwt; for private_key_jwt the
    # private key (PEM or JWK JSON) in *_PRIVATE_KEY or a file named by *_PRIVATE_KEY_FILE.
    STAFF_BROKER_TOKEN_AUTH_METHOD = "client_secret_basic"  # noqa: S105 (a method name)
    STAFF_BROKER_PRIVATE_KEY = None
    STAFF_BROKER_PRIVATE_KEY_FILE = None
    OIDC_TIMEOUT = 5  # seconds for calls to the broker
    OIDC_LEEWAY = 30  # seconds of clock skew accepted on ID tokens

    # The citizen broker (Sundhedsdatastyrelsens borgeradgang in front of MitID) of the patient portal.
    CITIZEN_BROKER_METADATA_URL = "http://127.0.0.1:5001/.well-known/openid-configuration"
    CITIZEN_BROKER_CLIENT_ID = "klinikadgang-citizen"
    CITIZEN_BROKER_CLIENT_SECRET = "dev-citizen-secret"  # noqa: S105 (the simulator's dev client)
    CITIZEN_BROKER_SCOPE = "openid mitid ssn"  # ssn: the CPR number (dk.cpr) in userinfo
    CITIZEN_BROKER_ISSUER = None  # default: the metadata URL without /.well-known/...
    CITIZEN_BROKER_REDIRECT_URI = None  # default: this app's /portal/mitid/callback
    CITIZEN_BROKER_POST_LOGOUT_REDIRECT_URI = None  # default: this app's /portal/mitid/logget-ud
    CITIZEN_BROKER_PROFILE = "signaturgruppen"  # as STAFF_BROKER_PROFILE
    CITIZEN_BROKER_MIN_LOA = "substantial"  # as STAFF_BROKER_MIN_LOA
    CITIZEN_BROKER_TOKEN_AUTH_METHOD = "client_secret_basic"  # noqa: S105 (as the staff broker's)
    CITIZEN_BROKER_PRIVATE_KEY = None
    CITIZEN_BROKER_PRIVATE_KEY_FILE = None
    PORTAL_IDLE_MINUTES = 30  # a patient's portal session ends after this long without a request

    SIMULATOR_ENABLED = True  # the built-in MitID simulator; refused in production
    # Production refuses a broker on loopback or with the simulator's development client; this
    # lets a production-mode test stack (bench/, tests/scale/) log in at a simulator all the same.
    ALLOW_SIMULATOR_BROKER_IN_PRODUCTION = False
    # Who answers whether an adult has custody of a child (app/custody.py): "simulator" (the
    # personas' parents and children; only with the simulator) or None (no source: a clinic checks).
    CUSTODY_SOURCE = "simulator"

    CPR_ENCRYPTION_KEYS = None  # comma-separated Fernet keys, newest first (rotation)
    CPR_INDEX_KEY = None  # HMAC key of the CPR blind index

    EMAIL_CODE_TTL = 600  # 10 minutes
    EMAIL_CODE_MAX_FAILURES = 5  # wrong tries per address within the window below
    EMAIL_CODE_FAILURE_WINDOW = 3600
    EMAIL_CODE_RESEND_COOLDOWN = 60
    LEGACY_LOGIN_FREE_FAILURES = 3  # failures before the growing lock starts
    LEGACY_LOGIN_BASE_LOCK = 30  # seconds; doubles with each further failure
    LEGACY_LOGIN_MAX_LOCK = 3600

    REDIS_URL = None  # shared rate limits and counters between instances
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "klinikadgang"  # keeps the limits apart from others on a shared Redis
    # Redis away: each process counts the limits itself (Flask-Limiter logs one warning, and looks
    # for Redis again after 1, 2, 4 ... 32 s); logins keep working, /readyz says "degraded".
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Any other failure of the limiter's storage lets the request through (logged) rather than
    # answering 500: a rate limit must not be what takes the login down.
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that hangs instead of refusing must not hold a login for the TCP timeout.
    RATELIMIT_STORAGE_OPTIONS = MappingProxyType({"socket_connect_timeout": 1, "socket_timeout": 1})
    TRUSTED_PROXIES = 0  # reverse proxies in front whose X-Forwarded-For/-Proto are believed

    DB_POOL_SIZE = 5  # PostgreSQL connections kept per process (gunicorn.conf.py: one per thread)
    DB_MAX_OVERFLOW = 10  # extra connections a process may open in a burst
    DB_POOL_TIMEOUT = 30  # seconds a request waits for a free connection
    # X-RateLimit-* headers cost a Redis round trip on every request; a 429 page says it all.
    RATELIMIT_HEADERS_ENABLED = False
    # argon2id computations at once per process; 0: the number of cores. More than the cores
    # only slows each one down and costs 19 MiB apiece.
    PASSWORD_HASH_CONCURRENCY = 0
    RATELIMIT_DEFAULT = "300 per minute"  # per client, for POSTs; GET pages are not counted

    CUTOVER_DATE = date(2024, 10, 2)
    TODAY = None  # injectable clock for tests: a callable returning a date


def load_environment(config, environ=os.environ) -> None:
    """Override known settings from environment variables of the same name, typed like the default."""
    for name in dir(Config):
        if not name.isupper() or name not in environ:
            continue
        raw = environ[name]
        default = getattr(Config, name)
        if isinstance(default, bool):
            value = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, date):
            value = date.fromisoformat(raw)
        elif isinstance(default, tuple):
            value = tuple(part.strip() for part in raw.split(","))
        else:
            value = raw
        config[name] = value


def finalise(app) -> None:
    """Fill generated defaults and refuse unsafe production settings."""
    cfg = app.config
    instance = app.instance_path
    production = cfg["ENV_NAME"] == "production"
    if production:
        if not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] in ("dev", "change-me"):
            raise RuntimeError("Production needs SECRET_KEY from the environment.")
        if cfg["SIMULATOR_ENABLED"]:
            raise RuntimeError("Production refuses to start with the MitID simulator enabled.")
        if not cfg.get("CPR_ENCRYPTION_KEYS") or not cfg.get("CPR_INDEX_KEY"):
            raise RuntimeError("Production needs CPR_ENCRYPTION_KEYS and CPR_INDEX_KEY.")
        if not cfg.get("OP_KEY_ENCRYPTION_KEYS") or not cfg.get("OP_ISSUER"):
            raise RuntimeError("Production needs OP_KEY_ENCRYPTION_KEYS and OP_ISSUER.")
        if not cfg["SESSION_COOKIE_SECURE"]:
            raise RuntimeError("Production needs SESSION_COOKIE_SECURE=true (served over TLS).")
        if not cfg["ALLOW_SIMULATOR_BROKER_IN_PRODUCTION"]:
            _refuse_simulator_brokers(cfg)
    _choose_custody_source(cfg)
    _name_session_cookie(cfg)
    if production and not cfg["SESSION_COOKIE_NAME"].startswith("__Host-"):
        raise RuntimeError("Production needs a __Host- SESSION_COOKIE_NAME.")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(instance, "secret_key", lambda: secrets.token_hex(32))
    if not cfg.get("CPR_ENCRYPTION_KEYS"):
        cfg["CPR_ENCRYPTION_KEYS"] = _instance_secret(instance, "cpr_encryption_key", _fernet_key)
    if not cfg.get("OP_KEY_ENCRYPTION_KEYS"):
        cfg["OP_KEY_ENCRYPTION_KEYS"] = _instance_secret(instance, "op_key_encryption_key",
                                                         _fernet_key)
    if not cfg.get("CPR_INDEX_KEY"):
        cfg["CPR_INDEX_KEY"] = _instance_secret(
            instance, "cpr_index_key", lambda: secrets.token_hex(32)
        )
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = "sqlite:///" + os.path.join(instance, "klinikadgang.sqlite")
    if not cfg.get("OUTBOX_DIR"):
        cfg["OUTBOX_DIR"] = os.path.join(instance, "outbox")


# The development clients the simulator knows (app/simulator/config.py), never a real broker's.
DEV_BROKER_CLIENTS = {"STAFF_BROKER": ("klinikadgang-staff", "dev-staff-secret"),
                      "CITIZEN_BROKER": ("klinikadgang-citizen", "dev-citizen-secret")}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _refuse_simulator_brokers(cfg) -> None:
    """Production with a broker still at the development simulator logs no one in for real."""
    for prefix, (dev_id, dev_secret) in DEV_BROKER_CLIENTS.items():
        host = urlsplit(cfg[f"{prefix}_METADATA_URL"] or "").hostname or ""
        if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
            raise RuntimeError(f"Production refuses {prefix}_METADATA_URL on {host}: that is the "
                               "MitID simulator. Point it at the real broker.")
        if cfg[f"{prefix}_CLIENT_ID"] == dev_id or cfg[f"{prefix}_CLIENT_SECRET"] == dev_secret:
            raise RuntimeError(f"Production refuses the simulator's development client in "
                               f"{prefix}_CLIENT_ID/{prefix}_CLIENT_SECRET; use the broker's.")


def _name_session_cookie(cfg) -> None:
    """Name the session cookie; a Secure one gets the __Host- prefix and must fit its rules."""
    if not cfg.get("SESSION_COOKIE_NAME"):
        cfg["SESSION_COOKIE_NAME"] = "__Host-session" if cfg["SESSION_COOKIE_SECURE"] else "session"
    if cfg["SESSION_COOKIE_NAME"].startswith("__Host-") and (
            not cfg["SESSION_COOKIE_SECURE"] or cfg.get("SESSION_COOKIE_DOMAIN")
            or cfg.get("SESSION_COOKIE_PATH") not in (None, "/")):
        # The browser would drop such a cookie, and no one could log in.
        raise RuntimeError("A __Host- session cookie needs SESSION_COOKIE_SECURE=true, no "
                           "SESSION_COOKIE_DOMAIN and SESSION_COOKIE_PATH=/.")


def _choose_custody_source(cfg) -> None:
    """The simulator's custody answers come only with the simulator (never in production)."""
    if cfg.get("CUSTODY_SOURCE") == "simulator" and not cfg["SIMULATOR_ENABLED"]:
        cfg["CUSTODY_SOURCE"] = None
    if cfg.get("CUSTODY_SOURCE") and cfg["CUSTODY_SOURCE"] not in CUSTODY_SOURCES:
        raise RuntimeError(f"Unknown CUSTODY_SOURCE; known: {', '.join(CUSTODY_SOURCES)}.")
