"""Two app instances behind no sticky sessions: the wizards work when every request changes
instance, and rate limits count across both (Redis)."""

import itertools

import pytest
from sqlmodel import select

from app.core.db import get_session
from app.models import (
    ConsentRecord,
    Membership,
    MitIDLink,
    Onboarding,
    PatientRecord,
    PortalUser,
    StaffUser,
)
from app.security import cpr_index, hash_password
from app.simulator import add_identity, subject_for
from bench import stack
from tests.helpers.http import csrf_from
from tests.helpers.portal import CPR, registration_data
from tests.scale.walks import Alternating, onboard_staff, register_patient

pytestmark = pytest.mark.scale


def _served_by_both(browser: Alternating) -> None:
    used = {instance for instance, *_ in browser.log}
    assert used == set(browser.urls), used
    turns = [instance for instance, *_ in browser.log]
    assert all(a != b for a, b in itertools.pairwise(turns)), "not alternating"


def test_staff_onboarding_alternating_between_instances(two_instances):
    browser = Alternating(two_instances.urls)
    final = onboard_staff(browser, two_instances.mail, mitid_user_id="asger.torring",
                          user_id="ato", password="Kirpacs2024", email="asger@example.dk")
    assert final.status_code == 200 and "Asger" in final.text
    _served_by_both(browser)
    assert all(status < 500 for *_, status in browser.log)
    app = two_instances.app()
    with app.app_context():
        db = get_session()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "ato")).one()
        link = db.exec(select(MitIDLink).where(MitIDLink.staff_user_id == user.id)).one()
        assert link.sub == subject_for("asger.torring")
        assert user.email == "asger@example.dk" and user.onboarded_at is not None
        assert db.exec(select(Onboarding)).all() == []
        assert len(db.exec(select(ConsentRecord).where(
            ConsentRecord.staff_user_id == user.id)).all()) == 1
    app.extensions["db_engine"].dispose()


def test_staff_onboarding_as_htmx_fragments_alternating(two_instances):
    # A new colleague: a MitID test identity made on the fly, and an account with a password.
    add_identity(two_instances.sim_app, mitid_user_id="ny.kollega", name="Ny Kollega",
                 cpr="120488-1234")
    app = two_instances.app()
    with app.app_context():
        db = get_session()
        user = StaffUser(name="Ny Kollega", legacy_user_id="nko",
                         legacy_password_hash=hash_password("Kollega2024"))
        db.add(user)
        db.flush()
        db.add(Membership(staff_user_id=user.id, clinic_id=2, function="clinician"))
        db.commit()
    app.extensions["db_engine"].dispose()
    browser = Alternating(two_instances.urls, start=1)
    final = onboard_staff(browser, two_instances.mail, mitid_user_id="ny.kollega",
                          user_id="nko", password="Kollega2024", email="nko@example.dk",
                          htmx=True)
    assert final.status_code == 200
    _served_by_both(browser)


def test_patient_registration_alternating_between_instances(two_instances):
    browser = Alternating(two_instances.urls)
    register_patient(browser, "aarhus", mitid_user_id="sofie.nielsen",
                     fields=registration_data("sofie.nielsen"))
    _served_by_both(browser)
    assert all(status < 500 for *_, status in browser.log)
    app = two_instances.app()
    with app.app_context():
        db = get_session()
        user = db.exec(select(PortalUser).where(
            PortalUser.cpr_index == cpr_index(CPR["sofie.nielsen"]))).one()
        assert user.activated_at is not None and user.mitid_sub == subject_for("sofie.nielsen")
        records = db.exec(select(PatientRecord).where(PatientRecord.portal_user_id == user.id)
                          ).all()
        assert [r.clinic_id for r in records] == [2]  # aarhus: registered once, at once
    app.extensions["db_engine"].dispose()


def test_rate_limit_counts_across_both_instances(two_instances):
    """Glemt adgangskode allows 5 POSTs a minute per address: the 6th is refused, although
    each instance has seen only three."""
    browser = Alternating(two_instances.urls, forwarded_for="192.0.2.77")
    path = "/portal/aarhus/glemt-adgangskode"
    token = csrf_from(browser.get(path).text)
    statuses = [browser.request("POST", path, data={
        "csrf_token": token, "cpr": "010190-1234", "email": "nobody@example.dk"}).status_code
        for _ in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429, statuses
    posts = [instance for instance, method, *_ in browser.log if method == "POST"]
    assert posts.count(browser.urls[0]) == 3 and posts.count(browser.urls[1]) == 3
    # The counters live in Redis under this run's prefix, not in either process.
    assert any("glemt" in key or "forgot" in key
               for key in stack.redis_keys(two_instances.redis_url, two_instances.prefix))
    # Another address is not affected.
    other = Alternating(two_instances.urls, forwarded_for="192.0.2.78")
    assert other.post_form(path, {"cpr": "010190-1234", "email": "x@example.dk"}).status_code \
        == 200
