"""Floor references: bare Flask doing only the work a measured request cannot do without.

    gunicorn -c gunicorn.conf.py 'bench.floor_app:from_environment()'

The bare page (bench/bare_app.py) renders and nothing else, so a ratio against it also counts
work every version of the app must do. Each route here does that work and no more, with the
plainest tools: Flask's own signed cookie session, itsdangerous, one psycopg connection per
thread, redis-py, smtplib and argon2-cffi, no extensions, no ORM. A measured request next to its
floor then shows what the app's own stack costs, and the floor next to the bare page (or the raw
verify rate) shows what the stated target leaves for everything else.

- GET /step, a wizard step page: open the signed session, read the onboarding row it names by
  primary key (one round trip), make a CSRF token, render the page with the row's values.
- POST /step, the contact step's answer: open the session, check the CSRF token, validate the
  address (email-validator), count the client in Redis (the app's default POST limit), read the
  row, then in one transaction store a hashed 6-digit code and the address and mobile, commit,
  send the code over a kept SMTP connection and render the next step's fragment. The row keeps
  its step, so a floor row can be posted again (the same statements either way).
- POST /login, the password login: check the CSRF token, count the client in Redis, read the
  account's hash (one round trip), verify it with argon2id through app.security (the same
  per-process bound on hashes at once), put the user in a fresh session and redirect.

It reads the app's session cookie (the same secret and cookie format), so the bench's fixtures
serve both. `from_environment()` takes its settings from FLOOR_DATABASE_URL, FLOOR_REDIS_URL,
SECRET_KEY and MAIL_PORT.
"""

import hashlib
import hmac
import os
import secrets
import smtplib
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import psycopg
import redis
from email_validator import EmailNotValidError, validate_email
from flask import Flask, abort, redirect, render_template, request, session
from itsdangerous import BadData, URLSafeTimedSerializer
from jinja2_fragments.flask import render_block

from app.security import verify_password
from bench.bare_app import LINKS, SECTIONS, TEXT

CONTACT_FIELDS = [("email", "Privat e-mail", "email", "Den e-mailadresse, koden sendes til."),
                  ("mobile", "Mobilnummer", "tel", "8 cifre.")]
CODE_FIELDS = [("code", "Kode", "text", "Koden består af 6 cifre.", None)]
LOGIN_FIELDS = [("user_id", "Bruger ID", "text", None, None),
                ("password", "Kodeord", "password", None, None)]


def from_environment() -> Flask:
    """The floor app of gunicorn's command line (settings from the environment)."""
    return create_floor_app(database_url=os.environ["FLOOR_DATABASE_URL"],
                            redis_url=os.environ["FLOOR_REDIS_URL"],
                            secret_key=os.environ["SECRET_KEY"], mail_port=int(os.environ["MAIL_PORT"]))


def close_floor_app(app: Flask) -> None:
    """Close the connections the app's threads opened (gunicorn's workers just exit)."""
    app.extensions["floor_close"]()


