"""Demo data from the project's personas file: clinics and staff accounts (idempotent)."""

import json
import random
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import select

from app import cpr
from app.core.db import get_session
from app.models import Clinic, Membership, MitIDLink, PatientRecord, StaffUser
from app.security import hash_password

PERSONAS_FILE = Path(__file__).resolve().parents[2] / "data" / "personas.json"
FUNCTION_NAMES = {
    "behandler": "clinician",
    "sekretær": "secretary",
    "administrator": "administrator",
    "ekstern": "external",
}


def load_personas(path: Path = PERSONAS_FILE) -> dict:
    """Read the personas file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def seed_demo_data(personas: dict, *, subject_for=None, patients_per_clinic: int = 40) -> dict:
    """Create missing clinics, staff accounts and memberships; link onboarded staff to MitID.

    `subject_for(mitid_user_id)` gives the broker `sub` of a persona's private MitID (the
    simulator's rule). Only the private MitID is linked: a persona's MitID Erhverv identities
    have subs of their own and are linked as a person links them, by confirming with the
    private MitID at their first login.
    """
    db = get_session()
    counts = {"clinics": 0, "staff": 0, "memberships": 0, "links": 0}
    clinics = {}
    for item in personas["clinics"]:
        clinic = db.exec(select(Clinic).where(Clinic.key == item["key"])).first()
        if clinic is None:
            clinic = Clinic(key=item["key"], name=item["name"], cvr=item["cvr"],
                            self_registration=item.get("self_registration", "none"))
            db.add(clinic)
            counts["clinics"] += 1
        clinics[item["key"]] = clinic
    db.flush()
    for item in personas["staff"]:
        user_id = item["legacy_user_id"].lower()
        user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == user_id)).first()
        if user is None:
            user = StaffUser(
                name=item["name"], legacy_user_id=user_id,
                legacy_password_hash=hash_password(item["legacy_password"]),
                is_operator=bool(item.get("operator")),
                password_exempt=bool(item.get("password_login_exempt")),
            )
            db.add(user)
            db.flush()
            counts["staff"] += 1
        for membership in item["memberships"]:
            for function in membership["functions"]:
                clinic = clinics[membership["clinic"]]
                exists = db.exec(select(Membership).where(
                    Membership.staff_user_id == user.id, Membership.clinic_id == clinic.id,
                    Membership.function == FUNCTION_NAMES[function])).first()
                if exists is None:
                    db.add(Membership(staff_user_id=user.id, clinic_id=clinic.id,
                                      function=FUNCTION_NAMES[function]))
                    counts["memberships"] += 1
        linkable = item.get("onboarded") and item.get("mitid_user_id") and subject_for
        if linkable and not user.mitid_links:
            db.add(MitIDLink(staff_user_id=user.id, sub=subject_for(item["mitid_user_id"]),
                             idp="mitid", identity_type="private"))
            user.onboarded_at = user.created_at
            counts["links"] += 1
    counts["patients"] = _seed_patients(personas, clinics.values(), patients_per_clinic)
    db.commit()
    return counts


FIRST_NAMES = ("Anne", "Birgit", "Christian", "Dorthe", "Erik", "Freja", "Gitte", "Henrik",
               "Ida", "Jens", "Kirsten", "Lars", "Maja", "Niels", "Oskar", "Pia", "Rasmus",
               "Signe", "Thomas", "Ulla", "Viggo", "William")
LAST_NAMES = ("Andersen", "Bach", "Christiansen", "Dam", "Eskildsen", "Frandsen", "Gade",
              "Hedegaard", "Iversen", "Juhl", "Kristensen", "Lauridsen", "Mortensen", "Nygaard",
              "Overgaard", "Poulsen", "Rask", "Schmidt", "Thomsen", "Vestergaard")


def _seed_patients(personas: dict, clinics, per_clinic: int = 40) -> int:
    """Fictitious patients for the clinics' lists, never with a persona's CPR (deterministic)."""
    db = get_session()
    taken = {p["cpr"] for group in ("staff", "citizens") for p in personas[group] if p.get("cpr")}
    added = 0
    for clinic in clinics:
        if db.exec(select(PatientRecord.id).where(PatientRecord.clinic_id == clinic.id)).first():
            continue
        rng = random.Random(f"demo-patients-{clinic.key}")
        for _ in range(per_clinic):
            born = date(1935, 1, 1) + timedelta(days=rng.randrange(0, 88 * 365))
            seventh = rng.choice((4, 5)) if born.year >= 2000 else rng.randrange(0, 4)
            number = f"{born:%d%m%y}-{seventh}{rng.randrange(0, 1000):03d}"
            if number in taken:
                continue
            taken.add(number)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            encrypted, index = cpr.protect(number)
            db.add(PatientRecord(clinic_id=clinic.id, cpr_encrypted=encrypted, cpr_index=index,
                                 first_name=first, last_name=last,
                                 search_name=f"{first} {last}".lower(),
                                 email=f"{first}.{last}@example.dk".lower()))
            added += 1
    return added
