"""All tables (SQLModel). Timestamps are aware UTC."""

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, Relationship, SQLModel

from app.core.clock import utcnow

SELF_REGISTRATION_MODES = ("none", "approval", "auto")
FUNCTIONS = ("clinician", "secretary", "administrator", "external")


class Clinic(SQLModel, table=True):
    """A clinic (an organisation with a CVR number)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    cvr: str = Field(max_length=8, unique=True)
    self_registration: str = Field(default="none", max_length=10)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)

    memberships: list["Membership"] = Relationship(back_populates="clinic")


class StaffUser(SQLModel, table=True):
    """A clinic staff member's account; the legacy user ID + password is being phased out."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    legacy_user_id: str = Field(max_length=80, unique=True)  # stored lower-cased
    legacy_password_hash: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    email_verified_at: datetime | None = None
    mobile: str | None = Field(default=None, max_length=20)
    contact_confirmed_at: datetime | None = None  # last time the user said e-mail/mobile are right
    pending_email: str | None = Field(default=None, max_length=254)  # awaiting its code
    is_operator: bool = False
    password_exempt: bool = False
    failed_login_count: int = 0
    locked_until: datetime | None = None
    onboarded_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    memberships: list["Membership"] = Relationship(back_populates="staff_user")
    # The private MitID and one MitID Erhverv identity per organisation.
    mitid_links: list["MitIDLink"] = Relationship(back_populates="staff_user")


