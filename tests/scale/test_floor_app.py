"""The bench's floor references (bench/floor_app.py) do the work they stand for.

A floor is what a measured request must do at the least; a floor that skipped a step would make
the app look slower than it is. These run the floor app in-process against the scale tests'
PostgreSQL, Redis and a real SMTP sink, with the app's own session cookie and CSRF token.
"""

import hashlib
import hmac

import pytest
from sqlmodel import select

from app.db import get_session
from app.devmail import start_smtp_sink
from app.models import EmailCode, Onboarding, StaffUser
from bench import stack
from bench.floor_app import close_floor_app, create_floor_app
from tests.support import RecordingHandler, code_from, csrf_from

pytestmark = pytest.mark.scale


@pytest.fixture
def floor(two_instances):
    handler = RecordingHandler()
    sink = start_smtp_sink(handler, port=stack.free_port())
    app = create_floor_app(database_url=two_instances.database_url,
                           redis_url=two_instances.redis_url,
                           secret_key=stack.STACK_SECRET_KEY, mail_port=sink.port)
    app.testing = True
    try:
        yield app, handler.messages
    finally:
        close_floor_app(app)
        sink.stop()


def _app_session(app, path: str, setup=None) -> tuple[str, str]:
    """A session cookie and CSRF token made by the app itself (as the bench's fixtures make)."""
    client = app.test_client()
    if setup:
        with client.session_transaction() as sess:
            setup(sess)
    html = client.get(path).get_data(as_text=True)
    return client.get_cookie("session").value, csrf_from(html)


def test_floor_step_reads_the_row_stores_a_hashed_code_and_mails_it(two_instances, floor):
    floor_app, mails = floor
    app = two_instances.app()
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "ato")).one()
        row = Onboarding(sub="floor-test", idp="mitid", identity_type="private", name="Gulv Test",
                         step="contact", staff_user_id=user.id, email="gammel@example.dk",
                         mobile="20123456")
        db.add(row)
        db.commit()
        row_id = row.id
    cookie, csrf = _app_session(app, "/onboarding/contact", lambda s: s.update(
        onboarding={"id": row_id, "step": "contact"}))
    client = floor_app.test_client()
    client.set_cookie("session", cookie)

    page = client.get("/step")
    assert page.status_code == 200
    assert 'value="gammel@example.dk"' in page.get_data(as_text=True)

    forged = client.post("/step", data={"csrf_token": "forged", "email": "ny@example.dk"})
    assert forged.status_code == 400
    invalid = client.post("/step", data={"csrf_token": csrf, "email": "ikke en adresse",
                                         "mobile": "20 12 34 56"})
    assert invalid.status_code == 422
    assert 'value="ikke en adresse"' in invalid.get_data(as_text=True)
    assert mails == []

    answer = client.post("/step", data={"csrf_token": csrf, "email": "ny@example.dk",
                                        "mobile": "20 12 34 56"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "Bekræft din e-mail" in answer.get_data(as_text=True)
    assert "<html" not in answer.get_data(as_text=True)  # the fragment alone
    assert [m.recipients for m in mails] == [["ny@example.dk"]]
    with app.app_context():
        db = get_session()
        stored = db.get(Onboarding, row_id)
        assert (stored.email, stored.mobile, stored.step) == ("ny@example.dk", "20123456",
                                                              "contact")
        code = db.exec(select(EmailCode).where(EmailCode.onboarding_id == row_id)).one()
        key = hashlib.sha256(b"email-code:" + stack.STACK_SECRET_KEY.encode()).digest()
        typed = code_from(mails[0])
        assert code.code_hash == hmac.new(key, typed.encode(), "sha256").hexdigest()
        assert code.code_hash != typed and code.expires_at > code.created_at
        db.delete(code)
        db.delete(stored)
        db.commit()
    app.extensions["db_engine"].dispose()


def test_floor_login_verifies_the_password_and_starts_a_new_session(two_instances, floor):
    floor_app, _mails = floor
    app = two_instances.app()
    cookie, csrf = _app_session(app, "/login")
    client = floor_app.test_client()
    client.set_cookie("session", cookie)

    wrong = client.post("/login", data={"csrf_token": csrf, "user_id": "bente.ext",
                                        "password": "forkert"})
    assert wrong.status_code == 422
    right = client.post("/login", data={"csrf_token": csrf, "user_id": "bente.ext",
                                        "password": "Bogholder2024"})
    assert right.status_code == 303
    with client.session_transaction() as sess:
        assert "uid" in sess and "csrf_token" not in sess  # the old session is gone
    app.extensions["db_engine"].dispose()
