"""Staff onboarding: link a MitID identity to an existing account, verify e-mail, record consent."""

from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext as _
from sqlmodel import delete, select

from app import audit, consent, email_codes
from app.blueprints.auth.services import WITH_MEMBERSHIPS, MitIDIdentity, check_legacy_credentials
from app.blueprints.selection.services import loaded_memberships, log_in
from app.clock import utcnow
from app.db import autocommit_connection, get_session
from app.db_batch import Batch
from app.models import EmailCode, Invitation, MitIDLink, Onboarding, StaffUser

STEPS = ("link", "contact", "verify", "consent")
CODE_PURPOSE = "onboarding_email"


class OnboardingError(Exception):
    """A step could not be completed; the message is shown next to the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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
                         updated_at=now, id_token=identity.id_token)
        db.add(row)
    else:
        row.name, row.created_at, row.updated_at = identity.name, now, now
        row.id_token = identity.id_token
    db.commit()
    return row


def is_expired(row) -> bool:
    """Whether an onboarding (a row or an OnboardingPage) has outlived its MitID login."""
    ttl = timedelta(seconds=current_app.config["ONBOARDING_TTL_SECONDS"])
    return row.created_at <= utcnow() - ttl


@cache
def _onboarding_query(codes: str | None, account: bool):
    """The SELECT of get_onboarding, built once per variant with bound parameters.

    codes: None, "bound" (the address in codes_email) or "own" (the row's own address).
    """
    # SQLAlchemy's select: rows, also when columns are added (sqlmodel's gives the first only)
    query = sa.select(Onboarding).where(Onboarding.id == sa.bindparam("onboarding_id"))
    if codes is not None:
        query = email_codes.with_state(query, email=Onboarding.email if codes == "own" else None)
    if account:
        query = (query.add_columns(StaffUser).options(WITH_MEMBERSHIPS)
                 .outerjoin(StaffUser, StaffUser.id == Onboarding.staff_user_id))
    return query


def get_onboarding(onboarding_id: int | None, *, codes_for: str | None = None,
                   own_codes: bool = False, account: bool = False) -> Onboarding | None:
    """Load a pending onboarding by id, with what its step reads next in the same SELECT.

    codes_for / own_codes: the e-mail code state of that address or of the row's own one, kept
    for email_codes; account: the staff account with its memberships and their clinics, kept
    for complete_onboarding.
    """
    if not onboarding_id:
        return None
    codes = "bound" if codes_for else "own" if own_codes else None
    params = {"onboarding_id": onboarding_id}
    if codes is not None:
        params.update(email_codes.state_params(CODE_PURPOSE, codes_for))
    found = get_session().exec(_onboarding_query(codes, account), params=params).unique().first()
    if found is None:
        return None
    row, *loaded = found
    if codes is not None and (codes_for or row.email):
        email_codes.remember_state(codes_for or row.email, CODE_PURPOSE, *loaded[:2])
    if account:
        # The session holds loaded objects only while something refers to them.
        g.onboarding_account = loaded[-1]
    return row


class OnboardingPage(NamedTuple):
    """What a step page shows of its onboarding (read_onboarding)."""

    id: int
    step: str
    name: str
    email: str | None
    mobile: str | None
    created_at: datetime


_PAGE_COLUMNS = sa.select(Onboarding.id, Onboarding.step, Onboarding.name, Onboarding.email,
                          Onboarding.mobile, Onboarding.created_at
                          ).where(Onboarding.id == sa.bindparam("id"))


def read_onboarding(onboarding_id: int | None) -> OnboardingPage | None:
    """An onboarding as its step page shows it: one statement, outside any transaction.

    A page view writes nothing: read in autocommit it is one round trip to the database instead
    of three (BEGIN, SELECT, ROLLBACK), and it needs no ORM session.
    """
    if not onboarding_id:
        return None
    with autocommit_connection() as conn:
        found = conn.execute(_PAGE_COLUMNS, {"id": onboarding_id}).first()
    return OnboardingPage(*found) if found else None


def _move(row: Onboarding, step: str) -> None:
    row.step = step
    row.updated_at = utcnow()


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
    taken = user.mitid_link  # loaded with the account
    if taken is not None and taken.sub != row.sub:
        db.commit()  # the correct password still resets the failure count
        raise OnboardingError(
            _("Denne brugerkonto er allerede knyttet til et andet MitID. Kontakt support."),
            field="user_id",
        )
    row.staff_user_id = user.id
    _move(row, "contact")
    db.commit()
    return user


def save_contact_and_send_code(row: Onboarding, *, email: str, mobile: str) -> None:
    """Keep the private e-mail and mobile, then e-mail a code to the address.

    The row moves to the next step before the code is sent so that one UPDATE carries it all;
    when no code can be sent it stays on this step (nothing is committed then).
    """
    row.email = email
    row.mobile = mobile
    _move(row, "verify")
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
        _move(row, "consent")
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


def _account(row: Onboarding) -> StaffUser:
    """The onboarding's staff account with its memberships (as get_onboarding loaded it)."""
    user = g.get("onboarding_account")
    if user is not None and user.id == row.staff_user_id:
        return user
    return get_session().exec(select(StaffUser).where(StaffUser.id == row.staff_user_id)
                              .options(WITH_MEMBERSHIPS)).unique().one()


def complete_onboarding(row: Onboarding) -> str:
    """Store the MitID link, the verified contact details and the consent, then log in.

    One transaction, on PostgreSQL one statement (a db_batch.Batch with the login session's
    writes). Returns where to go next.
    """
    user = _account(row)
    now = utcnow()
    actor = f"staff:{user.id}"
    batch = Batch(get_session())
    batch.insert(MitIDLink(staff_user_id=user.id, sub=row.sub, idp=row.idp,
                           identity_type=row.identity_type, mitid_uuid=row.mitid_uuid,
                           linked_at=now))
    batch.update(user, email=row.email, mobile=row.mobile, email_verified_at=now,
                 contact_confirmed_at=now, onboarded_at=now)
    record, event = consent.new_consent(staff_user_id=user.id, action="given",
                                        method="onboarding_wizard", actor=actor)
    batch.insert(record)
    batch.insert(event)
    batch.insert(audit.new_event("mitid_linked", actor=actor, target_type="staff_user",
                                 target_id=user.id, idp=row.idp, identity_type=row.identity_type))
    batch.execute(delete(EmailCode).where(EmailCode.onboarding_id == row.id))
    batch.delete(row)
    return log_in(user, method="mitid", rows=loaded_memberships(user), batch=batch,
                  id_token=row.id_token)
