"""The bench's peer: the login a Flask team would otherwise pick (Flask-Security-Too).

Runs in its own virtual environment (bench/.peer-venv), never imports `app`. Configured like our
password login where it matters for speed: argon2id with the same parameters, a CSRF-protected
form, a server-side user table in PostgreSQL, a signed cookie session.

    python bench/peer/fst_app.py seed     # create the tables and the measured user
    gunicorn 'fst_app:create_app()'       # serve (bench/peer.py starts it)
"""

import os
import sys

from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore, hash_password
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

# The measured user: the same password as our external user's (bench/run.py login_requests).
EMAIL = "bente.ext@example.dk"
PASSWORD = "Bogholder2024"  # noqa: S105 (a fictitious bench identity)

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    """A role (unused by the login, required by the datastore)."""


class User(db.Model, fsqla.FsUserMixin):
    """A user with an e-mail identity and an argon2id password hash."""


def create_app() -> Flask:
    """The peer app, configured from PEER_* environment variables."""
    app = Flask(__name__)
    threads = int(os.environ.get("GUNICORN_THREADS", "4"))
    app.config.update(
        SECRET_KEY=os.environ["PEER_SECRET_KEY"],
        SECURITY_PASSWORD_SALT=os.environ["PEER_SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=os.environ["PEER_DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads, "max_overflow": 2},
        # Our app's argon2id parameters (app/security.py), in libpass's names.
        SECURITY_PASSWORD_HASH="argon2",  # noqa: S106 (the scheme's name, not a secret)
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={
            "argon2__memory_cost": int(os.environ.get("PEER_ARGON2_MEMORY_KIB", "19456")),
            "argon2__rounds": int(os.environ.get("PEER_ARGON2_TIME_COST", "2")),
            "argon2__parallelism": int(os.environ.get("PEER_ARGON2_PARALLELISM", "1")),
        },
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    db.init_app(app)
    app.security = Security(app, SQLAlchemyUserDatastore(db, User, Role))
    return app


def seed() -> None:
    """Create the tables and the measured user (once)."""
    app = create_app()
    with app.app_context():
        db.create_all()
        store = app.security.datastore
        if store.find_user(email=EMAIL) is None:
            store.create_user(email=EMAIL, password=hash_password(PASSWORD))
            db.session.commit()


if __name__ == "__main__":
    if sys.argv[1:] != ["seed"]:
        raise SystemExit("usage: fst_app.py seed")
    seed()
