"""What the busiest requests cost the shared services: Redis, hashing, the database.

The benchmark (make bench) measures the speed; these tests pin the behaviour that makes it:
GET pages skip the shared rate-limit counter, argon2id runs at most N at a time per process or,
under gunicorn, per instance (a killed worker's slot is given back), another instance's changes
show at once, and a request whose connection died answers 503 once.
"""

import threading

import pytest
from sqlmodel import select

from app import create_app, security
from app.models import (
    AuditEvent,
    ConsentRecord,
    EmailCode,
    LoginSession,
    MitIDLink,
    Onboarding,
    StaffUser,
)
from tests.helpers.db import query_one
from tests.helpers.http import csrf_from, post_form
from tests.helpers.staff import CLINIC_IDS, login_with_mitid, onboard_until


def test_a_password_login_stores_the_session_with_its_clinic_and_its_audit_event(app, client,
                                                                                   clock):
    assert client.get("/login").status_code == 200
    answer = post_form(client, "/login/password",
                       {"user_id": "bente.ext", "password": "Bogholder2024"})
    assert (answer.status_code, answer.location) == (303, "/")
    row = query_one(app, select(LoginSession))[0]
    assert row.clinic_id is not None and row.function == "external"
    events = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "session_context_chosen"))
    assert [e.target_id for e in events] == [str(row.id)]


def test_wrong_password_is_committed_and_a_refused_correct_one_resets_the_count(app, clock):
    from datetime import UTC, datetime

    from app.models import StaffUser

    client = app.test_client()
    assert post_form(client, "/login/password",
                     {"user_id": "ato", "password": "forkert"}).status_code == 422
    assert query_one(app, select(StaffUser.failed_login_count).where(
        StaffUser.legacy_user_id == "ato")) == [1]
    clock.now = datetime(2030, 1, 1, 9, tzinfo=UTC)  # after the cut-over: the policy refuses
    assert post_form(client, "/login/password",
                     {"user_id": "ato", "password": "Kirpacs2024"}).status_code == 422
    assert query_one(app, select(StaffUser.failed_login_count).where(
        StaffUser.legacy_user_id == "ato")) == [0]


@pytest.mark.ratelimit
def test_default_rate_limit_counts_posts_not_page_views(app):
    """The configured default (300 a minute per client; the limiter is one per process, so its
    defaults are the first app's) counts POSTs; page views in between are never refused."""
    assert app.config["RATELIMIT_DEFAULT"] == "300 per minute"
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    statuses = []
    for _ in range(301):
        statuses.append(client.post("/language", data={"csrf_token": token, "lang": "da",
                                                       "next": "/login"}).status_code)
        assert client.get("/login").status_code == 200
    assert statuses == [303] * 300 + [429]


def test_another_instances_outage_switch_shows_on_the_login_page_at_once(app, app_config):
    """Two instances on one database: the banner and the fallback follow the switch at once."""
    from tests.test_login_policy import switch

    banner = "MitID-nedbrud: log ind med brugernavn og adgangskode"
    other = create_app(app_config)
    reader, operator = app.test_client(), other.test_client()
    assert banner not in reader.get("/login").get_data(as_text=True)
    login_with_mitid(operator, "lars.drift")
    assert switch(operator, True).status_code == 303
    assert banner in reader.get("/login").get_data(as_text=True)
    assert post_form(reader, "/login/password",
                     {"user_id": "ato", "password": "Kirpacs2024"}).status_code == 303
    other.extensions["db_engine"].dispose()


@pytest.mark.parametrize("limit", [1, 2])
def test_password_hashing_runs_at_most_the_configured_number_at_once(app, monkeypatch, limit):
    app.config["PASSWORD_HASH_CONCURRENCY"] = limit
    monkeypatch.setattr(security, "_slots", {})
    inside, most, full = [0], [0], threading.Condition()
    real_verify = security.password_hasher.verify

    def verify(stored, password):
        with full:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            full.notify_all()
            # Hold the slot until `limit` hashes run at once, so the others must queue.
            full.wait_for(lambda: inside[0] >= limit, timeout=5)
        try:
            return real_verify(stored, password)
        finally:
            with full:
                inside[0] -= 1

    stored = security.password_hasher.hash("hemmelig")
    monkeypatch.setattr(security, "password_hasher", type("Counting", (), {
        "verify": staticmethod(verify)})())
    results = []

    def worker():
        with app.app_context():
            results.append(security.verify_password(stored, "hemmelig"))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 6
    assert most[0] == limit




CLOSED_FRONT = "Klinikken opretter selv patienter som brugere."
CLOSED_FORM = "Kontakt klinikken for at blive oprettet"


