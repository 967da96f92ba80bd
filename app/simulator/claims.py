"""Claims the simulator puts in ID tokens and userinfo, named as the subject's broker names them.

signaturgruppen: idp, identity_type and loa/ial/aal (NSIS URIs) in the ID token; mitid.*,
dk.cpr (ssn scope) and, for MitID Erhverv, nemlogin.* in userinfo
(https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid.html,
.../idps/mitid-erhverv.html). A MitID Erhverv answer names the person in nemlogin.name, not in
mitid.identity_name.
idura: everything in the ID token (and userinfo): identityscheme, uuid, name, birthdate, age,
cprNumberIdentifier; for a business login cvrNumberIdentifier, 2.5.4.10 (organisation) and
employee; acr says the level or business (https://docs.idura.app/verify/e-ids/danish-mitid,
https://docs.idura.app/verify/e-ids/danish-mitid-erhverv).
"""

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app

from .config import resolve_today
from .models import LoginSubject

NSIS = "https://data.gov.dk/concept/core/nsis/"
IDURA_ACR = "urn:grn:authn:dk:mitid:"


def id_token_claims(subject: LoginSubject) -> dict:
    """Identity claims of the ID token: who, how and at which level of assurance."""
    sub = subject.sub
    if subject.profile == "idura":
        return {"sub": sub, **_idura(subject, with_cpr=False)}
    level = NSIS + subject.loa.title()
    return {"sub": sub, "idp": subject.idp, "identity_type": subject.identity_type,
            "loa": level, "ial": level, "aal": level}


def userinfo_claims(subject: LoginSubject, scope: str) -> dict:
    """Userinfo claims; the CPR number only when the ssn scope was granted."""
    ssn = "ssn" in scope_to_list(scope or "")
    if subject.profile == "idura":
        return {**id_token_claims(subject), **_idura(subject, with_cpr=ssn)}
    identity = subject.identity
    today = resolve_today(current_app.config.get("SIMULATOR_TODAY"))
    claims = {
        **id_token_claims(subject),
        "mitid.uuid": identity.mitid_uuid,
        "mitid.date_of_birth": identity.date_of_birth.isoformat(),
        "mitid.age": str(identity.age_on(today)),
    }
    if ssn:
        # The broker sends the CPR number as ten digits without a hyphen.
        claims["dk.cpr"] = identity.cpr_digits
    organisation = subject.organisation
    if organisation is None:
        claims["mitid.identity_name"] = identity.name
        return claims
    given, _, family = identity.name.rpartition(" ")
    claims.update({
        "nemlogin.name": identity.name,
        "nemlogin.given_name": given or family,
        "nemlogin.family_name": family,
        "nemlogin.date_of_birth": identity.date_of_birth.isoformat(),
        "nemlogin.cvr": organisation.cvr,
        "nemlogin.org_name": organisation.org_name,
        "nemlogin.persistent_professional_id": identity.professional_id(organisation.cvr),
    })
    return claims


def _idura(subject: LoginSubject, *, with_cpr: bool) -> dict:
    identity = subject.identity
    organisation = subject.organisation
    claims = {"identityscheme": "dkmitid", "name": identity.name, "country": "DK"}
    if organisation is not None:
        # An employee's uuid is that MitID Erhverv identity's own.
        claims.update({"acr": IDURA_ACR + "business", "employee": "true",
                       "uuid": identity.professional_id(organisation.cvr),
                       "cvrNumberIdentifier": organisation.cvr,
                       "2.5.4.10": organisation.org_name})
        return claims
    today = resolve_today(current_app.config.get("SIMULATOR_TODAY"))
    claims.update({"acr": IDURA_ACR + subject.loa, "uuid": identity.mitid_uuid,
                   "birthdate": identity.date_of_birth.isoformat(),
                   "age": str(identity.age_on(today))})
    if with_cpr:
        claims["cprNumberIdentifier"] = identity.cpr_digits
    return claims