class MitIDLink(SQLModel, table=True):
    """The link between one MitID identity (broker `sub`) and a staff account.

    An account may have several: the private MitID, and one MitID Erhverv identity per
    organisation (each has its own `sub`; the CVR and professional id come with it).
    """

    __tablename__ = "mitid_link"
    # One private MitID per account, and one MitID Erhverv identity per organisation.
    __table_args__ = (Index("uq_mitid_link_account_organisation", "staff_user_id",
                            text("coalesce(cvr, '')"), unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    sub: str = Field(max_length=200, unique=True)
    idp: str = Field(max_length=40)
    identity_type: str = Field(max_length=20)
    mitid_uuid: str | None = Field(default=None, max_length=64)
    cvr: str | None = Field(default=None, max_length=8)  # MitID Erhverv: the organisation
    org_name: str | None = Field(default=None, max_length=200)
    professional_id: str | None = Field(default=None, max_length=64)
    linked_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None

    staff_user: StaffUser = Relationship(back_populates="mitid_links")


class Membership(SQLModel, table=True):
    """One function of a staff member at one clinic."""

    __table_args__ = (UniqueConstraint("staff_user_id", "clinic_id", "function"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    function: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)

    staff_user: StaffUser = Relationship(back_populates="memberships")
    clinic: Clinic = Relationship(back_populates="memberships")


class Onboarding(SQLModel, table=True):
    """A staff onboarding in progress: the wizard's pending row, keyed by the MitID identity."""

    id: int | None = Field(default=None, primary_key=True)
    sub: str = Field(max_length=200, unique=True)
    idp: str = Field(max_length=40)
    identity_type: str = Field(max_length=20)
    mitid_uuid: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=200)
    step: str = Field(default="link", max_length=20)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    email: str | None = Field(default=None, max_length=254)
    mobile: str | None = Field(default=None, max_length=20)
    id_token: str | None = Field(default=None, sa_column=Column(Text))  # for the login session
    cvr: str | None = Field(default=None, max_length=8)  # a MitID Erhverv identity's
    org_name: str | None = Field(default=None, max_length=200)
    professional_id: str | None = Field(default=None, max_length=64)
    loa: str | None = Field(default=None, max_length=20)  # low | substantial | high
    broker_sid: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EmailCode(SQLModel, table=True):
    """A 6-digit code e-mailed to verify an address; only its hash is kept."""

    __tablename__ = "email_code"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=30)
    email: str = Field(max_length=254, index=True)
    code_hash: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    failed_attempts: int = 0
    used_at: datetime | None = None
    onboarding_id: int | None = Field(default=None, foreign_key="onboarding.id")


class ConsentRecord(SQLModel, table=True):
    """An append-only record of consent given or withdrawn (rows are never updated or deleted)."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    portal_user_id: int | None = Field(default=None, foreign_key="portal_user.id", index=True)
    purpose: str = Field(max_length=40)  # profile_sharing (staff) | portal_terms (patients)
    action: str = Field(max_length=12)  # given | withdrawn
    text_version: str = Field(max_length=20)
    text_hash: str = Field(max_length=64)
    method: str = Field(max_length=40)  # where it happened, e.g. onboarding_wizard, profile_page
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A server-side login session; the cookie holds only a random token whose hash is stored."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    method: str = Field(max_length=20)  # mitid | password | fallback
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id")
    function: str | None = Field(default=None, max_length=20)
    user_agent: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    ended_reason: str | None = Field(default=None, max_length=40)
    # The broker's ID token of a MitID login: the id_token_hint of the logout at the broker.
    id_token: str | None = Field(default=None, sa_column=Column(Text))
    # How a MitID login was made, and the broker's session it belongs to (back-channel logout).
    idp: str | None = Field(default=None, max_length=40)  # mitid | mitid_erhverv
    loa: str | None = Field(default=None, max_length=20)  # low | substantial | high
    broker_sub: str | None = Field(default=None, max_length=200, index=True)
    broker_sid: str | None = Field(default=None, max_length=200, index=True)
    mitid_link_id: int | None = Field(default=None, foreign_key="mitid_link.id")


class AuditEvent(SQLModel, table=True):
    """One entry of the audit trail: who did what to whom, without personal data in the detail."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=60)  # e.g. staff:12, operator:3, system
    action: str = Field(max_length=60, index=True)
    target_type: str | None = Field(default=None, max_length=40)
    target_id: str | None = Field(default=None, max_length=60)
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id", index=True)
    detail: str | None = Field(default=None, sa_column=Column(Text))


class OutageFallbackSwitch(SQLModel, table=True):
    """One switch of the MitID outage fallback; the newest row is the current state."""

    __tablename__ = "outage_fallback_switch"

    id: int | None = Field(default=None, primary_key=True)
    on: bool
    reason: str = Field(max_length=500)
    switched_by: str = Field(max_length=60)  # operator:<id> or cli:<os user>
    switched_at: datetime = Field(default_factory=utcnow, index=True)


class Invitation(SQLModel, table=True):
    """A single-use, time-limited link mailed to a staff member (onboarding or set a password)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    purpose: str = Field(max_length=20)  # onboarding | set_password
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class PasswordExemption(SQLModel, table=True):
    """A clinic's request that a named external user keeps user ID + password login."""

    __tablename__ = "password_exemption"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    external_name: str = Field(max_length=200)
    external_email: str = Field(max_length=254)
    organisation: str = Field(max_length=200)  # e.g. the bookkeeping firm
    role: str = Field(max_length=30)  # bookkeeper | auditor | secretarial_agency | other
    reason: str = Field(max_length=1000)
    status: str = Field(default="pending", max_length=12)  # pending|approved|rejected|withdrawn
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class ClinicEnrolment(SQLModel, table=True):
    """The clinic's enrolment form (PACSKlinikForum): clinic information and its users."""

    __tablename__ = "clinic_enrolment"

    id: int | None = Field(default=None, primary_key=True)
    clinic_name: str = Field(max_length=200)
    cvr: str = Field(max_length=8, index=True)
    address: str = Field(max_length=200)
    postcode: str = Field(max_length=4)
    city: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=254)
    status: str = Field(default="pending", max_length=12)  # pending | approved | rejected
    clinic_id: int | None = Field(default=None, foreign_key="clinic.id")
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)

    users: list["EnrolmentUser"] = Relationship(back_populates="enrolment")


class EnrolmentUser(SQLModel, table=True):
    """One user in the user overview of an enrolment form."""

    __tablename__ = "enrolment_user"

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="clinic_enrolment.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    function: str = Field(max_length=20)
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")

    enrolment: ClinicEnrolment = Relationship(back_populates="users")


