"""What a sister system learns of the person: the claims of ID tokens and userinfo.

Documented in the README ("Single sign-on for the sister systems"). `sub` is stable and opaque
(a keyed hash of the account, never its id or CPR); `sid` names the Klinikadgang login session
(OpenID Connect Back-Channel Logout 1.0 §2.1), also opaque.
"""

from dataclasses import dataclass
from datetime import UTC

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core import UserInfo
from sqlmodel import select

from app.core.db import get_session
from app.models import Clinic, LoginSession, Membership, StaffUser
from app.security import keyed_hash

# The functions as the seeds and the sister systems name them.
FUNCTION_NAMES = {"clinician": "behandler", "secretary": "sekretær",
                  "administrator": "administrator", "external": "ekstern"}


@dataclass
class Person:
    """The logged-in person as the provider's grants see them: account and login session."""

    user: StaffUser
    login_session: LoginSession

    def get_user_id(self):
        return self.user.id


def subject_of(user: StaffUser) -> str:
    """The person's `sub` at the sister systems: the same at all three, stable, opaque."""
    return keyed_hash(str(user.id), "op_sub")


def session_id_of(row: LoginSession) -> str:
    """The `sid` of a login session."""
    return keyed_hash(str(row.id), "op_sid")


def acr_of(row: LoginSession) -> str:
    """How the session was authenticated, as the provider's acr values say it."""
    if row.method == "mitid":
        return "mitid-high" if row.loa == "high" else "mitid-substantial"
    return "password"


def amr_of(row: LoginSession) -> list[str]:
    """RFC 8176 style methods: MitID (private or Erhverv) or a password."""
    if row.method == "mitid":
        return ["mitid_erhverv" if row.idp == "mitid_erhverv" else "mitid"]
    return ["pwd"]


def auth_time_of(row: LoginSession) -> int:
    created = row.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return int(created.timestamp())


def user_info(person: Person, scope: str) -> UserInfo:
    """The claims the granted scopes allow."""
    scopes = set(scope_to_list(scope or ""))
    user, row = person.user, person.login_session
    claims = UserInfo(sub=subject_of(user))
    if "profile" in scopes:
        claims["name"] = user.name
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified_at is not None
    if "phone" in scopes and user.mobile:
        claims["phone_number"] = user.mobile
        claims["phone_number_verified"] = False  # the mobile is confirmed, not verified by code
    if "clinic" in scopes and row.clinic_id is not None:
        clinic = get_session().get(Clinic, row.clinic_id)
        claims["clinic"] = {"cvr": clinic.cvr, "name": clinic.name, "key": clinic.key}
        claims["function"] = FUNCTION_NAMES.get(row.function, row.function)
        claims["roles"] = sorted(FUNCTION_NAMES.get(f, f) for f in get_session().exec(
            select(Membership.function).where(Membership.staff_user_id == user.id,
                                              Membership.clinic_id == clinic.id)).all())
    return claims
