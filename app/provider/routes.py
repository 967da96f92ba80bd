"""The provider's endpoints: discovery, JWKS, authorization, token, revocation, introspection,
userinfo and logout."""

import time

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, consent
from app.blueprints.auth.sessions import end_login_session
from app.blueprints.selection.services import clinic_choices
from app.core.db import get_session
from app.core.errors import render_error
from app.core.extensions import csrf, limiter
from app.core.web import redirect_303, render_page
from app.provider import bp, client_auth, clients, flow, issuer, keys
from app.provider.claims import Person, acr_of, auth_time_of, subject_of
from app.provider.server import error_redirect, get_server
from app.provider.token_endpoints import CONFIDENTIAL


def _public(response, seconds: int):
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.get("/.well-known/openid-configuration")
def discovery():
    """What a sister system's OpenID Connect library reads to talk to us.

    https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
    """
    base = issuer()
    document = {
        "issuer": base,
        "jwks_uri": base + url_for("provider.jwks"),
        "authorization_endpoint": base + url_for("provider.authorize"),
        "token_endpoint": base + url_for("provider.token"),
        "revocation_endpoint": base + url_for("provider.revoke"),
        "introspection_endpoint": base + url_for("provider.introspect"),
        "userinfo_endpoint": base + url_for("provider.userinfo"),
        "end_session_endpoint": base + url_for("provider.end_session"),
        "authorization_response_iss_parameter_supported": True,
        "claims_supported": ["sub", "name", "email", "email_verified", "phone_number",
                             "clinic", "function", "roles", "acr", "amr", "auth_time", "sid"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(client_auth.ALGORITHMS),
        # RFC 8414 §2: every method at revocation; introspection for confidential clients only.
        "revocation_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(client_auth.ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL),
        "introspection_endpoint_auth_signing_alg_values_supported": list(client_auth.ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(clients.SCOPES),
        "acr_values_supported": list(clients.ACR_VALUES),
    }
    return _public(jsonify(document), 300)


@bp.get("/oidc/jwks")
def jwks():
    """The public signing keys, the current one and those retired lately (rotation)."""
    return _public(jsonify(keys.public_jwks()), 300)


DECLINE = "uden_samtykke"  # our own parameter: answer access_denied (only without consent)


def _person() -> Person | None:
    """The logged-in person, once the clinic and function are chosen (what a login carries)."""
    if not current_user.is_authenticated:
        return None
    row = current_user.login_session
    if row.function is None and clinic_choices(current_user.user, row):
        return None  # the pickers first; then the start page continues here
    return Person(current_user.user, row)


def _too_old(person: Person) -> bool:
    """max_age: re-authenticate when the login is older (Core §3.1.2.1)."""
    max_age = request.args.get("max_age", "")
    return max_age.isdigit() and time.time() - auth_time_of(person.login_session) > int(max_age)


ACR_ORDER = ("password", "mitid-substantial", "mitid-high")  # rising (clients.ACR_VALUES)


def _required_acr(client) -> str | None:
    """The level this login must have: the client's registered minimum, or higher if asked.

    acr_values (Core §3.1.2.1) lists the levels the client would take, in order of
    preference: the lowest known one of them is what this request needs.
    """
    asked = [v for v in request.args.get("acr_values", "").split() if v in ACR_ORDER]
    levels = [v for v in (client.required_acr, min(asked, key=ACR_ORDER.index, default=None))
              if v]
    return max(levels, key=ACR_ORDER.index, default=None)


def _meets(person: Person, required: str | None) -> bool:
    return required is None or (ACR_ORDER.index(acr_of(person.login_session))
                                >= ACR_ORDER.index(required))


def _someone_else(person: Person) -> bool:
    """login_hint: the `sub` the client expects; with prompt=none another person is no answer."""
    hint = request.args.get("login_hint")
    return bool(hint) and hint != subject_of(person.user)


def _refused(error: OAuth2Error):
    """An error the client can be told (a validated redirect URI), or a page here."""
    if error.redirect_uri:
        return error_redirect(error)
    return render_error(400, _("Login-forespørgslen er ugyldig"), _(
        "Systemet, du kom fra, sendte en forespørgsel, som Klinikadgang ikke kan besvare "
        "(%(error)s). Kontakt systemets leverandør.", error=error.error))


@bp.get("/oidc/authorize")
@limiter.limit("60 per minute")
def authorize():
    """A sister system asks who is logged in: answer with a code, or log in first."""
    person = _person()
    silent = request.args.get("prompt") == "none"
    if person is not None and (request.args.get("prompt") == "login" or _too_old(person)):
        if not silent:  # a silent request is told login_required; the session stays
            end_login_session(current_user._get_current_object(), reason="reauthentication")
        person = None
    server = get_server()
    try:
        grant = server.get_consent_grant(end_user=person)
    except OAuth2Error as error:
        return _refused(error)
    if person is None:
        flow.remember_request()
        return redirect(url_for("auth.login"))
    client = grant.client.row
    if silent and _someone_else(person):
        return _refused(LoginRequiredError(redirect_uri=grant.redirect_uri,
                                           state=grant.request.payload.state))
    required = _required_acr(client)
    if not _meets(person, required):
        audit.record("op_login_refused_acr", actor=f"staff:{person.user.id}",
                     target_type="oidc_client", target_id=client.client_id,
                     required=required, reached=acr_of(person.login_session))
        get_session().commit()
        if silent:  # OpenID Connect Core Unmet Authentication Requirements 1.0 §3
            return _refused(OAuth2Error(error="unmet_authentication_requirements",
                                        redirect_uri=grant.redirect_uri,
                                        state=grant.request.payload.state))
        if required == "mitid-high":
            return render_error(403, _("%(system)s kræver MitID på sikringsniveau høj",
                                       system=client.name), _(
                "Du er logget ind på et lavere sikringsniveau, end %(system)s kræver. Kontakt "
                "din klinik, hvis du skal bruge %(system)s.", system=client.name))
        return render_error(403, _("%(system)s kræver login med MitID", system=client.name), _(
            "Du er logget ind med bruger ID og adgangskode. %(system)s kræver, at du logger "
            "ind med MitID. Log ud, og log ind med MitID.", system=client.name))
    covered = consent.coverage(staff_user_id=person.user.id,
                               versions=clients.consent_versions(client))
    if covered != "covered":
        if silent:  # no page may be shown (Core §3.1.2.1): the system is told
            return _refused(ConsentRequiredError(redirect_uri=grant.redirect_uri,
                                                 state=grant.request.payload.state))
        if request.args.get(DECLINE) == "1":  # "Tilbage uden samtykke": the system is told
            return server.create_authorization_response(grant_user=None, grant=grant)
        flow.remember_request()
        decline = request.full_path + "&" + DECLINE + "=1"
        return render_page("provider/no_consent.html", system=client.name, decline_url=decline,
                           reason=covered, status=403,
                           consent_text=consent.PROFILE_SHARING_TEXT.split("\n\n"),
                           systems=consent.PROFILE_SHARING_SYSTEMS)
    audit.record("op_code_issued", actor=f"staff:{person.user.id}", target_type="oidc_client",
                 target_id=client.client_id, login_session_id=person.login_session.id)
    return server.create_authorization_response(grant_user=person, grant=grant)


@bp.post("/oidc/authorize/samtykke")
def give_consent_and_continue():
    """Give the consent again from the sister system's refusal page, then continue there."""
    if not current_user.is_authenticated:
        return redirect_303(url_for("auth.login"))
    user = current_user.user
    consent.set_consent(staff_user_id=user.id, given=True, method="sso_prompt",
                        actor=f"staff:{user.id}")
    get_session().commit()
    return redirect_303(flow.take_return() or url_for("main.index"))


@bp.post("/oidc/token")
@csrf.exempt
@limiter.limit(lambda: current_app.config["SERVER_RATE_LIMIT"])
def token():
    """Codes and refresh tokens for tokens (server to server; the client authenticates)."""
    return get_server().create_token_response()


@bp.post("/oidc/revoke")
@csrf.exempt
@limiter.limit(lambda: current_app.config["SERVER_RATE_LIMIT"])
def revoke():
    """A client ends one of its tokens (RFC 7009)."""
    return get_server().create_endpoint_response("revocation")


@bp.post("/oidc/introspect")
@csrf.exempt
@limiter.limit(lambda: current_app.config["SERVER_RATE_LIMIT"])  # its own count
def introspect():
    """A client's API asks whether a token of that client is active, and whose (RFC 7662)."""
    return get_server().create_endpoint_response("introspection")


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    """The claims of the access token's person, as its scopes allow."""
    return get_server().create_endpoint_response("userinfo")


@bp.route("/oidc/logout", methods=["GET", "POST"])
@csrf.exempt  # a sister system may POST its logout request; without a hint we ask first
def end_session():
    """A sister system's Log ud: end the session here and return to the system."""
    server = get_server()
    try:
        found = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _refused(error)
    confirmed = request.method == "POST" and request.form.get("confirm") == "1"
    if found.needs_confirmation and current_user.is_authenticated and not confirmed:
        # No valid id_token_hint: anyone could have sent this browser here (§6).
        return render_page("provider/confirm_logout.html",
                           system=found.client.row.name if found.client else None)
    if confirmed:
        csrf.protect()
    if current_user.is_authenticated:
        audit.record("op_logout", actor=f"staff:{current_user.user.id}",
                     target_type="oidc_client",
                     target_id=found.client.client_id if found.client else None)
        get_session().commit()
    response = server.create_endpoint_response("end_session", found)
    return response or redirect(url_for("auth.logged_out"))
