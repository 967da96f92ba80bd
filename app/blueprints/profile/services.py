"""Periodic confirmation of a staff member's contact details (the consent text promises it)."""


from flask_babel import gettext as _

from app import audit, email_codes
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import StaffUser

CODE_PURPOSE = "staff_email_change"


class ConfirmationError(Exception):
    """A step failed; the message is shown next to the field."""


def confirm_contact(user: StaffUser, *, email: str, mobile: str) -> bool:
    """Keep or change the details; a new e-mail waits for a code (True), else done (False)."""
    db = get_session()
    changed = []
    if mobile != user.mobile:
        user.mobile = mobile
        changed.append("mobile")
    if email != user.email:
        user.pending_email = email
        result = email_codes.send_code(email=email, purpose=CODE_PURPOSE, template="onboarding_code",
                                       subject=_("Din kode til Klinikadgang"))
        if not result.ok:
            raise ConfirmationError(_("Vent lidt, før du beder om en ny kode.")
                                    if result.reason == "cooldown" else
                                    _("For mange forkerte forsøg. Prøv igen senere."))
        audit.record("staff_contact_changed", actor=f"staff:{user.id}", target_type="staff_user",
                     target_id=user.id, fields=[*changed, "email_pending"])
        db.commit()
        return True
    user.contact_confirmed_at = utcnow()
    audit.record("staff_contact_confirmed", actor=f"staff:{user.id}", target_type="staff_user",
                 target_id=user.id, fields=changed)
    db.commit()
    return False


def verify_new_email(user: StaffUser, *, code: str) -> None:
    """The code sent to the new address makes it the user's e-mail."""
    result = email_codes.verify_code(email=user.pending_email, purpose=CODE_PURPOSE, code=code)
    if not result.ok:
        raise ConfirmationError({
            "wrong": _("Koden er forkert. Prøv igen."),
            "expired": _("Koden er udløbet eller allerede brugt. Start forfra."),
            "locked": _("For mange forkerte forsøg. Prøv igen senere."),
        }[result.reason])
    now = utcnow()
    user.email, user.pending_email = user.pending_email, None
    user.email_verified_at = user.contact_confirmed_at = now
    audit.record("staff_email_changed", actor=f"staff:{user.id}", target_type="staff_user",
                 target_id=user.id)
    get_session().commit()
