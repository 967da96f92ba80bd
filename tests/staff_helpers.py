"""Helpers for tests of the clinic administrator's and the operator's pages."""

import re
import uuid
from datetime import timedelta

from flask.sessions import SecureCookieSessionInterface
from sqlmodel import select

from app.blueprints.auth.sessions import USER_ID_KEY
from app.clock import utcnow
from app.db import get_session
from app.models import AuditEvent, Clinic, LoginSession, Membership, StaffUser
from app.security import new_token, token_hash
from app.simulator import add_identity
from tests.flows import login_with_mitid, post_form
from tests.support import app_path, csrf_from, walk_simulator

LINK_RE = re.compile(r"https?://\S+/invitation/([A-Za-z0-9_-]+)")


def session_of(app, client) -> dict:
    """Decode the signed session cookie as the browser holds it."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(cookie.value) if cookie else {}


def choose(app, client, clinic_key: str, function: str) -> None:
    """Set the clinic and function of the client's current login session directly."""
    token = session_of(app, client)[USER_ID_KEY]
    with app.app_context():
        db = get_session()
        row = db.exec(select(LoginSession).where(LoginSession.token_hash == token_hash(token))).one()
        assert row.ended_at is None
        row.clinic_id = db.exec(select(Clinic.id).where(Clinic.key == clinic_key)).one()
        row.function = function
        db.commit()


def login_as(app, client, persona: str, clinic_key: str, function: str) -> None:
    """Log in with MitID as a persona and work at a clinic in a function."""
    response = login_with_mitid(client, persona)
    assert response.status_code == 302, response.status_code
    choose(app, client, clinic_key, function)


def open_session(app, client, legacy_user_id: str, clinic_key: str | None, function: str | None,
                 method: str = "exempt") -> int:
    """Give the client a server-side login session of an account (e.g. a password-only user)."""
    token = new_token()
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id)).one()
        clinic_id = (db.exec(select(Clinic.id).where(Clinic.key == clinic_key)).one()
                     if clinic_key else None)
        now = utcnow()
        row = LoginSession(token_hash=token_hash(token), staff_user_id=user.id, method=method,
                           clinic_id=clinic_id, function=function, created_at=now, last_seen_at=now,
                           expires_at=now + timedelta(hours=8))
        db.add(row)
        db.commit()
        row_id = row.id
    with client.session_transaction() as cookie_session:
        cookie_session[USER_ID_KEY] = token
        cookie_session["_fresh"] = True
    return row_id


def set_email(app, legacy_user_id: str, email: str) -> None:
    """Give an account an e-mail address (the seed personas have none)."""
    with app.app_context():
        db = get_session()
        db.exec(select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id)).one().email = email
        db.commit()


def user_by_id(app, legacy_user_id: str) -> StaffUser:
    """Load an account by its user ID (detached, readable after the context)."""
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id)).one()
        db.expunge(user)
        return user


def post_with(client, path: str, data: dict, *, page: str, prefix: str | None = None,
              htmx: bool = False):
    """POST with the CSRF token of `page`, under a form prefix when the form has one."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    key = f"{prefix}-csrf_token" if prefix else "csrf_token"
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={key: token, **data}, headers=headers)


def audit_events(app, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    with app.app_context():
        db = get_session()
        rows = db.exec(select(AuditEvent).where(AuditEvent.action == action)
                       .order_by(AuditEvent.id)).all()
        db.expunge_all()
        return rows


def token_from(mail) -> str:
    """The invitation token in an e-mail's link."""
    match = LINK_RE.search(mail.text)
    assert match, "mail has no invitation link"
    return match.group(1)


def invite(app, name: str, clinic_id: int = 1) -> tuple[int, str]:
    """A new account without a password at a clinic, invited to onboard: (its id, the link)."""
    from app.blueprints.enrolment.invitations import issue_invitation

    with app.app_context():
        db = get_session()
        user = StaffUser(name=name, legacy_user_id=f"new.{uuid.uuid4().hex[:8]}")
        db.add(user)
        db.flush()
        db.add(Membership(staff_user_id=user.id, clinic_id=clinic_id, function="secretary"))
        token = issue_invitation(staff_user_id=user.id, purpose="onboarding")
        db.commit()
        return user.id, f"/invitation/{token}"


def mitid_person(simulator, name: str) -> str:
    """A new identity at the MitID simulator; returns its BRUGER-ID."""
    mitid_user_id = f"p.{uuid.uuid4().hex[:10]}"
    add_identity(simulator, mitid_user_id=mitid_user_id, name=name, cpr="010190-1234")
    return mitid_user_id


def claim_with_mitid(client, link: str, mitid_user_id: str):
    """Fortsæt med MitID on an invitation page, log in at the simulator, come back."""
    start = post_form(client, link, {})
    assert start.status_code == 303, start.status_code
    return client.get(app_path(walk_simulator(start.location, mitid_user_id)))
