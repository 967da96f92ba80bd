"""Development-only endpoints and helpers: identities, outage, ID token faults, assurance, logout."""

import logging

from flask import Blueprint, Flask, current_app, jsonify, request

from . import backchannel
from .config import resolve_today
from .identities import IdentityError, build_identity
from .store import ID_TOKEN_FAULTS, LEVELS, DuplicateIdentityError, get_state

log = logging.getLogger(__name__)
bp = Blueprint("dev", __name__, url_prefix="/dev")

IDENTITY_FIELDS = frozenset({"mitid_user_id", "name", "cpr", "erhverv"})
_FORM_BOOLEANS = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def add_identity(app: Flask, **fields) -> dict:
    """Create an identity and return its public claims."""
    unknown = set(fields) - IDENTITY_FIELDS
    if unknown:
        raise IdentityError(f"unknown fields: {', '.join(sorted(unknown))}")
    identity = build_identity(
        fields.get("mitid_user_id"), fields.get("name"), fields.get("cpr"), fields.get("erhverv")
    )
    get_state(app).add_identity(identity)
    return identity.public_claims(resolve_today(app.config.get("SIMULATOR_TODAY")))


def set_outage(app: Flask, on: bool) -> None:
    """Switch the simulated MitID outage on or off."""
    get_state(app).set_outage(on)


def set_fault(app: Flask, name: str | None) -> None:
    """Make every following ID token defective in the named way (None resets)."""
    get_state(app).set_fault(name)


def set_assurance(app: Flask, level: str | None) -> None:
    """Make every following login answer at this NSIS level, whatever was asked (None resets)."""
    get_state(app).set_assurance(level)


def _bad_request(description: str):
    return jsonify(error="invalid_request", error_description=description), 400


@bp.post("/identities")
def create_identity():
    fields = request.get_json(silent=True)
    if not isinstance(fields, dict):
        return _bad_request("Body must be a JSON object.")
    try:
        claims = add_identity(current_app._get_current_object(), **fields)
    except IdentityError as error:
        return _bad_request(str(error))
    except DuplicateIdentityError:
        return jsonify(error="identity_exists", error_description="User id is taken."), 409
    log.info("dev identity created")
    return jsonify(claims), 201


@bp.get("/outage")
def outage_state():
    return jsonify(on=get_state().outage)


@bp.post("/outage")
def switch_outage():
    if request.is_json:
        body = request.get_json(silent=True)
        on = body.get("on") if isinstance(body, dict) else None
    else:
        on = _FORM_BOOLEANS.get(request.form.get("on", "").lower())
    if not isinstance(on, bool):
        return _bad_request('Send {"on": true|false} or the form field on=1/0.')
    get_state().set_outage(on)
    log.info("dev outage on=%s", on)
    return jsonify(on=on)


@bp.get("/faults")
def fault_state():
    return jsonify(id_token=get_state().fault)


@bp.post("/faults")
def switch_fault():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "id_token" not in body:
        return _bad_request('Send {"id_token": null or a fault name}.')
    name = body["id_token"]
    if name is not None and name not in ID_TOKEN_FAULTS:
        return _bad_request(f"id_token must be null or one of: {', '.join(ID_TOKEN_FAULTS)}.")
    get_state().set_fault(name)
    log.info("dev fault id_token=%s", name)
    return jsonify(id_token=name)


@bp.get("/assurance")
def assurance_state():
    return jsonify(loa=get_state().assurance)


@bp.post("/assurance")
def switch_assurance():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("loa", "") not in (None, *LEVELS):
        return _bad_request(f'Send {{"loa": null or one of: {", ".join(LEVELS)}}}.')
    get_state().set_assurance(body["loa"])
    log.info("dev assurance loa=%s", body["loa"])
    return jsonify(loa=body["loa"])


@bp.post("/sessions/end")
def end_sessions():
    """The broker ends a person's login sessions (as when they end at MitID) and tells the clients."""
    body = request.get_json(silent=True)
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if not isinstance(user_id, str) or get_state().identity(user_id) is None:
        return _bad_request('Send {"user_id": a known MitID user id}.')
    deliveries = backchannel.end_sessions_of(get_state(), current_app.config["SIMULATOR_ISSUER"],
                                             user_id)
    log.info("dev sessions ended count=%d", len(deliveries))
    return jsonify(ended=len(deliveries), deliveries=deliveries)
