"""Sessions end everywhere: back-channel logout tokens to the sister systems, queued and retried."""

from datetime import timedelta

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import select

from app.blueprints.auth import policy
from app.models import AuditEvent, LoginSession, MitIDLink, OPLogoutDelivery
from app.provider import backchannel
from tests.helpers.db import query_one
from tests.helpers.http import post_form
from tests.helpers.sister import SisterSystem, give_consent, register
from tests.helpers.staff import login_as


@pytest.fixture
def kirpacs(app, live_server, receiver):
    client_id, secret = register(app, backchannel_logout_uri=receiver.uri)
    give_consent(app, "jho")
    return SisterSystem(live_server.url, client_id, secret)


def _sign_in_at(client, sister):
    answer = client.get(sister.authorization_path())
    return sister.exchange(sister.read_redirect(answer.location)["code"])


def _deliver(app):
    with app.app_context():
        return backchannel.deliver_due()


def _claims(live_server, token):
    jwks = KeySet.import_key_set(requests.get(live_server.url + "/oidc/jwks", timeout=5).json())
    decoded = jwt.decode(token, jwks)
    return decoded.header, decoded.claims


def test_log_ud_sends_a_logout_token_that_follows_the_spec(app, client, kirpacs, receiver,
                                                          live_server):
    login_as(client, "jonas.holm", function="secretary")
    tokens = _sign_in_at(client, kirpacs)
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app) == {"delivered": 1, "failed": 0}
    header, claims = _claims(live_server, receiver.tokens[0])
    assert header["typ"] == "logout+jwt"
    assert claims["iss"] == live_server.url and claims["aud"] == "kirpacs"
    assert claims["sid"] == tokens["id_token"]["sid"] and claims["sub"] == tokens["id_token"]["sub"]
    assert claims["events"] == {backchannel.EVENT: {}} and "nonce" not in claims
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert _deliver(app) == {"delivered": 0, "failed": 0}  # sent once
    [event] = query_one(app, select(AuditEvent).where(
        AuditEvent.action == "op_backchannel_delivered"))
    assert event.target_id == "kirpacs"


def test_a_system_that_never_got_a_token_of_the_session_is_not_told(app, client, kirpacs,
                                                                    receiver):
    login_as(client, "jonas.holm", function="secretary")
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app) == {"delivered": 0, "failed": 0} and receiver.tokens == []


def test_a_client_that_is_down_gets_it_later_and_the_operator_sees_it(app, client, kirpacs,
                                                                      receiver, request):
    login_as(client, "jonas.holm", function="secretary")
    _sign_in_at(client, kirpacs)
    clock = request.getfixturevalue("clock")  # frozen only now: pyoidc checks real time
    receiver.down = True
    post_form(client, "/logout", {}, page="/")
    assert _deliver(app)["failed"] == 1
    assert _deliver(app)["failed"] == 0  # not due yet: it waits before the next try
    for _ in range(2):
        clock.now += timedelta(hours=4)
        _deliver(app)
    with app.app_context():
        assert backchannel.failing_clients() == {"kirpacs": 1}
    operator = login_as(app.test_client(), "lars.drift")
    assert "Back-channel logout fejler: 1 venter" in operator.get("/operator/klienter").get_data(
        as_text=True)
    receiver.down = False
    clock.now += timedelta(hours=4)
    assert _deliver(app)["delivered"] == 1 and len(receiver.tokens) == 1
    [row] = query_one(app, select(OPLogoutDelivery))
    assert row.attempts == 4 and row.delivered_at is not None


def test_the_fallback_switched_off_logs_its_sessions_out_of_the_sister_systems(
        app, client, kirpacs, receiver):
    with app.app_context():
        policy.switch_fallback(on=True, reason="MitID nede", actor="test")
    post_form(client, "/login/password", {"user_id": "jho", "password": "Sekretaer2024"},
              page="/login")
    post_form(client, "/select/function", {"function": "secretary"})
    _sign_in_at(client, kirpacs)
    with app.app_context():
        policy.switch_fallback(on=False, reason="MitID kører igen", actor="test")
    assert _deliver(app)["delivered"] == 1