def create_floor_app(*, database_url: str, redis_url: str, secret_key: str,
                     mail_port: int) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key
    app.config["PASSWORD_HASH_CONCURRENCY"] = None  # the cores, as the app's default
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    counter = redis.Redis.from_url(redis_url)
    code_key = hashlib.sha256(b"email-code:" + secret_key.encode()).digest()
    csrf = URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")  # flask-wtf's scheme
    local = threading.local()  # each serving thread's database and SMTP connections
    opened = []  # every connection made, for close_floor_app

    def db() -> psycopg.Connection:
        """Autocommit: a read is one round trip; writes take a transaction block."""
        conn = getattr(local, "db", None)
        if conn is None or conn.closed:
            conn = local.db = psycopg.connect(dsn, autocommit=True)
            opened.append(conn)
        return conn

    def smtp() -> smtplib.SMTP:
        conn = getattr(local, "smtp", None)
        if conn is None:
            conn = local.smtp = smtplib.SMTP("127.0.0.1", mail_port, timeout=10)
            opened.append(conn)
        return conn

    def close() -> None:
        for conn in opened:
            conn.close()
        opened.clear()
        counter.close()

    app.extensions["floor_close"] = close

    def csrf_token() -> str:
        if "csrf_token" not in session:
            session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (flask-wtf's)
        return csrf.dumps(session["csrf_token"])

    def check_csrf() -> None:
        try:
            raw = csrf.loads(request.form.get("csrf_token", ""))
        except BadData:
            abort(400)
        if not hmac.compare_digest(session.get("csrf_token", ""), raw):
            abort(400)

    def count_client(scope: str) -> None:
        """One Redis round trip, as a fixed-window rate limit makes (the count is not enforced)."""
        key = f"floor:{scope}:{request.remote_addr}"
        counter.pipeline().incr(key).expire(key, 60).execute()

    def page(block: str | None, fields, title: str, status: int = 200):
        ctx = {"title": title, "links": LINKS, "sections": SECTIONS[:1], "fields": fields,
               "token": csrf_token(), "notice": TEXT}
        if block:
            return render_block("bare.html", block, **ctx), status
        return render_template("bare.html", **ctx), status

    def contact_fields(email: str, mobile: str) -> list[tuple]:
        return [(*CONTACT_FIELDS[0], email), (*CONTACT_FIELDS[1], mobile)]

    @app.get("/step")
    def step_page():
        row_id = (session.get("onboarding") or {}).get("id")
        row = db().execute("SELECT email, mobile FROM onboarding WHERE id = %s",
                           (row_id,)).fetchone()
        if row is None:
            return redirect("/")
        return page(None, contact_fields(row[0] or "", row[1] or ""), "Kontaktoplysninger")

    @app.post("/step")
    def step_answer():
        check_csrf()
        typed = request.form.get("email", "")
        try:
            email = validate_email(typed, check_deliverability=False).normalized
        except EmailNotValidError:
            return page("content", contact_fields(typed, request.form.get("mobile", "")),
                        "Kontaktoplysninger", 422)
        mobile = "".join(ch for ch in request.form.get("mobile", "") if ch.isdigit())
        count_client("post")
        row_id = (session.get("onboarding") or {}).get("id")
        code = f"{secrets.randbelow(10**6):06d}"
        now = datetime.now(UTC).replace(tzinfo=None)
        conn = db()
        with conn.transaction():
            if conn.execute("SELECT step FROM onboarding WHERE id = %s",
                            (row_id,)).fetchone() is None:
                return redirect("/")
            conn.execute(
                "INSERT INTO email_code (purpose, email, code_hash, created_at, expires_at, "
                "failed_attempts, onboarding_id) VALUES (%s, %s, %s, %s, %s, 0, %s)",
                ("onboarding", email.lower(),
                 hmac.new(code_key, code.encode(), "sha256").hexdigest(),
                 now, now + timedelta(minutes=15), row_id))
            conn.execute("UPDATE onboarding SET email = %s, mobile = %s, updated_at = %s "
                         "WHERE id = %s", (email, mobile, now, row_id))
        message = EmailMessage()
        message["Subject"] = "Din kode til Klinikadgang"
        message["From"] = "no-reply@klinikadgang.example"
        message["To"] = email
        message.set_content(f"Din kode er {code}. Den gælder i 15 minutter.\n")
        smtp().send_message(message)
        session["onboarding"] = {"id": row_id, "step": "contact"}
        return page("content", CODE_FIELDS, "Bekræft din e-mail")

    @app.post("/login")
    def login():
        check_csrf()
        count_client("login")
        user_id = request.form.get("user_id", "").strip().lower()
        row = db().execute("SELECT id, legacy_password_hash FROM staff_user "
                           "WHERE legacy_user_id = %s", (user_id,)).fetchone()
        if not verify_password(row[1] if row else None, request.form.get("password", "")):
            return page("content", LOGIN_FIELDS, "Log ind", 422)
        session.clear()
        session["uid"] = row[0]
        return redirect("/", code=303)

    return app
