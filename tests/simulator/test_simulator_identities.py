"""Identities: MitID Erhverv logins, ages, CPR dates of birth and identities made on the fly."""

from datetime import date

import pytest

from app.simulator import add_identity, subject_for
from app.simulator.identities import IdentityError, birth_date_from_cpr, build_identity

METTE_CHOICES = [
    "Privat",
    "Kiropraktisk Klinik Vejle (CVR 10000001)",
    "Rygcenter Aarhus (CVR 10000002)",
]


def test_mette_chooses_how_to_log_in(rp):
    page = rp.submit(rp.authorize(), "/authorize/login", user_id="mette.kjaer")
    assert page.status_code == 200
    assert "Vælg hvordan du vil logge ind" in page.text
    for choice in METTE_CHOICES:
        assert choice in page.text


def test_mette_professional_login_gives_nemlogin_claims(rp):
    tokens = rp.tokens("mette.kjaer", login_as="10000002", scope="openid mitid nemlogin")
    id_claims = rp.decode_id_token(tokens["id_token"]).claims
    userinfo = rp.userinfo(tokens["access_token"]).json()
    assert id_claims["idp"] == "mitid_erhverv"
    assert id_claims["identity_type"] == "professional"
    assert userinfo["nemlogin.cvr"] == "10000002"
    assert userinfo["nemlogin.org_name"] == "Rygcenter Aarhus"
    assert userinfo["identity_type"] == "professional"
    assert len(userinfo["nemlogin.persistent_professional_id"]) == 36


def test_mette_has_a_sub_of_her_own_for_private_and_each_professional_identity(rp):
    """Like the brokers: each MitID Erhverv identity is an identity of its own (own `sub`)."""
    vejle = rp.tokens("mette.kjaer", login_as="10000001")
    # prompt=login: a new login in the same browser, not the session of the first one.
    aarhus = rp.tokens("mette.kjaer", login_as="10000002", prompt="login")
    private = rp.tokens("mette.kjaer", login_as="private", prompt="login")
    professional_claims = rp.userinfo(vejle["access_token"]).json()
    aarhus_claims = rp.userinfo(aarhus["access_token"]).json()
    private_claims = rp.userinfo(private["access_token"]).json()
    assert len({professional_claims["sub"], aarhus_claims["sub"], private_claims["sub"]}) == 3
    assert private_claims["sub"] == subject_for("mette.kjaer")
    assert aarhus_claims["sub"] == subject_for("mette.kjaer", "10000002")
    assert private_claims["idp"] == "mitid"
    assert "nemlogin.cvr" not in private_claims


def test_professional_ids_differ_per_organisation(rp):
    vejle = rp.userinfo(rp.tokens("mette.kjaer", login_as="10000001")["access_token"]).json()
    aarhus = rp.userinfo(rp.tokens("mette.kjaer", login_as="10000002",
                                   prompt="login")["access_token"]).json()
    assert (
        vejle["nemlogin.persistent_professional_id"]
        != aarhus["nemlogin.persistent_professional_id"]
    )


def test_choosing_an_organisation_she_is_not_in_is_refused(rp):
    page = rp.submit(rp.authorize(), "/authorize/login", user_id="mette.kjaer")
    refused = rp.submit(page, "/authorize/choose", login_as="99999999")
    assert refused.status_code == 422
    assert "Vælg en af mulighederne." in refused.text


@pytest.mark.parametrize(("today", "age"), [("2026-09-30", "15"), ("2026-09-29", "14")])
def test_lukas_turns_15_on_2026_09_30(serve, rp_for, today, age):
    _, server = serve({"SIMULATOR_TODAY": today})
    rp = rp_for(server)
    claims = rp.userinfo(rp.tokens("lukas.nielsen")["access_token"]).json()
    assert claims["mitid.date_of_birth"] == "2011-09-30"
    assert claims["mitid.age"] == age


def test_today_may_be_a_callable(serve, rp_for):
    _, server = serve({"SIMULATOR_TODAY": lambda: date(2030, 1, 1)})
    rp = rp_for(server)
    claims = rp.userinfo(rp.tokens("lukas.nielsen")["access_token"]).json()
    assert claims["mitid.age"] == "18"


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("180572-1231", date(1972, 5, 18)),
        ("300911-4217", date(2011, 9, 30)),
        ("010140-4000", date(1940, 1, 1)),
        ("010136-9000", date(2036, 1, 1)),
        ("010157-5000", date(2057, 1, 1)),
        ("010158-8000", date(1858, 1, 1)),
        ("0101701234", date(1970, 1, 1)),
    ],
)
def test_birth_date_uses_the_cpr_century_rule(cpr, born):
    assert birth_date_from_cpr(cpr) == born


@pytest.mark.parametrize("cpr", ["310299-1234", "12345", "abcdef-ghij", ""])
def test_malformed_cpr_is_refused(cpr):
    with pytest.raises(IdentityError):
        build_identity("someone", "Some One", cpr)


def test_dev_endpoint_creates_a_usable_identity(rp):
    fields = {"mitid_user_id": "ny.bruger", "name": "Ny Bruger", "cpr": "010190-1234"}
    created = rp.post("/dev/identities", json=fields)
    assert created.status_code == 201
    assert created.json()["mitid.date_of_birth"] == "1990-01-01"
    claims = rp.userinfo(rp.tokens("ny.bruger")["access_token"]).json()
    assert claims["sub"] == created.json()["sub"]
    assert claims["mitid.identity_name"] == "Ny Bruger"


def test_dev_endpoint_refuses_duplicates_and_bad_input(rp):
    duplicate = {"mitid_user_id": "asger.torring", "name": "X", "cpr": "010190-1234"}
    assert rp.post("/dev/identities", json=duplicate).status_code == 409
    bad_cpr = {"mitid_user_id": "new.one", "name": "X", "cpr": "nope"}
    assert rp.post("/dev/identities", json=bad_cpr).status_code == 400
    bad_erhverv = {**bad_cpr, "cpr": "010190-1234", "erhverv": [{"cvr": "1", "org_name": "A"}]}
    assert rp.post("/dev/identities", json=bad_erhverv).status_code == 400
    assert rp.post("/dev/identities", data="not json").status_code == 400


def test_add_identity_helper_with_erhverv(simulator, rp):
    app, _ = simulator
    claims = add_identity(
        app,
        mitid_user_id="ejer.eksempel",
        name="Ejer Eksempel",
        cpr="0202025123",
        erhverv=[{"cvr": "10000003", "org_name": "Lægehuset Odense"}],
    )
    assert claims["mitid.date_of_birth"] == "2002-02-02"
    userinfo = rp.userinfo(rp.tokens("ejer.eksempel", login_as="10000003")["access_token"]).json()
    assert userinfo["nemlogin.org_name"] == "Lægehuset Odense"
    assert userinfo["sub"] == claims["erhverv"][0]["sub"] != claims["sub"]
