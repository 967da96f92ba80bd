"""Consent to share profile data across the sister systems: the text, its version and records."""

import hashlib
from pathlib import Path

from sqlmodel import select

from app import audit
from app.core.db import get_session
from app.models import AuditEvent, ConsentRecord

PROFILE_SHARING = "profile_sharing"
PROFILE_SHARING_VERSION = "2024-1"

# The seed's text, verbatim. Changing a word means a new version (the hash tells versions apart).
PROFILE_SHARING_TEXT = (
    "For at lette din adgang til services fra Kiropraktorerens Videnscenter, ønsker vi dit samtykke "
    "til at anvende dine brugeroplysninger på tværs af Kiroviden.dk, KirCACS.dk eller KirPACS.dk. "
    "Formålet er at sikre, at du kun behøver at indtaste dine brugeroplysninger én gang, og samtidig "
    "sikre korrekte og opdaterede oplysninger.\n\n"
    "Samtykket vil alene blive brugt i vores administration af de tre systemer og til at føre "
    "statistik over brugen af systemerne for at kunne optimere de tre systemer og give dig den "
    "bedste brugeroplevelse.\n\n"
    "Vi opbevarer kun dine data så længe du er bruger af Kiroviden.dk, KirCACS.dk eller KirPACS.dk. "
    "Data omfatter kun de oplysninger, du selv har givet os. Du vil med jævne mellemrum blive bedt "
    "om at tage stilling til rigtigheden af oplysningerne.\n\n"
    "Jeg giver hermed mit samtykke til, at mine brugeroplysninger må anvendes på tværs af følgende "
    "systemer:"
)
PROFILE_SHARING_SYSTEMS = ("Kiroviden.dk", "KirCACS.dk", "KirPACS.dk")
# The versions of the text a consent may have been given to. Which sister systems a version
# covers is data: each registered client lists the versions that name it (its consent_versions),
# so a new system needs a new version of the text, and a new consent, before it gets profiles.
PROFILE_SHARING_VERSIONS = (PROFILE_SHARING_VERSION,)


def text_hash(text: str = PROFILE_SHARING_TEXT) -> str:
    """SHA-256 of the consent text as shown (with the systems listed)."""
    full = text + "\n" + "\n".join(PROFILE_SHARING_SYSTEMS)
    return hashlib.sha256(full.encode()).hexdigest()


def _new_record(*, purpose: str, version: str, digest: str, action: str, method: str,
                actor: str, target_type: str, target_id: int) -> tuple[ConsentRecord, AuditEvent]:
    """A consent record of either kind of user and its audit event, not added yet."""
    if action not in ("given", "withdrawn"):
        raise ValueError(action)
    owner = "staff_user_id" if target_type == "staff_user" else "portal_user_id"
    row = ConsentRecord(**{owner: target_id}, purpose=purpose, action=action,
                        text_version=version, text_hash=digest, method=method)
    event = audit.new_event(f"consent_{action}", actor=actor, target_type=target_type,
                            target_id=target_id, purpose=purpose, method=method)
    return row, event


def new_consent(*, staff_user_id: int, action: str, method: str,
                actor: str) -> tuple[ConsentRecord, AuditEvent]:
    """A staff member's profile-sharing consent record and its audit event, not added yet."""
    return _new_record(purpose=PROFILE_SHARING, version=PROFILE_SHARING_VERSION,
                       digest=text_hash(), action=action, method=method, actor=actor,
                       target_type="staff_user", target_id=staff_user_id)


def record_consent(*, staff_user_id: int, action: str, method: str, actor: str) -> ConsentRecord:
    """Append a staff member's profile-sharing consent record and audit it; the caller commits."""
    row, event = new_consent(staff_user_id=staff_user_id, action=action, method=method,
                             actor=actor)
    get_session().add_all([row, event])
    return row


def set_consent(*, staff_user_id: int, given: bool, method: str, actor: str) -> bool:
    """Give (to the current text) or withdraw the consent unless it already stands so; whether
    a record was added. A consent given to an older version is given again to the current one."""
    standing = standing_version(staff_user_id=staff_user_id)
    if (standing == PROFILE_SHARING_VERSION) if given else (standing is None):
        return False
    record_consent(staff_user_id=staff_user_id, action="given" if given else "withdrawn",
                   method=method, actor=actor)
    return True


PORTAL_TERMS = "portal_terms"
PORTAL_TERMS_VERSION = "2026-1"
_TERMS_TEMPLATE = Path(__file__).parent / "templates" / "portal" / "terms.html"


def portal_terms_hash() -> str:
    """SHA-256 of the terms page as shipped (a changed text needs a new version)."""
    return hashlib.sha256(_TERMS_TEMPLATE.read_bytes()).hexdigest()


def record_portal_terms(*, portal_user_id: int, action: str, method: str,
                        actor: str) -> ConsentRecord:
    """Append a patient's acceptance (or withdrawal) of the portal's terms; the caller commits."""
    row, event = _new_record(purpose=PORTAL_TERMS, version=PORTAL_TERMS_VERSION,
                             digest=portal_terms_hash(), action=action, method=method,
                             actor=actor, target_type="portal_user", target_id=portal_user_id)
    get_session().add_all([row, event])
    return row


def portal_terms_history(*, portal_user_id: int) -> list[ConsentRecord]:
    """A patient's terms records, newest first."""
    return list(get_session().exec(
        select(ConsentRecord).where(ConsentRecord.portal_user_id == portal_user_id)
        .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())))


def portal_terms_accepted(*, portal_user_id: int) -> bool:
    """Whether the patient's newest terms record says given."""
    history = portal_terms_history(portal_user_id=portal_user_id)
    return bool(history) and history[0].action == "given"


def consent_history(*, staff_user_id: int) -> list[ConsentRecord]:
    """All consent records of a user, newest first."""
    query = (
        select(ConsentRecord)
        .where(ConsentRecord.staff_user_id == staff_user_id)
        .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
    )
    return list(get_session().exec(query))


def has_consent(*, staff_user_id: int) -> bool:
    """Whether the newest record of the user says given."""
    return standing_version(staff_user_id=staff_user_id) is not None


def standing_version(*, staff_user_id: int) -> str | None:
    """The text version of the consent that stands (the newest record, if given), or None."""
    history = consent_history(staff_user_id=staff_user_id)
    return history[0].text_version if history and history[0].action == "given" else None


def coverage(*, staff_user_id: int, versions: list[str]) -> str:
    """Whether the person's consent covers a system listed under these text versions.

    covered; withdrawn (the newest record withdraws it); needed (none stands for this system,
    and the current text names it: giving it now covers it); not_covered (the current text
    does not name the system: no consent the person can give covers it).
    """
    standing = standing_version(staff_user_id=staff_user_id)
    if standing is not None and standing in versions:
        return "covered"
    if PROFILE_SHARING_VERSION not in versions:
        return "not_covered"
    history = consent_history(staff_user_id=staff_user_id)
    return "withdrawn" if history and history[0].action == "withdrawn" else "needed"
