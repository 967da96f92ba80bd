"""The staff flows as a person walks them: MitID login, onboarding, pickers, invitations."""

import uuid
from datetime import timedelta

from sqlmodel import select

from app.blueprints.auth.sessions import USER_ID_KEY
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, LoginSession, Membership, MitIDLink, StaffUser
from app.security import new_token, token_hash
from tests.helpers.http import app_path, post_form, session_of
from tests.helpers.mail import code_from
from tests.helpers.mitid import simulator_browser, walk_simulator

STAFF_LOGINS = {
    "asger.torring": ("ato", "Kirpacs2024"),
    "mette.kjaer": ("mkj", "Rygcenter2024"),
    "jonas.holm": ("jho", "Sekretaer2024"),
}

CLINIC_IDS = {"vejle": 1, "aarhus": 2, "odense": 3}  # the order the demo data creates them


def login_with_mitid(client, persona: str, **walk):
    """Click NEMLOG-IN, log in at the simulator, come back; return the callback's response."""
    start = client.get("/auth/mitid/login")
    assert start.status_code == 302, start.status_code
    back = walk_simulator(start.location, persona, browser=simulator_browser(client), **walk)
    return client.get(app_path(back))


def confirm_with_mitid(client, persona: str, *, login_as: str | None = None):
    """Bekræft med dit private MitID on the link step: a second MitID login, back in the app."""
    start = client.get("/onboarding/link/mitid")
    assert start.status_code == 302, start.status_code
    back = walk_simulator(start.location, persona, login_as=login_as,
                          browser=simulator_browser(client))
    return client.get(app_path(back))


def link_erhverv(client, persona: str, cvr: str, *, confirm_as: str | None = None):
    """A first login with a MitID Erhverv identity, confirmed with the private MitID."""
    first = login_with_mitid(client, persona, login_as=cvr)
    assert first.location == "/onboarding/", first.location
    return confirm_with_mitid(client, persona, login_as=confirm_as)


def not_onboarded(app, legacy_user_id: str) -> None:
    """Make a seeded onboarded persona one who has not linked MitID yet (as Asger is)."""
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == legacy_user_id)).one()
        for link in db.exec(select(MitIDLink).where(MitIDLink.staff_user_id == user.id)):
            db.delete(link)
        user.onboarded_at = None
        db.commit()


def onboard_until(client, outbox, persona: str, step: str, email="privat@example.dk",
                  login_as: str | None = None):
    """Walk the onboarding of a persona up to (not through) `step` (login_as: a CVR, Erhverv)."""
    login_with_mitid(client, persona, login_as=login_as)
    if step == "link":
        return
    user_id, password = STAFF_LOGINS[persona]
    assert post_form(client, "/onboarding/link",
                     {"user_id": user_id, "password": password}).status_code == 303
    if step == "contact":
        return
    assert post_form(client, "/onboarding/contact",
                     {"email": email, "mobile": "20 12 34 56"}).status_code == 303
    if step == "verify":
        return
    code = code_from(outbox[-1])
    assert post_form(client, "/onboarding/verify", {"code": code}).status_code == 303


def login_as(client, persona: str, *, clinic: str | None = None, function: str | None = None):
    """Log a staff persona in with MitID and walk the clinic and function pickers."""
    answer = login_with_mitid(client, persona)
    if answer.location == "/select/clinic":
        answer = post_form(client, "/select/clinic", {"clinic_id": CLINIC_IDS[clinic]})
    if answer.location == "/select/function":
        answer = post_form(client, "/select/function", {"function": function})
    assert answer.location in ("/", "/?welcome=1"), answer.location
    return client


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


def login_with_function(app, client, persona: str, clinic_key: str, function: str) -> None:
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


def claim_with_mitid(client, link: str, mitid_user_id: str):
    """Fortsæt med MitID on an invitation page, log in at the simulator, come back."""
    start = post_form(client, link, {})
    assert start.status_code == 303, start.status_code
    return client.get(app_path(walk_simulator(start.location, mitid_user_id,
                                              browser=simulator_browser(client))))
