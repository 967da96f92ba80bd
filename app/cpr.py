"""CPR numbers: validation (format, date, century digit; never modulus 11), masking and age."""

import re
import unicodedata
from datetime import date

from app.security import cpr_index, decrypt_cpr, encrypt_cpr

# ASCII digits only: \d also takes Arabic-Indic, Devanagari... digits, which int() reads but the
# blind index does not, so one person could get a second record. Full-width digits and hyphen
# become ASCII by NFKC before matching.
_CPR = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9]{4})")


class InvalidCPR(ValueError):
    """Not a CPR number."""


def _century(yy: int, seventh: int) -> int:
    """The century from the 7th digit (CPR office rule)."""
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def parse_cpr(raw: str) -> tuple[str, date]:
    """Return the normalised CPR (DDMMYY-SSSS) and the birth date, or raise InvalidCPR."""
    match = _CPR.fullmatch(unicodedata.normalize("NFKC", raw or "").strip())
    if not match:
        raise InvalidCPR("format")
    dd, mm, yy, serial = match.groups()
    try:
        born = date(_century(int(yy), int(serial[0])) + int(yy), int(mm), int(dd))
    except ValueError as exc:
        raise InvalidCPR("date") from exc
    return f"{dd}{mm}{yy}-{serial}", born


def birth_date(cpr: str) -> date:
    """The birth date of a valid CPR number."""
    return parse_cpr(cpr)[1]


def age_on(born: date, on: date) -> int:
    """Completed years on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask(cpr: str) -> str:
    """DDMMYY-XXXX: the date part only."""
    return parse_cpr(cpr)[0][:7] + "XXXX"


def protect(cpr: str) -> tuple[str, str]:
    """(ciphertext, blind index) of a normalised CPR number, for storage."""
    return encrypt_cpr(cpr), cpr_index(cpr)


def reveal(cpr_encrypted: str) -> str:
    """Decrypt a stored CPR number (callers audit who asked)."""
    return decrypt_cpr(cpr_encrypted)


def index_of(raw: str) -> str:
    """The blind index of a typed CPR number (raises InvalidCPR)."""
    return cpr_index(parse_cpr(raw)[0])
