"""Database engine and the per-request session."""

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def make_engine(url: str, echo: bool = False, *, pool_size: int = 5, max_overflow: int = 10,
                pool_timeout: int = 30) -> Engine:
    """Create the engine for a database URL (SQLite gets foreign keys and WAL).

    A server database gets a pool of `pool_size` connections per process (one per serving thread
    is enough: a request holds one connection at a time) plus `max_overflow` for bursts.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,  # SQL errors must not carry personal data into logs
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(
        url, echo=echo, hide_parameters=True, pool_size=pool_size,
        max_overflow=max_overflow, pool_timeout=pool_timeout,
        # A connection the server dropped (a restart, a failover) is replaced before use.
        pool_pre_ping=True,
        # A web request runs on one backend: parallel workers only add start-up time (they are
        # started even for the parts of the patient search that a one-time filter skips).
        # psycopg prepares a statement after five runs, and PostgreSQL may then plan it once for
        # any parameters: a LIKE pattern it cannot see cannot use a trigram index. Plans are
        # therefore always made for the actual values. JIT compilation (for plans that merely
        # look expensive) costs more than any request-sized query saves.
        connect_args={"options": "-c max_parallel_workers_per_gather=0 "
                                 "-c plan_cache_mode=force_custom_plan -c jit=off"},
    )
    return engine



def init_app(app) -> None:
    """Bind an engine to the app and close the request's session at teardown."""
    cfg = app.config
    app.extensions["db_engine"] = make_engine(
        cfg["DATABASE_URL"], cfg["SQL_ECHO"], pool_size=cfg["DB_POOL_SIZE"],
        max_overflow=cfg["DB_MAX_OVERFLOW"], pool_timeout=cfg["DB_POOL_TIMEOUT"])
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """Return the session of this request (or app context), opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc=None) -> None:
    """Roll back anything uncommitted and close the session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
