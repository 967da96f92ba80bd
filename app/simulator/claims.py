"""Claims the simulator puts in ID tokens and userinfo, named as the MitID broker names them."""

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app

from .config import resolve_today
from .identities import LOA_SUBSTANTIAL
from .models import LoginSubject


def id_token_claims(subject: LoginSubject) -> dict:
    """Identity claims of the ID token: who, how and at which level of assurance."""
    return {
        "sub": subject.sub,
        "idp": subject.idp,
        "identity_type": subject.identity_type,
        "loa": LOA_SUBSTANTIAL,
    }


def userinfo_claims(subject: LoginSubject, scope: str) -> dict:
    """Userinfo claims; the CPR number only when the ssn scope was granted."""
    identity = subject.identity
    today = resolve_today(current_app.config.get("SIMULATOR_TODAY"))
    claims = {
        **id_token_claims(subject),
        "mitid.uuid": identity.mitid_uuid,
        "mitid.identity_name": identity.name,
        "mitid.date_of_birth": identity.date_of_birth.isoformat(),
        "mitid.age": str(identity.age_on(today)),
    }
    if "ssn" in scope_to_list(scope or ""):
        # The broker sends the CPR number as ten digits without a hyphen.
        claims["dk.cpr"] = identity.cpr_digits
    organisation = subject.organisation
    if organisation is not None:
        claims["nemlogin.cvr"] = organisation.cvr
        claims["nemlogin.org_name"] = organisation.org_name
        claims["nemlogin.persistent_professional_id"] = identity.professional_id(organisation.cvr)
    return claims
