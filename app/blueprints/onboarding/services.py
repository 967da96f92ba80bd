"""Staff onboarding: link a MitID identity to an existing account, verify e-mail, record consent."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import delete, select

from app import audit, consent, email_codes
from app.blueprints.auth.services import (
    WITH_MEMBERSHIPS,
    MitIDIdentity,
    check_legacy_credentials,
    used_link,
)
from app.blueprints.enrolment.invitations import names_match
from app.blueprints.onboarding.steps import CODE_PURPOSE, next_step
from app.blueprints.selection.services import loaded_memberships, log_in
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import EmailCode, Invitation, MitIDLink, Onboarding, StaffUser
from app.oidc import BrokerLogin


class OnboardingError(Exception):
    """A step could not be completed; the message is shown next to the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class LinkRefused(Exception):
    """A new MitID identity may not join the account; reason (audited) says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # unlinked | name | cvr | taken


def begin_onboarding(identity: MitIDIdentity) -> Onboarding:
    """Return the pending onboarding of this MitID identity, creating it on first login.

    Each MitID login starts the row's lifetime (ONBOARDING_TTL_SECONDS) anew: created_at is
    the time of the latest login, so a fresh login makes an expired wizard usable again.
    """
    db = get_session()
    now = utcnow()
    row = db.exec(select(Onboarding).where(Onboarding.sub == identity.sub)).first()
    if row is None:
        row = Onboarding(sub=identity.sub, idp=identity.idp, identity_type=identity.identity_type,
                         mitid_uuid=identity.mitid_uuid, name=identity.name, created_at=now,
                         updated_at=now)
        db.add(row)
    else:
        row.name, row.created_at, row.updated_at = identity.name, now, now
    # Of the latest MitID login: the login session at the end of the wizard is that login's.
    row.id_token, row.loa, row.broker_sid = identity.id_token, identity.loa, identity.sid
    row.cvr, row.org_name = identity.cvr, identity.org_name
    row.professional_id = identity.professional_id
    db.commit()
    return row


def is_expired(row) -> bool:
    """Whether an onboarding has outlived its MitID login."""
    ttl = timedelta(seconds=current_app.config["ONBOARDING_TTL_SECONDS"])
    return row.created_at <= utcnow() - ttl


def get_onboarding(onboarding_id: int | None) -> Onboarding | None:
    """Load a pending onboarding by id."""
    return get_session().get(Onboarding, onboarding_id) if onboarding_id else None


def _move(row: Onboarding, step: str) -> None:
    row.step = step
    row.updated_at = utcnow()


def _forward(row: Onboarding) -> None:
    """On to the step after the row's own, in the order steps.STEPS declares."""
    _move(row, next_step(row.step))


def _invited(row: Onboarding) -> bool:
    """Whether the account came from an e-mailed invitation (there is no legacy password)."""
    if row.staff_user_id is None:
        return False
    return get_session().exec(select(Invitation).where(
        Invitation.staff_user_id == row.staff_user_id, Invitation.purpose == "onboarding",
        Invitation.used_at.is_not(None))).first() is not None


def restart_onboarding(row: Onboarding) -> None:
    """Start the wizard over: from the first step, or from the e-mail step for invited users."""
    invited = _invited(row)
    if not invited:
        row.staff_user_id = None
    row.email = None
    row.mobile = None
    _move(row, "contact" if invited else "link")
    get_session().commit()


def link_legacy_account(row: Onboarding, *, user_id: str, password: str) -> StaffUser:
    """Check the legacy credentials and attach the account to this onboarding."""
    user = check_legacy_credentials(user_id, password)
    if user is None:
        # One message for unknown user, wrong password and locked account (no enumeration).
        raise OnboardingError(_("Forkert bruger ID eller kodeord."), field="password")
    db = get_session()
    if user.mitid_links:  # loaded with the account
        # An onboarded account gets another identity only through one already linked (the
        # legacy password is being phased out): confirm_with_linked_identity.
        db.commit()  # the correct password still resets the failure count
        raise OnboardingError(
            _("Denne brugerkonto er allerede knyttet til et andet MitID. Knyt dit MitID "
              "Erhverv ved at bekræfte med dit private MitID.") if row.cvr else
            _("Denne brugerkonto er allerede knyttet til et andet MitID. Kontakt support."),
            field="user_id",
        )
    if row.cvr and not at_organisation(user, row.cvr):
        audit.record("mitid_link_refused_cvr", actor="anonymous", target_type="staff_user",
                     target_id=user.id, idp=row.idp, cvr=row.cvr)
        db.commit()
        raise OnboardingError(_("Dit MitID Erhverv er til en organisation (CVR %(cvr)s), som "
                                "brugerkontoen ikke er tilknyttet.", cvr=row.cvr),
                              field="user_id")
    row.staff_user_id = user.id
    _forward(row)
    db.commit()
    return user


def save_contact_and_send_code(row: Onboarding, *, email: str, mobile: str) -> None:
    """Keep the private e-mail and mobile, then e-mail a code to the address.

    The row moves to the next step before the code is sent so that one UPDATE carries it all;
    when no code can be sent it stays on this step (nothing is committed then).
    """
    row.email = email
    row.mobile = mobile
    _forward(row)
    try:
        send_onboarding_code(row)
    except OnboardingError:
        _move(row, "contact")
        raise
    get_session().commit()