def test_ending_another_session_tells_the_systems_of_that_session(app, client, kirpacs, receiver):
    other = app.test_client()
    login_as(other, "jonas.holm", function="secretary")
    _sign_in_at(other, kirpacs)
    login_as(client, "jonas.holm", function="secretary")
    page = client.get("/profile/sessions").get_data(as_text=True)
    action = next(part.split('"')[0] for part in page.split('action="')[1:]
                  if part.startswith("/profile/sessions/"))
    post_form(client, action, {}, page="/profile/sessions")
    assert _deliver(app)["delivered"] == 1


def _refresh(live_server, sister, refresh_token):
    return requests.post(live_server.url + "/oidc/token", timeout=5,
                         auth=(sister.rp.client_id, sister.rp.client_secret),
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_offboarding_logs_the_person_out_of_the_sister_systems(app, client, receiver,
                                                               live_server):
    """Hanne (administrator in Aarhus) ends Jonas' membership: KirPACS hears of it at once, and
    its refresh token stops."""
    from app.blueprints.memberships.services import end_memberships
    from tests.helpers.staff import CLINIC_IDS, user_by_id

    client_id, secret = register(app, backchannel_logout_uri=receiver.uri,
                                 scopes=("openid", "profile", "offline_access"))
    give_consent(app, "jho")
    kirpacs = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(kirpacs.authorization_path(scope="openid profile offline_access"))
    tokens = kirpacs.exchange(kirpacs.read_redirect(answer.location)["code"])
    with app.app_context():
        end_memberships(clinic_id=CLINIC_IDS["aarhus"], staff_user=user_by_id(app, "jho"),
                        actor_id=user_by_id(app, "hlu").id)
    assert _deliver(app)["delivered"] == 1
    assert _refresh(live_server, kirpacs, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_broker_ending_the_mitid_session_logs_out_of_the_sister_systems(
        app, client, kirpacs, receiver, simulator):
    """The MitID broker's back-channel logout ends the session here, and so in KirPACS too."""
    from tests.helpers.staff import login_with_mitid
    from tests.test_broker_backchannel import STAFF_ENDPOINT, logout_token

    give_consent(app, "hlu")
    assert login_with_mitid(client, "hanne.lund").location == "/"
    _sign_in_at(client, kirpacs)
    [row] = query_one(app, select(LoginSession))
    token = logout_token(simulator, sub=row.broker_sub, sid=row.broker_sid)
    assert client.post(STAFF_ENDPOINT, data={"logout_token": token}).status_code == 200
    assert _deliver(app)["delivered"] == 1


def test_removing_a_mitid_identity_logs_its_sessions_out_of_the_sister_systems(
        app, client, kirpacs, receiver):
    """Mette removes her Aarhus MitID Erhverv identity in Min profil from another session."""
    from tests.helpers.staff import link_erhverv, login_with_mitid

    give_consent(app, "mkj")
    erhverv = app.test_client()
    assert link_erhverv(erhverv, "mette.kjaer", "10000002").location == "/select/clinic"
    post_form(erhverv, "/select/clinic", {"clinic_id": 2})
    _sign_in_at(erhverv, kirpacs)
    assert login_with_mitid(client, "mette.kjaer", login_as="private").location == "/select/clinic"
    [aarhus] = query_one(app, select(MitIDLink).where(MitIDLink.cvr == "10000002"))
    url = f"/profile/mitid/{aarhus.id}/remove"
    assert post_form(client, url, {}, page=url).status_code in (302, 303)
    assert erhverv.get("/").location.startswith("/login")  # that session ended here
    assert _deliver(app)["delivered"] == 1
