"""The operator registers sister systems in the web UI: add, secret once, rotate, disable."""

from sqlmodel import select

from app.models import AuditEvent, OIDCClient
from app.provider import clients
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.staff import login_as

FORM = {"name": "KirCACS", "client_id": "kircacs",
        "redirect_uris": "https://kircacs.example/callback\r\nhttps://kircacs.example/cb2",
        "post_logout_redirect_uris": "https://kircacs.example/ud",
        "backchannel_logout_uri": "https://kircacs.example/backchannel",
        "scopes": "openid profile clinic", "auth_method": "client_secret_post",
        "required_acr": "mitid-substantial", "login_url": "",
        "access_token_seconds": "300", "refresh_token_seconds": "28800"}


def _secret(page: str) -> str:
    return page.split("<dt>Client secret</dt><dd><code>")[1].split("</code>")[0]


def test_only_the_operator_reaches_the_register(client):
    login_as(client, "hanne.lund")  # a clinic administrator, not the operator
    assert client.get("/operator/klienter").status_code == 403


def test_the_operator_adds_a_client_and_sees_its_secret_once(app, client):
    login_as(client, "lars.drift")
    assert "Ingen systemer er registreret" in client.get("/operator/klienter").get_data(True)
    answer = post_form(client, "/operator/klienter/ny", FORM)
    assert answer.status_code == 200
    secret = _secret(answer.get_data(as_text=True))
    [row] = query_one(app, select(OIDCClient))
    assert row.client_id == "kircacs" and row.required_acr == "mitid-substantial"
    assert clients.uris(row, "redirect_uris") == ["https://kircacs.example/callback",
                                                  "https://kircacs.example/cb2"]
    listing = client.get("/operator/klienter").get_data(as_text=True)
    assert "kircacs" in listing and secret not in listing
    [event] = query_one(app, select(AuditEvent).where(AuditEvent.action == "oidc_client_added"))
    assert event.actor.startswith("operator:")


def test_a_bad_uri_is_explained_next_to_its_field_and_nothing_typed_is_lost(app, client):
    login_as(client, "lars.drift")
    bad = {**FORM, "redirect_uris": "https://kircacs.example/callback\r\nhttp://evil.example/cb"}
    answer = post_form(client, "/operator/klienter/ny", bad)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="redirect_uris-error"' in page and "Kun https" in page
    assert "http://evil.example/cb" in page and 'value="KirCACS"' in page
    assert query_one(app, select(OIDCClient)) == []


def test_rotating_and_disabling_from_the_list(app, client):
    login_as(client, "lars.drift")
    first = _secret(post_form(client, "/operator/klienter/ny", FORM).get_data(as_text=True))
    answer = post_form(client, "/operator/klienter/kircacs/ny-hemmelighed", {},
                       page="/operator/klienter")
    second = _secret(answer.get_data(as_text=True))
    assert first != second
    answer = post_form(client, "/operator/klienter/kircacs/deaktiver", {},
                       page="/operator/klienter")
    assert answer.status_code == 303
    [row] = query_one(app, select(OIDCClient))
    assert row.disabled_at is not None and clients.check_secret(row, second)
    assert "Deaktiveret" in client.get("/operator/klienter").get_data(as_text=True)


def test_the_buttons_need_the_csrf_token(client):
    login_as(client, "lars.drift")
    post_form(client, "/operator/klienter/ny", FORM)
    assert client.post("/operator/klienter/kircacs/deaktiver").status_code == 400


def test_the_operator_registers_a_private_key_jwt_client_without_a_secret(app, client):
    login_as(client, "lars.drift")
    form = {**FORM, "auth_method": "private_key_jwt",
            "jwks_uri": "https://kircacs.example/jwks.json"}
    answer = post_form(client, "/operator/klienter/ny", form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Client secret" not in page
    assert "https://kircacs.example/jwks.json" in page
    [row] = query_one(app, select(OIDCClient))
    assert row.auth_method == "private_key_jwt" and row.secret_hash is None
    assert "Ny hemmelighed" not in client.get("/operator/klienter").get_data(as_text=True)


def test_private_key_jwt_without_a_jwks_uri_is_explained_next_to_its_field(app, client):
    login_as(client, "lars.drift")
    answer = post_form(client, "/operator/klienter/ny", {**FORM, "auth_method": "private_key_jwt"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="jwks_uri-error"' in page
    assert "private_key_jwt kræver systemets JWKS-adresse" in page
    assert query_one(app, select(OIDCClient)) == []
