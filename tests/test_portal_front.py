"""The portal's front page, help, the CPR field and the clinic without online self-registration."""

import re

import pytest
from sqlmodel import select

from app.models import PortalUser
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.portal import CPR, PASSWORD, register, registration_data

FRONT_LABELS = ("Log ind med MitID", ">Log ind<", "Log ind med sikkerhedskode", "CPR-nummer",
                "Skjul CPR-nummer", "Adgangskode", 'value="Log ind"', "Glemt adgangskode?",
                "Opret bruger", "Opret ny bruger", "Opret bruger under 15 år", "Hjælp")


@pytest.mark.parametrize(("key", "name"), [("vejle", "Kiropraktisk Klinik Vejle"),
                                           ("aarhus", "Rygcenter Aarhus"),
                                           ("odense", "Lægehuset Odense")])
def test_front_page_shows_the_clinic_and_the_seeds_sections(client, key, name):
    answer = client.get(f"/portal/{key}")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f"<h1>{name}</h1>" in body
    for label in FRONT_LABELS:
        assert label in body, label
    assert f'href="/portal/{key}/mitid"' in body and f'action="/portal/{key}/log-ind"' in body
    assert f'href="/portal/{key}/hjaelp"' in body and 'name="csrf_token"' in body


def test_unknown_clinic_is_not_found(client):
    assert client.get("/portal/nowhere").status_code == 404
    assert client.get("/portal/nowhere/opret").status_code == 404


def test_cpr_field_is_numeric_and_the_hide_box_hides_it_without_js(client):
    page = client.get("/portal/aarhus").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="cpr"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in field and 'type="text"' in field and "data-cpr" in field
    assert 'data-cpr-hide="cpr"' in page
    # Without JS the box cannot hide live: the re-rendered form hides the field.
    again = post_form(client, "/portal/aarhus/log-ind", {"cpr": "1503812346", "hide_cpr": "y",
                                                    "password": ""}, page="/portal/aarhus")
    field = re.search(r'<input[^>]*name="cpr"[^>]*>', again.get_data(as_text=True)).group(0)
    assert again.status_code == 422 and 'type="password"' in field
    assert 'value="150381-2346"' in field  # the server inserted the hyphen


def test_app_js_inserts_the_hyphen_and_switches_hidden_cpr_fields(client):
    with client.get("/static/js/app.js") as answer:
        script = answer.get_data(as_text=True)
    assert 'hasAttribute("data-cpr")' in script and 'hasAttribute("data-cpr-hide")' in script


def test_help_has_one_guide_logged_out_and_another_logged_in(client, outbox):
    logged_out = client.get("/portal/aarhus/hjaelp").get_data(as_text=True)
    assert "<h1>Hjælp til oprettelse og login</h1>" in logged_out
    assert "Glemt adgangskode?" in logged_out and "Opret bruger under 15 år" in logged_out
    register(client, "aarhus")
    logged_in = client.get("/portal/aarhus/hjaelp").get_data(as_text=True)
    assert "<h1>Hjælp til Patientportalen</h1>" in logged_in
    assert "Dine klinikker" in logged_in and "Hjælp til oprettelse og login" not in logged_in


@pytest.mark.parametrize("path", ["/portal/odense/opret", "/portal/odense/opret-barn"])
def test_no_online_self_registration_sends_patients_to_the_clinic(app, client, path):
    front = client.get("/portal/odense").get_data(as_text=True)
    assert "Kontakt klinikken for at blive oprettet" in front
    page = client.get(path).get_data(as_text=True)
    assert "Kontakt klinikken for at blive oprettet" in page and 'name="first_name"' not in page
    refused = post_form(client, path, registration_data(), page="/portal/odense")
    assert refused.status_code == 200 and "Kontakt klinikken" in refused.get_data(as_text=True)
    assert query_one(app, select(PortalUser)) == []


def test_register_step_is_a_full_page_or_a_fragment_for_htmx(client):
    full = client.get("/portal/aarhus/opret").get_data(as_text=True)
    fragment = client.get("/portal/aarhus/opret", headers={"HX-Request": "true"})
    assert "<html" in full and "<h1>Opret ny bruger</h1>" in full
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<h1>Opret ny bruger</h1>" in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    for label in ("CPR-nummer", "Skjul CPR-nummer", "Fornavn", "Efternavn", "E-mail",
                  "Bekræft e-mail", "Mobil", "Adgangskode", "Bekræft adgangskode",
                  'value="Opret bruger"'):
        assert label in full, label


def test_child_form_has_the_seeds_fields(client):
    page = client.get("/portal/vejle/opret-barn").get_data(as_text=True)
    for label in ("Barnets CPR-nummer", "Forælder/værge CPR-nummer", "Skjul CPR-numre", "Fornavn",
                  "Efternavn", "Bekræft e-mail", "Mobil", "Bekræft adgangskode"):
        assert label in page, label
    assert 'data-cpr-hide="child_cpr guardian_cpr"' in page


def test_login_with_wrong_password_keeps_the_cpr_and_explains(client, outbox):
    register(client, "aarhus")
    client.delete_cookie("session")
    answer = post_form(client, "/portal/aarhus/log-ind", {"cpr": CPR["sofie.nielsen"],
                                                     "password": PASSWORD + "x"},
                  page="/portal/aarhus", htmx=True)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "<html" not in body
    assert "Forkert CPR-nummer eller adgangskode." in body
    assert 'value="071198-3014"' in body and 'name="password"' in body
    assert PASSWORD not in body
