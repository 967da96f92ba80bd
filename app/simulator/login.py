"""The MitID-like login pages: BRUGER-ID, private or Erhverv choice, approval, cancel; SSO."""

import logging
import secrets
import time
from dataclasses import replace

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Blueprint, render_template, request, session

from .models import LoginSubject
from .oauth import StoredAuthorizationRequest, get_server
from .profiles import ERHVERV, PRIVATE, Asked, RequestError, asked
from .store import PendingAuthorization, get_state

log = logging.getLogger(__name__)
bp = Blueprint("login", __name__)

PRIVATE_CHOICE = "private"
BROWSER_KEY = "browser"  # the simulator's cookie holds only a random id of this browser


def browser_id() -> str | None:
    """This browser's id at the simulator (its login sessions are kept server-side)."""
    return session.get(BROWSER_KEY)


def _sso_subject() -> LoginSubject | None:
    """Who this browser is logged in as at the requesting client, unless max_age has passed.

    max_age: "the allowable elapsed time in seconds since the last time the End-User was
    actively authenticated" (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest);
    past it the broker "will ensure to actively re-authenticate the end-user"
    (https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/sessions.html).
    """
    subject = get_state().sso_subject(browser_id(), request.args.get("client_id", ""))
    max_age = request.args.get("max_age", "")
    if subject is not None and max_age.isdigit() and time.time() - subject.auth_time > int(max_age):
        return None
    return subject


@bp.get("/authorize")
def authorize():
    server = get_server()
    subject = _sso_subject()
    try:
        # authlib's prompt handling: prompt=none without a session is login_required;
        # prompt=login (or no session) sets grant.prompt to "login".
        grant = server.get_consent_grant(end_user=subject)
    except OAuth2Error as error:
        return _authorization_error(error, request.args.get("client_id"))
    try:
        asked(grant.client.profile, request.args)
    except RequestError as error:
        invalid = InvalidRequestError(str(error), redirect_uri=grant.redirect_uri)
        return _authorization_error(invalid, grant.client.client_id)
    pending = get_state().create_pending(
        uri=request.url, params=request.args.to_dict(), client_id=grant.client.client_id
    )
    if subject is not None and grant.prompt != "login":
        # Single sign-on: answered at once, with the time of the original authentication.
        return _finish(get_state().pop_pending(pending.request_id), subject)
    log.info("authorize client_id=%s outcome=login_page", pending.client_id)
    return _login_page(pending)


@bp.post("/authorize/login")
def login():
    pending = get_state().pending(request.form.get("request_id", ""))
    if pending is None:
        return _expired_page()
    user_id = request.form.get("user_id", "").strip()
    if not user_id:
        return _login_page(pending, error="Indtast dit bruger-ID"), 422
    identity = get_state().identity(user_id)
    if identity is None:
        log.info("login client_id=%s outcome=unknown_user", pending.client_id)
        return _login_page(pending, user_id=user_id, error="Ukendt bruger-ID"), 422
    subject = LoginSubject(identity, None, int(time.time()))
    kinds = _asked(pending).kinds
    if identity.erhverv and ERHVERV in kinds:
        pending = get_state().update_pending(pending, subject=subject, login_chosen=False)
        return _choice_page(pending)
    if PRIVATE not in kinds:  # only MitID Erhverv was asked for, and this person has none
        return _login_page(pending, user_id=user_id,
                           error="Bruger-ID'et har ingen MitID Erhverv-identitet"), 422
    pending = get_state().update_pending(pending, subject=subject, login_chosen=True)
    return _approval_page(pending)


@bp.post("/authorize/choose")
def choose():
    pending = get_state().pending(request.form.get("request_id", ""))
    if pending is None or pending.subject is None:
        return _expired_page()
    choice = request.form.get("login_as", "")
    identity = pending.subject.identity
    organisation = identity.organisation(choice)
    private_allowed = PRIVATE in _asked(pending).kinds
    if organisation is None and (choice != PRIVATE_CHOICE or not private_allowed):
        return _choice_page(pending, error="Vælg en af mulighederne."), 422
    subject = LoginSubject(identity, organisation, pending.subject.auth_time)
    pending = get_state().update_pending(pending, subject=subject, login_chosen=True)
    return _approval_page(pending)


