"""RP-initiated logout at the simulator: end this browser's login session at one client.

OpenID Connect RP-Initiated Logout 1.0 (https://openid.net/specs/openid-connect-rpinitiated-1_0.html)
with authlib's EndSessionEndpoint: id_token_hint (signed by us; expired is fine, §2),
client_id (must match its aud), post_logout_redirect_uri (exact match with the client's
registered ones, §3) and state (returned on the redirect).
"""

import logging

from authlib.oauth2 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Blueprint, abort, current_app, render_template, request

from .login import browser_id
from .oauth import get_server
from .store import get_state

log = logging.getLogger(__name__)
bp = Blueprint("logout", __name__)


class SimulatorEndSessionEndpoint(EndSessionEndpoint):
    """Ends the login session of the requesting browser at the client the request names."""

    def get_server_jwks(self):
        return get_state().keys.public_jwks()

    def end_session(self, end_session_request):
        get_state().end_sso(browser_id(), end_session_request.client.client_id)


def _refused(description: str):
    page = render_template("simulator/error.html", error="invalid_request",
                           description=description, logout=True)
    return page, 400


@bp.route("/logout", methods=["GET", "POST"])
def end_session():
    if not current_app.config["SIMULATOR_END_SESSION"]:
        abort(404)
    server = get_server()
    try:
        found = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        log.info("end_session outcome=%s", error.error)
        return _refused(error.description)
    if found.client is None:
        return _refused("Tjenesten er ukendt: send client_id eller id_token_hint.")
    asked = request.values.get("post_logout_redirect_uri")
    if asked and asked not in found.client.post_logout_redirect_uris:
        # §4: no post-logout redirection to an unregistered URI; nothing is ended either.
        log.info("end_session client_id=%s outcome=unregistered_redirect", found.client.client_id)
        return _refused("post_logout_redirect_uri er ikke registreret for tjenesten.")
    response = server.create_endpoint_response("end_session", found)
    log.info("end_session client_id=%s outcome=ended", found.client.client_id)
    return response or render_template("simulator/logged_out.html")
