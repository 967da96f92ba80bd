"""The audit trail: every change of access is written here, without personal data."""

import json

from app.core.db import get_session
from app.models import AuditEvent


def new_event(action: str, *, actor: str, target_type=None, target_id=None, clinic_id=None,
              **detail) -> AuditEvent:
    """An audit event, not added to the session yet."""
    return AuditEvent(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        clinic_id=clinic_id,
        detail=json.dumps(detail, sort_keys=True) if detail else None,
    )


def record(action: str, *, actor: str, target_type=None, target_id=None, clinic_id=None, **detail):
    """Add an audit event to the current transaction (the caller commits)."""
    event = new_event(action, actor=actor, target_type=target_type, target_id=target_id,
                      clinic_id=clinic_id, **detail)
    get_session().add(event)
    return event
