"""Reading and changing a clinic's settings; every change audited."""

from sqlmodel import select

from app import audit
from app.core.db import get_session
from app.models import Clinic, ClinicServiceLink

SERVICE_KINDS = ("booking", "econsultation", "prescription")


def service_links(clinic_id: int) -> dict[str, ClinicServiceLink]:
    """The clinic's three service links by kind (unsaved defaults where none exist)."""
    rows = {row.kind: row for row in get_session().exec(
        select(ClinicServiceLink).where(ClinicServiceLink.clinic_id == clinic_id))}
    return {kind: rows.get(kind) or ClinicServiceLink(clinic_id=clinic_id, kind=kind)
            for kind in SERVICE_KINDS}


def enabled_service_links(clinic_id: int) -> list[ClinicServiceLink]:
    """The links the portal shows, in a fixed order."""
    return [link for link in service_links(clinic_id).values() if link.enabled and link.url]


def save_settings(clinic: Clinic, *, staff_user_id: int, self_registration: str, phone, email,
                  address, links: dict[str, tuple[bool, str | None]]) -> list[str]:
    """Store the settings in one transaction; returns what changed (audited); commits."""
    db = get_session()
    changed = []
    for name, value in (("self_registration", self_registration), ("phone", phone or None),
                        ("email", email or None), ("address", address or None)):
        if getattr(clinic, name) != value:
            setattr(clinic, name, value)
            changed.append(name)
    for kind, link in service_links(clinic.id).items():
        enabled, url = links[kind]
        if (link.enabled, link.url) != (enabled, url or None):
            link.enabled, link.url = enabled, url or None
            db.add(link)
            changed.append(f"link_{kind}")
    if changed:
        audit.record("clinic_settings_changed", actor=f"staff:{staff_user_id}",
                     target_type="clinic", target_id=clinic.id, clinic_id=clinic.id,
                     fields=changed, self_registration=clinic.self_registration)
    db.commit()
    return changed
