"""Glemt adgangskode and the activation link: e-mailed links that let the patient choose a password."""

from flask import url_for
from flask_babel import gettext as _

from app import audit, consent
from app.blueprints.portal import services as svc
from app.blueprints.portal.sessions import end_all_portal_sessions
from app.blueprints.portal.tokens import make_token
from app.core.clock import utcnow
from app.core.db import get_session
from app.core.mailer import MailNotSent, send_email
from app.models import Clinic, PortalUser
from app.security import hash_password


def request_password_reset(*, clinic: Clinic, cpr_index: str, email: str) -> None:
    """E-mail a reset link when CPR and e-mail belong to one user; otherwise do nothing.

    The caller shows the same answer either way, so the form tells nobody whether a CPR number
    is a user or which address it has (no enumeration).
    """
    user = svc.find_user(cpr_index)
    if user is None or user.email.lower() != email.lower() or svc.is_unconfirmed(user):
        return
    link = url_for("portal.reset_password", clinic_key=clinic.key,
                   token=make_token("password_reset", user), _external=True)
    try:
        send_email(to=user.email, subject=_("Nulstil din adgangskode til Patientportalen"),
                   template="portal_password_reset", name=user.first_name,
                   clinic_name=clinic.name, link=link)
    except MailNotSent:
        # The neutral answer stays the same; the mailer logs the failure (without the address).
        return
    audit.record("portal_password_reset_requested", actor="anonymous", target_type="portal_user",
                 target_id=user.id, clinic_id=clinic.id)
    get_session().commit()


def set_password_from_link(*, user: PortalUser, clinic: Clinic, password: str, purpose: str) -> None:
    """Store the chosen password (the link dies with it), unlock, end other sessions; commits."""
    now = utcnow()
    user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    if user.activated_at is None:
        user.activated_at = now  # a clinic-created user is activated by choosing a password
    if purpose == "activation":
        # As at "Opret bruger": clicking the button accepts the terms (the page says so).
        consent.record_portal_terms(portal_user_id=user.id, action="given", method="activation",
                                    actor=svc.actor(user))
    end_all_portal_sessions(user.id)
    action = "portal_user_activated" if purpose == "activation" else "portal_password_reset"
    audit.record(action, actor=svc.actor(user), target_type="portal_user", target_id=user.id,
                 clinic_id=clinic.id)
    get_session().commit()
