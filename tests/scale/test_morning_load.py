"""A real morning: 200 staff onboardings and 200 patient registrations at once, against two
instances, every request alternating between them. Afterwards each one is stored completely and
exactly once, and no request was answered with a 5xx.

Bounded: a fixed number of walks on a fixed pool of threads, loopback only. Every walk comes from
its own address (X-Forwarded-For through the instances' one trusted proxy), as real users would,
so per-address rate limits apply to each user and not to the test as a whole.
"""

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.core.db import get_session
from app.models import (
    AuditEvent,
    ConsentRecord,
    Membership,
    MitIDLink,
    Onboarding,
    PatientRecord,
    PortalUser,
    StaffUser,
)
from app.security import cpr_index, hash_password
from app.simulator import subject_for
from app.simulator.cli import post_identity
from tests.scale.walks import Alternating, onboard_staff, register_patient

pytestmark = pytest.mark.scale

STAFF = int(os.environ.get("SCALE_LOAD_STAFF", "200"))
PATIENTS = int(os.environ.get("SCALE_LOAD_PATIENTS", "200"))
THREADS = int(os.environ.get("SCALE_LOAD_THREADS", "16"))
STAFF_PASSWORD = "Morgen2024"
PATIENT_PASSWORD = "Solskin2026x"
AARHUS = 2  # the demo clinic with self-registration "auto"


def staff_cpr(i: int) -> str:
    return f"{1 + i % 28:02d}{1 + (i // 28) % 12:02d}7{i // 336}-{2000 + i:04d}"


def patient_cpr(i: int) -> str:
    return f"{1 + i % 28:02d}{1 + (i // 28) % 12:02d}8{i // 336}-{1000 + i:04d}"


def _prepare(stack) -> None:
    """Identities through the simulator's development endpoint; the staff accounts in the DB."""
    for i in range(STAFF):
        answer = post_identity(stack.simulator.url, {
            "mitid_user_id": f"morgen.staff{i:03d}", "name": f"Morgen Behandler {i}",
            "cpr": staff_cpr(i)})
        assert answer.status_code == 201, answer.text
    for i in range(PATIENTS):
        answer = post_identity(stack.simulator.url, {
            "mitid_user_id": f"morgen.patient{i:03d}", "name": f"Morgen Patient {i}",
            "cpr": patient_cpr(i)})
        assert answer.status_code == 201, answer.text
    app = stack.app()
    shared_hash = hash_password(STAFF_PASSWORD)  # one hash for all: only its check is timed
    with app.app_context():
        db = get_session()
        for i in range(STAFF):
            user = StaffUser(name=f"Morgen Behandler {i}", legacy_user_id=f"morgen{i:03d}",
                             legacy_password_hash=shared_hash)
            db.add(user)
            db.flush()
            db.add(Membership(staff_user_id=user.id, clinic_id=AARHUS, function="clinician"))
        db.commit()
    app.extensions["db_engine"].dispose()


def _walk(stack, kind: str, i: int):
    n = i if kind == "staff" else STAFF + i
    browser = Alternating(stack.urls, start=n % 2, forwarded_for=f"10.77.{n // 250}.{n % 250}")
    try:
        if kind == "staff":
            onboard_staff(browser, stack.mail, mitid_user_id=f"morgen.staff{i:03d}",
                          user_id=f"morgen{i:03d}", password=STAFF_PASSWORD,
                          email=f"morgen{i:03d}@example.dk", htmx=bool(i % 2))
        else:
            email = f"patient{i:03d}@example.dk"
            register_patient(browser, "aarhus", mitid_user_id=f"morgen.patient{i:03d}", fields={
                "cpr": patient_cpr(i), "first_name": "Morgen", "last_name": f"Patient{i}",
                "email": email, "email_confirm": email, "mobile": "20 00 00 03",
                "password": PATIENT_PASSWORD, "password_confirm": PATIENT_PASSWORD,
                "accept_terms": "y"})
        return None, browser.log
    except Exception as exc:
        return f"{kind} {i}: {type(exc).__name__}: {str(exc)[:300]}", browser.log


def test_a_morning_of_onboardings_and_registrations(two_instances):
    _prepare(two_instances)
    jobs = [job for i in range(max(STAFF, PATIENTS))
            for job in ((("staff", i),) if i < STAFF else ()) + ((("patient", i),)
                                                               if i < PATIENTS else ())]
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(lambda job: _walk(two_instances, *job), jobs))
    elapsed = time.monotonic() - started
    failures = [failure for failure, _log in outcomes if failure]
    statuses = Counter(status for _failure, log in outcomes for *_rest, status in log)
    requests = sum(statuses.values())
    print(f"\n{len(jobs)} walks, {requests} app requests in {elapsed:.1f} s; statuses {statuses}")
    assert not failures, failures[:5]
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] == 0, statuses
    per_instance = Counter(instance for _f, log in outcomes for instance, *_rest in log)
    assert set(per_instance) == set(two_instances.urls)

    app = two_instances.app()
    with app.app_context():
        db = get_session()
        users = db.exec(select(StaffUser).where(StaffUser.legacy_user_id.like("morgen%"))
                        .order_by(StaffUser.legacy_user_id)).all()
        assert len(users) == STAFF
        ids = [u.id for u in users]
        links = db.exec(select(MitIDLink).where(MitIDLink.staff_user_id.in_(ids))).all()
        assert len(links) == STAFF  # one link per account (unique), none missing
        by_user = {link.staff_user_id: link for link in links}
        consents = Counter(db.exec(select(ConsentRecord.staff_user_id).where(
            ConsentRecord.staff_user_id.in_(ids), ConsentRecord.action == "given")).all())
        for i, user in enumerate(users):
            assert by_user[user.id].sub == subject_for(f"morgen.staff{i:03d}")
            assert user.email == f"morgen{i:03d}@example.dk" and user.mobile
            assert user.email_verified_at and user.onboarded_at
            assert consents[user.id] == 1
        assert db.exec(select(func.count()).select_from(Onboarding)).one() == 0

        indexes = [cpr_index(patient_cpr(i)) for i in range(PATIENTS)]
        patients = db.exec(select(PortalUser).where(PortalUser.cpr_index.in_(indexes))).all()
        assert len(patients) == PATIENTS
        by_index = {p.cpr_index: p for p in patients}
        records = Counter(db.exec(select(PatientRecord.portal_user_id).where(
            PatientRecord.clinic_id == AARHUS,
            PatientRecord.portal_user_id.in_([p.id for p in patients]))).all())
        registered = Counter(int(t) for t in db.exec(select(AuditEvent.target_id).where(
            AuditEvent.action == "portal_user_registered")).all())
        for i, index in enumerate(indexes):
            user = by_index[index]
            assert user.last_name == f"Patient{i}" and user.email == f"patient{i:03d}@example.dk"
            assert user.activated_at and user.mitid_sub == subject_for(f"morgen.patient{i:03d}")
            assert records[user.id] == 1 and registered[user.id] == 1
    app.extensions["db_engine"].dispose()
