"""Consent decides (issue 19): a sister system gets the profile only while a consent stands
that was given to a version of the text naming that system; which versions name a system is on
its registration (data, not code)."""

import pytest
from sqlmodel import select

from app.core.clock import utcnow
from app.core.db import get_session
from app.models import ConsentRecord, OIDCClient
from app.provider.cli import oidc_client
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.sister import SisterSystem, give_consent, query_of, register
from tests.helpers.staff import login_as, user_by_id


def _decline_link(page: str) -> str:
    return page.split('href="')[-1].split('"')[0].replace("&amp;", "&")


def test_without_any_consent_the_page_asks_for_it_and_continues(app, client, live_server):
    client_id, secret = register(app)
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "KIRPACS kræver dit samtykke" in page
    assert "KirPACS.dk" in page  # the systems the text names
    again = post_form(client, "/oidc/authorize/samtykke", {}, page="/profile/")
    assert "code" in query_of(client.get(again.location).location)
    [record] = query_one(app, select(ConsentRecord))
    assert (record.action, record.text_version, record.method) == ("given", "2024-1", "sso_prompt")


def test_a_system_no_text_names_gets_no_profile_whatever_was_consented(app, client, live_server):
    client_id, secret = register(app, client_id="nysystem", consent_versions=[])
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "Dit samtykke omfatter ikke NYSYSTEM" in page
    assert "Giv samtykke" not in page  # no consent the person could give covers it
    assert query_of(client.get(_decline_link(page)).location)["error"] == "access_denied"


def test_a_consent_to_an_older_text_is_asked_again(app, client, live_server):
    client_id, secret = register(app)
    with app.app_context():
        db = get_session()
        db.add(ConsentRecord(staff_user_id=user_by_id(app, "jho").id, purpose="profile_sharing",
                             action="given", text_version="2023-1", text_hash="0" * 64,
                             method="test", created_at=utcnow()))
        db.commit()
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path())
    assert answer.status_code == 403 and "kræver dit samtykke" in answer.get_data(as_text=True)
    again = post_form(client, "/oidc/authorize/samtykke", {}, page="/profile/")
    assert "code" in query_of(client.get(again.location).location)
    versions = [r.text_version for r in query_one(app, select(ConsentRecord).order_by(
        ConsentRecord.id))]
    assert versions == ["2023-1", "2024-1"]  # appended, never changed


def test_the_cli_stores_the_versions_and_refuses_an_unknown_one(app):
    runner = app.test_cli_runner()
    base = ["add", "--name", "KirCACS", "--client-id", "kircacs",
            "--redirect-uri", "https://kircacs.example/cb"]
    assert runner.invoke(oidc_client, base).exit_code == 0
    bad = runner.invoke(oidc_client, [*base[:4], "kircacs2", *base[5:],
                                      "--consent-version", "2099-9"])
    assert bad.exit_code != 0 and "Kun kendte versioner" in bad.output
    [row] = query_one(app, select(OIDCClient))
    assert row.consent_versions == "2024-1"


@pytest.mark.parametrize("value, status", [("2024-1", 200), ("2099-9", 422)])
def test_the_operator_form_takes_the_versions(app, value, status):
    operator = login_as(app.test_client(), "lars.drift")
    answer = post_form(operator, "/operator/klienter/ny", {
        "name": "KirCACS", "client_id": "kircacs", "redirect_uris": "https://kircacs.example/cb",
        "scopes": "openid profile clinic", "auth_method": "client_secret_basic",
        "required_acr": "", "access_token_seconds": "300", "refresh_token_seconds": "28800",
        "consent_versions": value}, page="/operator/klienter/ny")
    assert answer.status_code == status
    if status == 422:
        assert "Kun kendte versioner af samtykketeksten" in answer.get_data(as_text=True)
        assert query_one(app, select(OIDCClient)) == []
    else:
        assert query_one(app, select(OIDCClient))[0].consent_versions == "2024-1"
