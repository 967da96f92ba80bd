"""New staff accounts and clinics: generated, unique user IDs and clinic keys."""

import re
import unicodedata

from sqlmodel import func, select

from app.core.db import get_session
from app.models import Clinic, StaffUser

# Danish letters have conventional ASCII spellings; NFKD alone would turn "ø" into nothing.
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def ascii_slug(text: str, separator: str) -> str:
    """Lower-case ASCII words of a name joined by `separator` ("Søren Ærø" → "soeren.aeroe")."""
    plain = unicodedata.normalize("NFKD", text.translate(_DANISH))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return separator.join(re.findall(r"[a-z0-9]+", plain))


def _unique(base: str, max_length: int, taken) -> str:
    """`base`, or `base` with the smallest number suffix that is not taken."""
    candidate, number = base[:max_length].rstrip(".-"), 1
    while taken(candidate):
        number += 1
        suffix = str(number)
        candidate = base[: max_length - len(suffix)].rstrip(".-") + suffix
    return candidate


def unique_legacy_user_id(name: str) -> str:
    """A new, unused user ID made from a person's name, e.g. "bente.bogholder2"."""
    db = get_session()

    def taken(value):
        return db.exec(select(StaffUser.id).where(StaffUser.legacy_user_id == value)).first()

    return _unique(ascii_slug(name, ".") or "bruger", 80, taken)


def unique_clinic_key(name: str) -> str:
    """A new, unused clinic key made from the clinic's name, e.g. "rygcenter-aarhus"."""
    db = get_session()

    def taken(value):
        return db.exec(select(Clinic.id).where(Clinic.key == value)).first()

    return _unique(ascii_slug(name, "-") or "klinik", 40, taken)


def find_staff_by_email(email: str) -> StaffUser | None:
    """The (oldest) staff account with this e-mail address, compared case-insensitively."""
    return get_session().exec(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
        .order_by(StaffUser.id)
    ).first()
