"""What a session may do: the chosen clinic and function decide; operators are separate."""

from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.clock import utcnow
from app.core.db import get_session
from app.models import Clinic, StaffUser

# Permissions per function. A sekretær sees no clinical pages; an external user no patient data.
PERMISSIONS = {
    "clinician": frozenset({"patients", "clinical"}),
    "secretary": frozenset({"patients"}),
    "administrator": frozenset({"patients", "clinic_settings", "memberships", "exemptions",
                                "audit_log", "kiosk"}),
    "external": frozenset({"bookkeeping"}),
}
FUNCTION_LABELS = {
    "clinician": _l("behandler"),
    "secretary": _l("sekretær"),
    "administrator": _l("administrator"),
    "external": _l("ekstern"),
}


def current_login_session():
    """The server-side login session of the request, or None."""
    return current_user.login_session if current_user.is_authenticated else None


def current_clinic() -> Clinic | None:
    """The clinic chosen for this session (kept for the request).

    The ORM's identity map holds rows weakly, so without the request's own reference every
    check, view and template asking for the clinic would read it again.
    """
    row = current_login_session()
    if row is None or row.clinic_id is None:
        return None
    clinic = g.get("current_clinic")
    if clinic is None or clinic.id != row.clinic_id:
        clinic = g.current_clinic = get_session().get(Clinic, row.clinic_id)
    return clinic


def keep_clinic(clinic: Clinic) -> None:
    """Keep the session's clinic for this request (read with the login session in one SELECT)."""
    g.current_clinic = clinic


def current_function() -> str | None:
    """The function chosen for this session at the current clinic."""
    row = current_login_session()
    return row.function if row is not None else None


def can(permission: str) -> bool:
    """Whether the session's function grants a permission."""
    return permission in PERMISSIONS.get(current_function() or "", frozenset())


def confirmation_due(user: StaffUser) -> bool:
    """Whether e-mail and mobile were last confirmed longer ago than the configured period."""
    # Kept with the gate that sends a user to Min profil first (require_permission).
    if not user.email or user.onboarded_at is None:
        return False
    last = user.contact_confirmed_at or user.email_verified_at or user.onboarded_at
    months = current_app.config["CONTACT_CONFIRM_MONTHS"]
    return utcnow() - last > timedelta(days=round(months * 30.44))


def require_permission(permission: str):
    """View decorator: logged in, clinic and function chosen, and the function permits it."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login"))
            if confirmation_due(current_user.user):
                return redirect(url_for("profile.confirm"))
            if current_clinic() is None or current_function() is None:
                return redirect(url_for("selection.choose_clinic"))
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def require_operator(view):
    """View decorator: only the central support desk's operators."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if not current_user.user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def init_app(app) -> None:
    """Expose the session's clinic and function to templates."""

    @app.context_processor
    def _access():
        return {"current_clinic": current_clinic(), "current_function": current_function(),
                "can": can, "function_labels": FUNCTION_LABELS, "url_rules": app.view_functions}