class ClinicServiceLink(SQLModel, table=True):
    """A service of the clinic linked from its portal (Tidsbestilling, E-konsultation, …)."""

    __tablename__ = "clinic_service_link"
    __table_args__ = (UniqueConstraint("clinic_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    kind: str = Field(max_length=20)  # booking | econsultation | prescription
    enabled: bool = False
    url: str | None = Field(default=None, max_length=500)


class PortalUser(SQLModel, table=True):
    """A patient's portal login: one per CPR number, used at every clinic."""

    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    cpr_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    cpr_index: str = Field(max_length=64, unique=True)
    birth_date: date
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    mobile: str | None = Field(default=None, max_length=20)
    password_hash: str | None = Field(default=None, max_length=200)
    mitid_sub: str | None = Field(default=None, max_length=200, unique=True)
    mitid_verified_at: datetime | None = None  # identity confirmed with MitID at least once
    guardian_cpr_index: str | None = Field(default=None, max_length=64)  # under-15 users
    created_by: str = Field(max_length=60)  # self | guardian | staff:<id>
    activated_at: datetime | None = None  # None: created by a clinic, not yet activated
    # A child's user (created_by "guardian"): the adult who created it, as MitID named them, and
    # how (cpr_register | clinic_approval) and when their custody was established; None: not yet.
    guardian_name: str | None = Field(default=None, max_length=200)
    guardian_cpr_encrypted: str | None = Field(default=None, sa_column=Column(Text))
    custody_method: str | None = Field(default=None, max_length=20)
    custody_confirmed_at: datetime | None = None
    failed_login_count: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PatientRecord(SQLModel, table=True):
    """The clinic's record card of one patient (stamkort)."""

    __tablename__ = "patient_record"
    # The patient search's indexes are expression indexes made by migrations 0008 (ordered pages
    # by lower-cased name) and 0010 (by lower-cased first name); autogenerate cannot compare them.
    # Its name list is PatientName (0009).
    __table_args__ = (UniqueConstraint("clinic_id", "cpr_index"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    cpr_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    cpr_index: str = Field(max_length=64, index=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    search_name: str = Field(max_length=210)  # "first last", lower-cased, for the search index
    address: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=4)
    city: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    mobile: str | None = Field(default=None, max_length=20)
    no_mitid: bool = False  # "Patienten har ikke MitID": security-code login without MitID
    # With no_mitid, the portal user's e-mail address that a clinic user confirmed belongs to
    # the patient (lower-cased), by whom and when: a self-registration never confirmed with
    # MitID logs in here only while its address is this one. Unticking no_mitid clears it.
    vouched_email: str | None = Field(default=None, max_length=254)
    email_vouched_by: int | None = Field(default=None, foreign_key="staff_user.id")
    email_vouched_at: datetime | None = None
    portal_user_id: int | None = Field(default=None, foreign_key="portal_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PatientName(SQLModel, table=True):
    """A lower-cased first or last name that a clinic's patients have: the patient search's word list.

    On PostgreSQL triggers of migration 0009 add the names of every written patient record in the
    same transaction, and a trigram index (0010) finds the names that hold a typed word; names are
    never removed, so the list may hold a name no patient has any more (the search then finds no
    rows for it). SQLite's simple search does not use it.
    """

    __tablename__ = "patient_name"

    clinic_id: int = Field(foreign_key="clinic.id", primary_key=True)
    kind: str = Field(max_length=5, primary_key=True)  # first | last
    name: str = Field(sa_column=Column(Text, primary_key=True))


class RegistrationRequest(SQLModel, table=True):
    """A self-registration waiting for the clinic (mode "med læge-godkendelse")."""

    __tablename__ = "registration_request"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    portal_user_id: int = Field(foreign_key="portal_user.id", index=True)
    status: str = Field(default="pending", max_length=12)  # pending | accepted | rejected
    custody_check: bool = False  # a child's request: the clinic checks the adult's custody first
    reason: str | None = Field(default=None, max_length=500)
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PortalSession(SQLModel, table=True):
    """A patient's login session at one clinic's portal; the cookie holds a token, its hash here."""

    __tablename__ = "portal_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    portal_user_id: int = Field(foreign_key="portal_user.id", index=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    method: str = Field(max_length=20)  # mitid | security_code
    kiosk_device_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    # The citizen broker's ID token of a MitID login: the id_token_hint of the logout there.
    id_token: str | None = Field(default=None, sa_column=Column(Text))
    idp: str | None = Field(default=None, max_length=40)
    loa: str | None = Field(default=None, max_length=20)  # low | substantial | high
    broker_sub: str | None = Field(default=None, max_length=200, index=True)
    broker_sid: str | None = Field(default=None, max_length=200, index=True)


class KioskDevice(SQLModel, table=True):
    """A shared device in a clinic's waiting room, enrolled by a clinic administrator."""

    __tablename__ = "kiosk_device"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    name: str = Field(max_length=100)
    enrol_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    enrol_expires_at: datetime | None = None
    device_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    enrolled_at: datetime | None = None
    revoked_at: datetime | None = None
    last_seen_at: datetime | None = None


class RetentionRun(SQLModel, table=True):
    """Present only inside a retention transaction: it lets consent records of deleted people go."""

    __tablename__ = "retention_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)


class OIDCClient(SQLModel, table=True):
    """A sister system (relying party) of Klinikadgang's own OpenID Provider.

    URIs are exact-match lists (JSON); the secret is shown once and only its SHA-256 is kept
    (it is 32 random bytes, so a slow hash adds nothing but time at every token request).
    """

    __tablename__ = "oidc_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    # client_secret_basic | client_secret_post | private_key_jwt | none (public, PKCE)
    auth_method: str = Field(max_length=30)
    secret_hash: str | None = Field(default=None, max_length=64)
    jwks_uri: str | None = Field(default=None, max_length=500)  # private_key_jwt
    redirect_uris: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    post_logout_redirect_uris: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    backchannel_logout_uri: str | None = Field(default=None, max_length=500)
    scopes: str = Field(default="openid", max_length=500)  # space-separated, allowed
    required_acr: str | None = Field(default=None, max_length=100)
    login_url: str | None = Field(default=None, max_length=500)  # the start page's link
    # The profile-sharing consent text versions that name this system (space-separated): only a
    # consent given to one of them lets it have the person's profile (app/consent.coverage).
    consent_versions: str = Field(default="", max_length=200)
    access_token_seconds: int = 300
    refresh_token_seconds: int = 8 * 3600
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None


class OPSigningKey(SQLModel, table=True):
    """A signing key of the OpenID Provider, shared by every instance through the database.

    The private JWK is encrypted (OP_KEY_ENCRYPTION_KEYS). The newest unretired key signs;
    retired keys stay published in the JWKS until the tokens they signed have expired.
    """

    __tablename__ = "op_signing_key"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    alg: str = Field(max_length=10)  # ES256 | RS256
    private_jwk: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class OPAuthorizationCode(SQLModel, table=True):
    """A code the provider issued to a sister system: single use, short-lived, hash only."""

    __tablename__ = "op_authorization_code"
    # The nonce replay check (ProviderOpenIDCode.exists_nonce) looks codes up by both.
    __table_args__ = (Index("ix_op_authorization_code_client_nonce", "client_id", "nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    client_id: str = Field(max_length=64)
    login_session_id: int = Field(foreign_key="login_session.id", index=True)
    redirect_uri: str = Field(max_length=500)
    scope: str = Field(max_length=500)
    nonce: str | None = Field(default=None, max_length=255)
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OPToken(SQLModel, table=True):
    """Tokens the provider issued: an access token and, with offline_access, a refresh token.

    Only hashes are kept. A refresh rotates: the new row names the same family; presenting a
    refresh token that was already rotated ends the whole family. Every row names the login
    session it came from, so ending that session ends them (and tells the client).
    """

    __tablename__ = "op_token"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, index=True)
    login_session_id: int = Field(foreign_key="login_session.id", index=True)
    scope: str = Field(max_length=500)
    access_token_hash: str = Field(max_length=64, unique=True)
    refresh_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    code_id: int | None = Field(default=None, foreign_key="op_authorization_code.id")
    family: str = Field(max_length=32, index=True)
    issued_at: datetime = Field(default_factory=utcnow)
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    rotated_at: datetime | None = None  # its refresh token was used for a new one
    revoked_at: datetime | None = None


class OPLogoutDelivery(SQLModel, table=True):
    """A back-channel logout token still to be delivered to a sister system (a queue row).

    Written in the same transaction that ends the login session, so no restart loses one; any
    instance may send it; a failure is retried later with a growing wait.
    """

    __tablename__ = "op_logout_delivery"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, index=True)
    login_session_id: int = Field(foreign_key="login_session.id", index=True)
    sid: str = Field(max_length=64)
    sub: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    delivered_at: datetime | None = None
    given_up_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=200)


class UsedTokenId(SQLModel, table=True):
    """The jti of a one-time JWT that was accepted: a broker's logout token, a client assertion.

    The unique pair (issuer, jti) makes a replay fail on every instance; a row is kept until
    the JWT it names has expired, as the JWT could not be accepted again after that anyway.
    """

    __tablename__ = "used_token_id"
    __table_args__ = (UniqueConstraint("issuer", "jti", name="uq_used_token_id_issuer_jti"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=500)
    jti: str = Field(max_length=255)
    expires_at: datetime = Field(index=True)
