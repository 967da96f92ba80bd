"""Broker profiles of the simulator: each client's claim names, request parameters, level, keys."""

import json

import pytest

from app.simulator.config import default_clients

NSIS = "https://data.gov.dk/concept/core/nsis/"
IDURA = "urn:grn:authn:dk:mitid:"


@pytest.fixture
def rp_as(serve, rp_for):
    """A staff relying party at a simulator whose clients answer in the given profile."""
    def make(profile: str, **config):
        clients = [{**client, "profile": profile} for client in default_clients()]
        _app, server = serve({"SIMULATOR_CLIENTS": clients, **config})
        return rp_for(server)
    return make


def _sg_params(idp_values="mitid mitid_erhverv", loa="substantial"):
    return {"idp_values": idp_values,
            "idp_params": json.dumps({"mitid": {"loa_value": loa}})}


def test_signaturgruppen_answers_the_level_asked_for_as_an_nsis_uri(rp_as):
    rp = rp_as("signaturgruppen")
    claims = rp.decode_id_token(rp.tokens("asger.torring", **_sg_params(loa="high"))["id_token"])
    assert {name: claims.claims[name] for name in ("idp", "loa", "ial", "aal")} == {
        "idp": "mitid", "loa": NSIS + "High", "ial": NSIS + "High", "aal": NSIS + "High"}


def test_signaturgruppen_names_an_erhverv_login_in_nemlogin_claims(rp_as):
    rp = rp_as("signaturgruppen")
    tokens = rp.tokens("mette.kjaer", login_as="10000002", scope="openid mitid nemlogin",
                       **_sg_params(loa="high"))
    claims = rp.decode_id_token(tokens["id_token"]).claims
    userinfo = rp.userinfo(tokens["access_token"]).json()
    assert (claims["idp"], claims["loa"]) == ("mitid_erhverv", NSIS + "Substantial")  # at most
    assert userinfo["nemlogin.name"] == "Mette Kjær"
    assert (userinfo["nemlogin.given_name"], userinfo["nemlogin.family_name"]) == ("Mette", "Kjær")
    assert "mitid.identity_name" not in userinfo


def test_idp_values_mitid_alone_skips_the_erhverv_choice(rp_as):
    rp = rp_as("signaturgruppen")
    page = rp.submit(rp.authorize(**_sg_params(idp_values="mitid")), "/authorize/login",
                     user_id="mette.kjaer")
    assert 'name="login_as"' not in page.text and "Godkend login" in page.text


def test_idp_values_mitid_erhverv_alone_offers_no_private_login(rp_as):
    rp = rp_as("signaturgruppen")
    page = rp.submit(rp.authorize(**_sg_params(idp_values="mitid_erhverv")), "/authorize/login",
                     user_id="mette.kjaer")
    assert 'value="private"' not in page.text and 'value="10000002"' in page.text
    refused = rp.submit(page, "/authorize/choose", login_as="private")
    assert refused.status_code == 422


@pytest.mark.parametrize("params", [
    {"idp_values": "nemid"},
    {"idp_params": "not json"},
    {"idp_params": json.dumps({"mitid": {"loa_value": NSIS + "Substantial"}})},
])
def test_signaturgruppen_refuses_parameters_it_does_not_know(rp_as, params):
    rp = rp_as("signaturgruppen")
    answer = rp.authorize(**params)
    assert answer.status_code == 302
    assert rp.callback(answer)["error"] == "invalid_request"


def test_idura_answers_in_its_own_claim_names_with_acr(rp_as):
    rp = rp_as("idura")
    tokens = rp.tokens("asger.torring", acr_values=IDURA + "high")
    claims = rp.decode_id_token(tokens["id_token"]).claims
    assert (claims["identityscheme"], claims["acr"], claims["name"]) == (
        "dkmitid", IDURA + "high", "Asger Tørring")
    assert "idp" not in claims and "loa" not in claims
    userinfo = rp.userinfo(tokens["access_token"]).json()
    assert len(userinfo["cprNumberIdentifier"]) == 10 and "dk.cpr" not in userinfo


def test_idura_business_login_carries_the_organisation(rp_as):
    rp = rp_as("idura")
    tokens = rp.tokens("mette.kjaer", login_as="10000002",
                       acr_values=f"{IDURA}substantial {IDURA}business")
    claims = rp.decode_id_token(tokens["id_token"]).claims
    assert (claims["acr"], claims["employee"], claims["cvrNumberIdentifier"],
            claims["2.5.4.10"]) == (IDURA + "business", "true", "10000002", "Rygcenter Aarhus")


def test_idura_without_business_skips_the_erhverv_choice(rp_as):
    rp = rp_as("idura")
    page = rp.submit(rp.authorize(acr_values=IDURA + "substantial"), "/authorize/login",
                     user_id="mette.kjaer")
    assert 'name="login_as"' not in page.text


def test_dev_assurance_makes_every_login_answer_at_that_level(rp):
    assert rp.post("/dev/assurance", json={"loa": "low"}).json() == {"loa": "low"}
    assert rp.get("/dev/assurance").json() == {"loa": "low"}
    claims = rp.decode_id_token(rp.tokens("asger.torring")["id_token"]).claims
    assert claims["loa"] == NSIS + "Low"
    assert rp.post("/dev/assurance", json={"loa": "Low"}).status_code == 400
    assert rp.post("/dev/assurance", json={"loa": None}).json() == {"loa": None}


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_the_signing_algorithm_is_selectable_and_published(rp_as, alg):
    rp = rp_as("signaturgruppen", SIMULATOR_SIGNING_ALG=alg)
    metadata = rp.get("/.well-known/openid-configuration").json()
    assert metadata["id_token_signing_alg_values_supported"] == [alg]
    [key] = rp.get("/jwks").json()["keys"]
    assert (key["alg"], key["kty"]) == (alg, "EC" if alg == "ES256" else "RSA")
    token = rp.decode_id_token(rp.tokens("asger.torring")["id_token"])
    assert token.header["alg"] == alg