def send_onboarding_code(row: Onboarding) -> None:
    """E-mail a fresh code to the onboarding's address, or explain why not."""
    result = email_codes.send_code(
        email=row.email, purpose=CODE_PURPOSE, template="onboarding_code",
        subject=_("Din kode til Klinikadgang"), onboarding_id=row.id,
    )
    if result.reason == "cooldown":
        raise OnboardingError(
            _("Vent %(seconds)s sekunder, før du beder om en ny kode.", seconds=result.wait_seconds)
        )
    if result.reason == "locked":
        raise OnboardingError(_("For mange forkerte forsøg. Prøv igen senere."), field="code")


def verify_onboarding_code(row: Onboarding, *, code: str) -> None:
    """Check the typed code; on success move on to consent, in the code's transaction."""
    result = email_codes.verify_code(email=row.email, purpose=CODE_PURPOSE, code=code,
                                     commit=False)
    if result.ok:
        _forward(row)
    get_session().commit()  # the used code with the step, or the wrong try counted
    messages = {
        "wrong": _("Koden er forkert. Prøv igen."),
        "expired": _("Koden er udløbet eller allerede brugt. Klik på Gensend kode."),
        "locked": _("For mange forkerte forsøg. Prøv igen senere."),
    }
    if not result.ok:
        raise OnboardingError(messages[result.reason], field="code")


def use_other_email(row: Onboarding) -> None:
    """Go back to the e-mail step."""
    _move(row, "contact")
    get_session().commit()


def complete_onboarding(row: Onboarding) -> str:
    """Store the MitID link, the verified contact details and the consent, log in, say where."""
    # One transaction: log_in commits it with the login session.
    db = get_session()
    user = db.exec(select(StaffUser).where(StaffUser.id == row.staff_user_id)
                   .options(WITH_MEMBERSHIPS)).unique().one()
    now = utcnow()
    actor = f"staff:{user.id}"
    link = _link(user, row, now, actor=actor)
    user.email, user.mobile = row.email, row.mobile
    user.email_verified_at = user.contact_confirmed_at = user.onboarded_at = now
    consent.record_consent(staff_user_id=user.id, action="given", method="onboarding_wizard",
                           actor=actor)
    db.exec(delete(EmailCode).where(EmailCode.onboarding_id == row.id))
    db.delete(row)
    broker = BrokerLogin(id_token=row.id_token, idp=row.idp, loa=row.loa, sub=row.sub,
                         sid=row.broker_sid)
    return log_in(user, method="mitid", rows=loaded_memberships(user), broker=broker,
                  mitid_link_id=link.id, preselect_cvr=row.cvr)


def _link(user: StaffUser, row: Onboarding, now, *, actor: str) -> MitIDLink:
    """Add the link of the onboarding's MitID identity to the account (flushed), audited."""
    link = MitIDLink(staff_user_id=user.id, sub=row.sub, idp=row.idp,
                     identity_type=row.identity_type, mitid_uuid=row.mitid_uuid, cvr=row.cvr,
                     org_name=row.org_name, professional_id=row.professional_id, linked_at=now,
                     last_used_at=now)
    db = get_session()
    db.add(link)
    db.flush()  # a taken place (private, or this CVR) fails here; the session names the link
    audit.record("mitid_linked", actor=actor, target_type="staff_user", target_id=user.id,
                 idp=row.idp, identity_type=row.identity_type, cvr=row.cvr)
    return link


def at_organisation(user: StaffUser, cvr: str) -> bool:
    """Whether the account is a member of a clinic with this CVR (memberships loaded)."""
    return any(membership.clinic.cvr == cvr for membership in user.memberships)


def link_with_linked_identity(row: Onboarding, proving: MitIDLink | None, *,
                              broker: BrokerLogin) -> str:
    """Link the onboarding's MitID Erhverv identity to the account of an identity already linked.

    proving: the link of the MitID login just made in this browser (None: not linked). It
    proves the account instead of the legacy password; the e-mail was verified and the consent
    given at the account's onboarding, so neither is asked again. Only to that very account,
    when its name is the new identity's and the identity's CVR is one of its clinics'; commits.
    """
    db = get_session()
    user = proving.staff_user if proving is not None else None
    reason = None
    if user is None or not row.cvr:
        reason = "unlinked"
    elif not names_match(user.name, row.name):
        reason = "name"
    elif not at_organisation(user, row.cvr):
        reason = "cvr"
    elif any(link.cvr == row.cvr for link in user.mitid_links):
        reason = "taken"  # one MitID Erhverv identity per organisation; remove the old one first
    if reason is not None:
        audit.record(f"mitid_link_refused_{reason}",
                     actor=f"staff:{user.id}" if user is not None else "anonymous",
                     target_type="onboarding", target_id=row.id, idp=row.idp, cvr=row.cvr)
        db.commit()
        raise LinkRefused(reason)
    now, cvr = utcnow(), row.cvr
    link = _link(user, row, now, actor=f"staff:{user.id}")
    used_link(proving)
    db.exec(delete(EmailCode).where(EmailCode.onboarding_id == row.id))
    db.delete(row)
    return log_in(user, method="mitid", rows=loaded_memberships(user), broker=broker,
                  mitid_link_id=link.id, preselect_cvr=cvr)


def abandon_onboarding(row: Onboarding) -> None:
    """The person left the wizard: its row and codes go (nothing was linked yet); commits."""
    db = get_session()
    db.exec(delete(EmailCode).where(EmailCode.onboarding_id == row.id))
    db.delete(row)
    audit.record("onboarding_abandoned", actor="anonymous", target_type="onboarding",
                 target_id=row.id, idp=row.idp)
    db.commit()
