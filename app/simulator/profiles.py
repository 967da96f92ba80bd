"""What a login request asks the simulator for, in the words of each real broker.

signaturgruppen: idp_values (space separated: mitid, mitid_erhverv) and idp_params JSON
{"mitid": {"loa_value": "low|substantial|high"}}, default substantial
(https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid.html,
.../idps/identity-providers.html); a MitID Erhverv login is at most substantial there
(.../idps/mitid-erhverv.html).
idura: acr_values urn:grn:authn:dk:mitid:low|substantial|high and, for MitID Erhverv,
urn:grn:authn:dk:mitid:business (https://docs.idura.app/verify/e-ids/danish-mitid,
https://docs.idura.app/verify/e-ids/danish-mitid-erhverv).
"""

import json
from dataclasses import dataclass

from .store import LEVELS

PRIVATE, ERHVERV = "private", "erhverv"
IDURA_ACR = "urn:grn:authn:dk:mitid:"
_SIGNATURGRUPPEN_IDPS = {"mitid": PRIVATE, "mitid_erhverv": ERHVERV}


class RequestError(ValueError):
    """The request's profile parameters cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Asked:
    """Which kinds of login (private, erhverv) the request allows, and at which NSIS level."""

    kinds: frozenset[str]
    loa: str

    def level_for(self, erhverv: bool, profile: str) -> str:
        """The level a login of this kind reaches."""
        if erhverv and profile == "signaturgruppen" and self.loa == "high":
            return "substantial"  # "cannot issue higher than Substantial" for MitID Erhverv
        return self.loa


def asked(profile: str, params: dict) -> Asked:
    """Read the authorization request's profile parameters, or raise RequestError."""
    if profile == "idura":
        return _idura(params.get("acr_values") or "")
    return _signaturgruppen(params.get("idp_values"), params.get("idp_params"))


def _signaturgruppen(idp_values: str | None, idp_params: str | None) -> Asked:
    names = (idp_values or "mitid mitid_erhverv").split()
    unknown = [name for name in names if name not in _SIGNATURGRUPPEN_IDPS]
    if unknown or not names:
        raise RequestError(f"Unsupported idp_values: {' '.join(unknown) or '(none)'}.")
    loa = "substantial"
    if idp_params:
        try:
            mitid = json.loads(idp_params).get("mitid", {})
        except (ValueError, AttributeError):
            raise RequestError("idp_params must be a JSON object.") from None
        loa = mitid.get("loa_value", loa) if isinstance(mitid, dict) else None
        if loa not in LEVELS:
            raise RequestError("idp_params mitid.loa_value must be low, substantial or high.")
    return Asked(frozenset(_SIGNATURGRUPPEN_IDPS[name] for name in names), loa)


def _idura(acr_values: str) -> Asked:
    values = acr_values.split()
    levels = [v.removeprefix(IDURA_ACR) for v in values if v.removeprefix(IDURA_ACR) in LEVELS]
    kinds = {PRIVATE} if levels or not values else set()
    if IDURA_ACR + "business" in values:
        kinds.add(ERHVERV)
    if not kinds:
        raise RequestError(f"Unsupported acr_values: {acr_values}.")
    return Asked(frozenset(kinds), levels[0] if levels else "substantial")