@bp.post("/authorize/approve")
def approve():
    # Popping first makes a double-submitted approval issue at most one code.
    pending = get_state().pop_pending(request.form.get("request_id", ""))
    if pending is None or pending.subject is None or not pending.login_chosen:
        return _expired_page()
    return _finish(pending, pending.subject)


@bp.post("/authorize/cancel")
def cancel():
    pending = get_state().pop_pending(request.form.get("request_id", ""))
    if pending is None:
        return _expired_page()
    return _finish(pending, None)


def _finish(pending: PendingAuthorization, subject: LoginSubject | None):
    """Redirect to the client with a code (approved) or access_denied (subject None)."""
    server = get_server()
    stored = StoredAuthorizationRequest(pending)
    if subject is not None:
        subject = _answered(pending, subject)
        if subject.sid is None:  # a new login session; single sign-on answers keep theirs
            subject = replace(subject, sid=secrets.token_urlsafe(18))
    try:
        grant = server.get_consent_grant(request=stored, end_user=subject)
    except OAuth2Error as error:
        return _authorization_error(error, pending.client_id)
    response = server.create_authorization_response(request=stored, grant_user=subject, grant=grant)
    if subject is not None and response.status_code == 302:
        session.setdefault(BROWSER_KEY, secrets.token_urlsafe(24))
        get_state().start_sso(session[BROWSER_KEY], pending.client_id, subject)
    outcome = "approved" if subject else "access_denied"
    log.info("authorize client_id=%s outcome=%s", pending.client_id, outcome)
    return response


def _asked(pending: PendingAuthorization) -> Asked:
    """What the (already validated) request of this login asks for, in its client's profile."""
    return asked(get_state().clients[pending.client_id].profile, pending.params)


def _answered(pending: PendingAuthorization, subject: LoginSubject) -> LoginSubject:
    """The subject as this client's answer tells it: its profile's claim names, the level.

    The level is the one asked for, unless a test set one with POST /dev/assurance.
    """
    profile = get_state().clients[pending.client_id].profile
    level = get_state().assurance or _asked(pending).level_for(subject.organisation is not None,
                                                                profile)
    return replace(subject, loa=level, profile=profile)


def _authorization_error(error: OAuth2Error, client_id: str | None):
    """Redirect errors to a validated redirect URI; otherwise show them here."""
    log.info("authorize client_id=%s outcome=%s", client_id, error.error)
    if error.redirect_uri:
        return get_server().handle_error_response(None, error)
    page = render_template("simulator/error.html", error=error.error, description=error.description)
    return page, 400


def _expired_page():
    page = render_template(
        "simulator/error.html",
        error="login_expired",
        description="Login-forløbet er udløbet eller ugyldigt. Start forfra fra tjenesten.",
    )
    return page, 400


def _client_name(pending: PendingAuthorization) -> str:
    client = get_state().clients.get(pending.client_id)
    return client.client_name if client else pending.client_id


def _login_page(pending, user_id="", error=None):
    return render_template(
        "simulator/login.html",
        pending=pending,
        service=_client_name(pending),
        user_id=user_id,
        error=error,
        known_user_ids=get_state().identity_ids(),
    )


def _choice_page(pending, error=None):
    return render_template(
        "simulator/choose.html",
        pending=pending,
        service=_client_name(pending),
        identity=pending.subject.identity,
        private_allowed=PRIVATE in _asked(pending).kinds,
        error=error,
    )


def _approval_page(pending):
    return render_template(
        "simulator/approve.html",
        pending=pending,
        service=_client_name(pending),
        subject=pending.subject,
    )
