"""Broker profiles: how each real MitID broker is asked for a login and how its answer reads.

One setting per broker (STAFF_BROKER_PROFILE, CITIZEN_BROKER_PROFILE) picks a profile; the
profile turns the app's wish (MitID, and for staff MitID Erhverv too, at the configured minimum
assurance *_MIN_LOA) into the broker's authorization parameters, and the broker's claims into
the one set of fields the app reads (`claims_of`). Nothing else in the app knows a profile.

- signaturgruppen: the Signaturgruppen broker (NEB).
  https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid.html
  https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid-erhverv.html
- idura: Idura Verify (formerly Criipto).
  https://docs.idura.app/verify/e-ids/danish-mitid
  https://docs.idura.app/verify/e-ids/danish-mitid-erhverv
"""

import json

from flask import current_app

# Each registered OIDC client of a broker and the prefix of its settings in the config.
BROKERS = {"staff_broker": "STAFF_BROKER", "citizen_broker": "CITIZEN_BROKER"}
PROFILES = ("signaturgruppen", "idura")
LEVELS = ("low", "substantial", "high")  # NSIS, in rising order
# The identity kinds each broker may answer with: patients log in with their private MitID only.
ALLOWED_IDPS = {"staff_broker": ("mitid", "mitid_erhverv"), "citizen_broker": ("mitid",)}

# Signaturgruppen: idp_values lists the identity providers, space separated ("mitid nemid" in
# https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/identity-providers.html);
# idp_params is JSON whose "mitid" member takes loa_value low|substantial|high (mitid.html), also
# applied when a MitID Erhverv user authenticates with MitID (mitid-erhverv.html). The ID token
# answers idp (mitid | mitid_erhverv) and loa as an NSIS URI (both pages).
NSIS_LOA = {f"https://data.gov.dk/concept/core/nsis/{level.title()}": level for level in LEVELS}

# Idura: acr_values urn:grn:authn:dk:mitid:low|substantial|high choose the level (danish-mitid),
# urn:grn:authn:dk:mitid:business a MitID Erhverv login (danish-mitid-erhverv); the ID token's acr
# (OpenID Connect Core 1.0 §2) names what was used. Idura's pages give no level for a business
# login; MitID Erhverv is an NSIS substantial flow (the Signaturgruppen page above: "cannot issue
# higher than Substantial"), so that is the level we read for it.
IDURA_ACR = "urn:grn:authn:dk:mitid:"
IDURA_BUSINESS = IDURA_ACR + "business"
IDURA_LEVELS = {IDURA_ACR + level: level for level in LEVELS} | {IDURA_BUSINESS: "substantial"}


def _setting(client_name: str, name: str, cfg=None) -> str:
    return (cfg or current_app.config)[f"{BROKERS[client_name]}_{name}"]


def check_config(cfg) -> None:
    """Refuse to start with an unknown profile or level (a typo would silently weaken a check)."""
    for client_name in BROKERS:
        if _setting(client_name, "PROFILE", cfg) not in PROFILES:
            raise RuntimeError(f"Unknown {BROKERS[client_name]}_PROFILE; known: "
                               f"{', '.join(PROFILES)}.")
        if _setting(client_name, "MIN_LOA", cfg) not in LEVELS:
            raise RuntimeError(f"Unknown {BROKERS[client_name]}_MIN_LOA; known: "
                               f"{', '.join(LEVELS)}.")


def authorize_params(client_name: str) -> dict:
    """The profile's extra authorization request parameters: which identities, which level."""
    level = _setting(client_name, "MIN_LOA")
    idps = ALLOWED_IDPS[client_name]
    if _setting(client_name, "PROFILE") == "idura":
        acr = [IDURA_ACR + level] + ([IDURA_BUSINESS] if "mitid_erhverv" in idps else [])
        return {"acr_values": " ".join(acr)}
    return {"idp_values": " ".join(idps),
            "idp_params": json.dumps({"mitid": {"loa_value": level}}, separators=(",", ":"))}


def claims_of(client_name: str, id_token: dict, userinfo: dict) -> dict:
    """The app's identity fields from a verified ID token and userinfo (same sub).

    How the person logged in (idp, loa) is read from the signed ID token only; None where the
    broker did not say. Raises ValueError (or KeyError) on an answer that cannot be read.
    """
    if userinfo.get("sub") != id_token["sub"]:
        raise ValueError("userinfo sub differs from the ID token")
    claims = {**userinfo, **id_token}
    read = _idura if _setting(client_name, "PROFILE") == "idura" else _signaturgruppen
    return {"sub": id_token["sub"], "sid": id_token.get("sid"), **read(id_token, claims)}


def _signaturgruppen(id_token: dict, claims: dict) -> dict:
    erhverv = id_token.get("idp") == "mitid_erhverv"
    given = " ".join(filter(None, (claims.get("nemlogin.given_name"),
                                   claims.get("nemlogin.family_name"))))
    name = (claims.get("nemlogin.name") or given) if erhverv else claims.get("mitid.identity_name")
    return {
        "idp": id_token.get("idp") if id_token.get("idp") in ("mitid", "mitid_erhverv") else None,
        "loa": NSIS_LOA.get(id_token.get("loa")),
        "name": name or "",
        "mitid_uuid": claims.get("mitid.uuid"),
        "cpr": claims.get("dk.cpr") or (claims.get("nemlogin.cpr") if erhverv else None),
        "cvr": claims.get("nemlogin.cvr") if erhverv else None,
        "org_name": claims.get("nemlogin.org_name") if erhverv else None,
        "professional_id": claims.get("nemlogin.persistent_professional_id") if erhverv else None,
        "age": claims.get("mitid.age"),
        "birthdate": claims.get("mitid.date_of_birth") or claims.get("nemlogin.date_of_birth"),
    }


def _idura(id_token: dict, claims: dict) -> dict:
    # An employee or company signatory says so ("true"); a private login has neither claim.
    business = "true" in (str(claims.get("employee")).lower(),
                          str(claims.get("companySignatory")).lower())
    idp = None
    if id_token.get("identityscheme") == "dkmitid":
        idp = "mitid_erhverv" if business else "mitid"
    return {
        "idp": idp,
        "loa": IDURA_LEVELS.get(id_token.get("acr")),
        "name": claims.get("name") or "",
        # For an employee, uuid is that MitID Erhverv identity's own (danish-mitid-erhverv).
        "mitid_uuid": None if business else claims.get("uuid"),
        "cpr": claims.get("cprNumberIdentifier"),
        "cvr": claims.get("cvrNumberIdentifier") if business else None,
        "org_name": claims.get("2.5.4.10") if business else None,
        "professional_id": claims.get("uuid") if business else None,
        "age": claims.get("age"),
        "birthdate": claims.get("birthdate"),
    }


def refusal(client_name: str, idp: str | None, loa: str | None) -> str | None:
    """Why a login must be refused: "unknown_idp", "low_assurance", or None when it may go on."""
    if idp not in ALLOWED_IDPS[client_name]:
        return "unknown_idp"  # never a silent default to private MitID
    if loa not in LEVELS or LEVELS.index(loa) < LEVELS.index(_setting(client_name, "MIN_LOA")):
        return "low_assurance"
    return None
