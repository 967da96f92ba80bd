"""CPR numbers at rest and in transit: encrypted, blind-indexed, never in cookies, URLs, mails, logs."""

import logging

from cryptography.fernet import Fernet
from flask import request_finished
from flask.sessions import SecureCookieSessionInterface
from sqlmodel import select

from app.models import PatientRecord, PortalUser
from tests.conftest import CPR_KEY
from tests.helpers.db import query_one
from tests.helpers.http import post_form, raw_session_cookie, session_of
from tests.helpers.mail import link_from
from tests.helpers.portal import (
    CPR,
    NEW_PASSWORD,
    assert_no_cpr,
    code_login,
    database_text,
    logout,
    portal_mitid,
    register,
    register_child,
)

WATCHED = (CPR["sofie.nielsen"], CPR["karen.jensen"], CPR["emma"])


def test_no_cpr_in_cookies_urls_mails_logs_or_the_database(app, client, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []  # every response's redirect target and session cookie, as the browser sees them
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)

    def _record(sender, response, **extra):
        seen.append(response.headers.get("Location", ""))
        seen.append(response.headers.get("HX-Redirect", "") + response.headers.get(
            "HX-Push-Url", ""))
        for cookie in response.headers.getlist("Set-Cookie"):
            seen.append(cookie)
            value = cookie.split(";", 1)[0].partition("=")[2]
            if cookie.startswith("session=") and value:
                seen.append(str(serializer.loads(value)))  # the decoded (compressed) session

    request_finished.connect(_record, app)
    try:
        register(client, "aarhus", cpr=CPR["sofie.nielsen"].replace("-", ""))
        seen.append(str(session_of(app, client)))
        logout(client, "aarhus")
        code_login(client, outbox, "aarhus", CPR["sofie.nielsen"])
        logout(client, "aarhus")
        post_form(client, "/portal/aarhus/glemt-adgangskode",
             {"cpr": CPR["sofie.nielsen"], "email": "sofie.nielsen@example.dk"})
        post_form(client, link_from(outbox[-1]),
             {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        register(client, "vejle", mitid_as="karen.jensen")  # wrong CPR from MitID
        register_child(client, "aarhus")
        seen.append(str(session_of(app, client)))
        portal_mitid(client, "aarhus", "karen.jensen")
        seen.append(raw_session_cookie(app, client))
    finally:
        request_finished.disconnect(_record, app)

    assert len(outbox) >= 2 and "portal_token" in "\n".join(seen)  # cookies were decoded
    assert_no_cpr("\n".join(seen), *WATCHED)
    assert_no_cpr("\n".join(m.subject + m.text for m in outbox), *WATCHED)
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "template=portal_security_code" in messages  # the logs were captured
    assert_no_cpr(messages, *WATCHED)
    assert_no_cpr(database_text(app), *WATCHED)
    assert set(session_of(app, client)) <= {"portal_token", "csrf_token", "_flashes"}


def test_cpr_is_stored_encrypted_with_a_blind_index(app, client):
    from app.cpr import reveal
    from app.security import cpr_index

    register(client, "aarhus")
    [user] = query_one(app, select(PortalUser))
    [record] = query_one(app, select(PatientRecord))
    with app.app_context():
        assert reveal(user.cpr_encrypted) == CPR["sofie.nielsen"]
        assert reveal(record.cpr_encrypted) == CPR["sofie.nielsen"]
        assert user.cpr_index == record.cpr_index == cpr_index(CPR["sofie.nielsen"])
    assert len(user.cpr_index) == 64 and CPR["sofie.nielsen"][:6] not in user.cpr_encrypted


def test_a_new_encryption_key_keeps_existing_users_working(app, client, outbox):
    from app.security import decrypt_cpr

    register(client, "aarhus")
    logout(client, "aarhus")
    new_key = Fernet.generate_key().decode()
    app.config["CPR_ENCRYPTION_KEYS"] = f"{new_key},{CPR_KEY}"  # rotation: newest first
    assert code_login(client, outbox, "aarhus", CPR["sofie.nielsen"]).location == (
        "/portal/aarhus/hjem")
    assert "071198-XXXX" in client.get("/portal/aarhus/hjem").get_data(as_text=True)
    logout(client, "aarhus")
    register(client, "aarhus", "karen.jensen")
    karen = query_one(app, select(PortalUser).where(PortalUser.first_name == "Karen"))[0]
    app.config["CPR_ENCRYPTION_KEYS"] = new_key
    with app.app_context():
        assert decrypt_cpr(karen.cpr_encrypted) == CPR["karen.jensen"]