def _set_mode(app, key: str, mode: str) -> None:
    from app.core.db import get_session
    from app.models import Clinic

    with app.app_context():
        db = get_session()
        clinic = db.exec(select(Clinic).where(Clinic.key == key)).one()
        clinic.self_registration = mode
        db.commit()


def test_another_instances_closed_registration_shows_at_once(app, app_config):
    patient = app.test_client()
    assert CLOSED_FRONT not in patient.get("/portal/vejle").get_data(as_text=True)
    other = create_app(app_config)
    _set_mode(other, "vejle", "none")
    assert CLOSED_FRONT in patient.get("/portal/vejle").get_data(as_text=True)
    assert CLOSED_FORM in patient.get("/portal/vejle/opret").get_data(as_text=True)
    assert patient.get("/portal/ingen-klinik").status_code == 404
    other.extensions["db_engine"].dispose()


def test_a_settings_change_shows_on_this_instance_at_once(app):
    from app.blueprints.clinic_settings.services import save_settings, service_links
    from app.core.db import get_session
    from app.models import Clinic

    patient = app.test_client()
    assert CLOSED_FRONT not in patient.get("/portal/vejle").get_data(as_text=True)
    with app.test_request_context():
        clinic = get_session().exec(select(Clinic).where(Clinic.key == "vejle")).one()
        links = {kind: (link.enabled, link.url) for kind, link in service_links(clinic.id).items()}
        assert save_settings(clinic, staff_user_id=1, self_registration="none", phone=clinic.phone,
                             email=clinic.email, address=clinic.address, links=links) == [
            "self_registration"]
    assert CLOSED_FRONT in patient.get("/portal/vejle").get_data(as_text=True)


def _kill_app_connections(app) -> None:
    from sqlalchemy import create_engine, text

    killer = create_engine(app.extensions["db_engine"].url)
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    killer.dispose()


def test_after_the_database_dropped_every_connection_the_next_page_is_served(app, client):
    if app.extensions["db_engine"].dialect.name != "postgresql":
        pytest.skip("the database's connections")
    login_with_mitid(client, "asger.torring")
    assert client.get("/onboarding/link").status_code == 200  # a pooled connection now
    _kill_app_connections(app)  # as a database restart does
    page = client.get("/onboarding/link")
    assert page.status_code == 200 and "Asger" in page.get_data(as_text=True)
    assert client.get("/portal/vejle/opret").status_code == 200


def test_completing_the_onboarding_stores_everything_exactly_once(app, client, outbox):
    onboard_until(client, outbox, "asger.torring", "consent", email="asger.privat@example.dk")
    token = csrf_from(client.get("/onboarding/consent").get_data(as_text=True))
    done = client.post("/onboarding/consent", data={"csrf_token": token})
    assert (done.status_code, done.location) == (303, "/?welcome=1")

    user = query_one(app, select(StaffUser).where(StaffUser.legacy_user_id == "ato"))[0]
    assert (user.email, user.mobile) == ("asger.privat@example.dk", "+4520123456")
    assert user.email_verified_at == user.contact_confirmed_at == user.onboarded_at is not None
    links = query_one(app, select(MitIDLink))
    assert [(link.staff_user_id, link.idp) for link in links if link.staff_user_id == user.id] == [
        (user.id, "mitid")]
    consents = query_one(app, select(ConsentRecord).where(ConsentRecord.staff_user_id == user.id))
    assert [(c.action, c.method) for c in consents] == [("given", "onboarding_wizard")]
    sessions = query_one(app, select(LoginSession).where(LoginSession.staff_user_id == user.id))
    assert [(s.method, s.clinic_id, s.function) for s in sessions] == [
        ("mitid", CLINIC_IDS["vejle"], "clinician")]
    events = query_one(app, select(AuditEvent).where(AuditEvent.action.in_(
        ["mitid_linked", "consent_given", "session_context_chosen"])).order_by(AuditEvent.action))
    assert [(e.action, e.actor, e.target_id) for e in events] == [
        ("consent_given", f"staff:{user.id}", str(user.id)),
        ("mitid_linked", f"staff:{user.id}", str(user.id)),
        ("session_context_chosen", f"staff:{user.id}", str(sessions[0].id)),
    ]
    assert query_one(app, select(Onboarding)) == [] and query_one(app, select(EmailCode)) == []
    # The login's principal and its clinic read right on the next page.
    page = client.get("/").get_data(as_text=True)
    assert "Asger Tørring" in page and "Kiropraktisk Klinik Vejle" in page
