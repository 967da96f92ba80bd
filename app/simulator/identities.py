"""Test identities of the MitID simulator and the claims derived from them.

Subjects, as the real brokers give them: a person's private MitID has one ``sub``, and each
of their MitID Erhverv identities has its own, different from the private one and from the
person's identity at another organisation (staff at two clinics get a MitID Erhverv from
each, seeds/kircacs-mitid-faq.txt; the Erhverv claims come in nemlogin.*:
https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid-erhverv.html).
All ids are uuid5 values, so links stored by the app survive simulator restarts.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SUBJECT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://klinikadgang.dk/mitid-simulator")

_USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_CPR_PATTERN = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$")
_CVR_PATTERN = re.compile(r"^\d{8}$")


class IdentityError(ValueError):
    """Raised when identity fields are missing or malformed."""


@dataclass(frozen=True)
class Organisation:
    """A MitID Erhverv organisation the identity may act for."""

    cvr: str
    org_name: str


@dataclass(frozen=True)
class Identity:
    """A person who can log in at the simulator."""

    mitid_user_id: str
    name: str
    cpr: str
    erhverv: tuple[Organisation, ...] = field(default_factory=tuple)

    @property
    def sub(self) -> str:
        return subject_for(self.mitid_user_id)

    @property
    def mitid_uuid(self) -> str:
        return str(uuid.uuid5(SUBJECT_NAMESPACE, "uuid:" + self.mitid_user_id))

    @property
    def cpr_digits(self) -> str:
        return self.cpr.replace("-", "")

    @property
    def date_of_birth(self) -> date:
        return birth_date_from_cpr(self.cpr)

    def age_on(self, today: date) -> int:
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def organisation(self, cvr: str) -> Organisation | None:
        return next((org for org in self.erhverv if org.cvr == cvr), None)

    def professional_id(self, cvr: str) -> str:
        return str(uuid.uuid5(SUBJECT_NAMESPACE, f"professional:{self.mitid_user_id}:{cvr}"))

    def public_claims(self, today: date) -> dict:
        """Claims shown by the /dev/identities endpoint."""
        return {
            "mitid_user_id": self.mitid_user_id,
            "sub": self.sub,
            "mitid.uuid": self.mitid_uuid,
            "mitid.identity_name": self.name,
            "mitid.date_of_birth": self.date_of_birth.isoformat(),
            "mitid.age": str(self.age_on(today)),
            "erhverv": [
                {
                    "cvr": org.cvr,
                    "org_name": org.org_name,
                    "sub": subject_for(self.mitid_user_id, org.cvr),
                    "persistent_professional_id": self.professional_id(org.cvr),
                }
                for org in self.erhverv
            ],
        }


def subject_for(mitid_user_id: str, cvr: str | None = None) -> str:
    """The broker `sub` of a private MitID, or of its MitID Erhverv identity at organisation cvr."""
    if cvr is None:
        return str(uuid.uuid5(SUBJECT_NAMESPACE, "sub:" + mitid_user_id))
    return str(uuid.uuid5(SUBJECT_NAMESPACE, f"sub:erhverv:{cvr}:{mitid_user_id}"))


def birth_date_from_cpr(cpr: str) -> date:
    """Date of birth from a CPR number, with the century from the 7th digit."""
    match = _CPR_PATTERN.match(cpr or "")
    if not match:
        raise IdentityError("cpr must look like DDMMYY-SSSS")
    day, month, yy, seventh = (int(part) for part in match.groups()[:4])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    try:
        return date(century + yy, month, day)
    except ValueError as error:
        raise IdentityError("cpr does not contain a valid date") from error


def build_identity(mitid_user_id, name, cpr, erhverv=None) -> Identity:
    """Validated Identity from loose input (JSON or keyword arguments)."""
    if not isinstance(mitid_user_id, str) or not _USER_ID_PATTERN.match(mitid_user_id):
        raise IdentityError("mitid_user_id must be 1-64 characters of A-Z, a-z, 0-9, . _ @ -")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise IdentityError("name must be a non-empty string of at most 200 characters")
    if not isinstance(cpr, str):
        raise IdentityError("cpr must be a string")
    birth_date_from_cpr(cpr)
    normalised_cpr = cpr if "-" in cpr else f"{cpr[:6]}-{cpr[6:]}"
    return Identity(mitid_user_id, name.strip(), normalised_cpr, _organisations(erhverv))


def _organisations(erhverv) -> tuple[Organisation, ...]:
    if erhverv is None:
        return ()
    if not isinstance(erhverv, list):
        raise IdentityError("erhverv must be a list")
    organisations = []
    for entry in erhverv:
        if not isinstance(entry, dict):
            raise IdentityError("each erhverv entry must be an object")
        cvr, org_name = entry.get("cvr"), entry.get("org_name")
        if not isinstance(cvr, str) or not _CVR_PATTERN.match(cvr):
            raise IdentityError("erhverv cvr must be 8 digits")
        if not isinstance(org_name, str) or not org_name.strip():
            raise IdentityError("erhverv org_name must be a non-empty string")
        if any(org.cvr == cvr for org in organisations):
            raise IdentityError("erhverv cvr values must be unique")
        organisations.append(Organisation(cvr, org_name.strip()))
    return tuple(organisations)


def load_identities(path: str | Path) -> list[Identity]:
    """Every staff member and citizen in the personas file who has a MitID user id."""
    with open(path, encoding="utf-8") as handle:
        personas = json.load(handle)
    people = personas.get("staff", []) + personas.get("citizens", [])
    return [
        build_identity(p["mitid_user_id"], p["name"], p["cpr"], p.get("erhverv"))
        for p in people
        if p.get("mitid_user_id")
    ]


def load_custody(path: str | Path) -> dict[str, frozenset[str]]:
    """Each child's custodians in the personas file, as CPR digits (the simulator's CPR register)."""
    with open(path, encoding="utf-8") as handle:
        personas = json.load(handle)
    return {
        p["cpr"].replace("-", ""): frozenset(cpr.replace("-", "") for cpr in p["guardians"])
        for p in personas.get("citizens", [])
        if p.get("cpr") and p.get("guardians")
    }
