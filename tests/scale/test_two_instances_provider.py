"""The OpenID Provider behind two instances: signing keys, codes, refresh tokens and the
back-channel queue live where both see them (issue 19).

A code issued by one instance is redeemed at the other, the ID token verifies with the JWKS the
other publishes, refresh tokens rotate across them (and a reuse at either ends the chain), and a
Log ud at one queues the logout token that any instance's worker sends.
"""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import select

from app import consent
from app.core.db import get_session
from app.models import StaffUser
from app.provider import backchannel, clients
from tests.helpers.mitid import walk_simulator
from tests.helpers.servers import LogoutReceiver
from tests.helpers.sister import query_of
from tests.scale.walks import Alternating

pytestmark = pytest.mark.scale
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never called: the test reads the code
ISSUER = "http://127.0.0.1"  # the stack's OP_ISSUER: both instances are one provider


@pytest.fixture
def sister(two_instances):
    """A client registered once in the shared database, and hanne's consent."""
    receiver = LogoutReceiver()
    app = two_instances.app()
    client_id = "kirpacs-" + secrets.token_hex(3)
    with app.app_context():
        _row, secret = clients.add_client(clients.ClientSettings(
            name="KirPACS", client_id=client_id, redirect_uris=[REDIRECT_URI],
            scopes=["openid", "profile", "clinic", "offline_access"],
            backchannel_logout_uri=receiver.uri), actor="test")
        db = get_session()
        hanne = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == "hlu")).one()
        consent.set_consent(staff_user_id=hanne.id, given=True, method="test", actor="test")
        db.commit()
    yield app, client_id, secret, receiver
    receiver.server.shutdown()
    app.extensions["db_engine"].dispose()


def _authorize(browser: Alternating, client_id: str) -> tuple[str, str, str]:
    """An authorization request with PKCE; returns (code, verifier, nonce)."""
    verifier, nonce, state = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()) \
        .rstrip(b"=").decode()
    answer = browser.get("/oidc/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
        "scope": "openid profile clinic offline_access", "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256"}))
    assert answer.status_code == 302, (answer.status_code, answer.text[-500:])
    found = query_of(answer.headers["Location"])
    assert found["state"] == state and found["iss"] == ISSUER
    return found["code"], verifier, nonce


def test_sso_tokens_and_refresh_work_across_two_instances(two_instances, sister):
    app, client_id, secret, receiver = sister
    a, b = two_instances.urls
    browser = Alternating(two_instances.urls)
    start = browser.get("/auth/mitid/login")
    landed = browser.follow(browser.get(walk_simulator(start.headers["Location"], "hanne.lund")))
    assert landed.status_code == 200, landed.status_code

    code, verifier, nonce = _authorize(browser, client_id)  # issued by one instance ...
    issuer_at = browser.log[-1][0]
    other = b if issuer_at == a else a
    tokens = requests.post(other + "/oidc/token", auth=(client_id, secret), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier})  # ... redeemed at the other
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    keyset = KeySet.import_key_set(requests.get(issuer_at + "/oidc/jwks", timeout=30).json())
    claims = jwt.decode(tokens["id_token"], keyset).claims
    assert claims["iss"] == ISSUER and claims["aud"] == client_id and claims["nonce"] == nonce
    info = requests.get(issuer_at + "/oidc/userinfo", timeout=30,
                        headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert info.status_code == 200 and info.json()["name"] == "Hanne Lund"
    assert info.json()["clinic"]["name"] == "Rygcenter Aarhus"

    def refresh(url, token):
        return requests.post(url + "/oidc/token", auth=(client_id, secret), timeout=30,
                             data={"grant_type": "refresh_token", "refresh_token": token})

    first = tokens["refresh_token"]
    second = refresh(a, first)
    assert second.status_code == 200, second.text
    third = refresh(b, second.json()["refresh_token"])
    assert third.status_code == 200, third.text
    assert refresh(a, first).json()["error"] == "invalid_grant"  # a reuse, at the other one
    assert refresh(b, third.json()["refresh_token"]).json()["error"] == "invalid_grant"

    # A second login of this session for the system, then Log ud at one instance: the queue
    # row is in the database, and a worker beside either instance sends the logout token.
    _authorize(browser, client_id)
    logout = browser.post_form("/logout", {}, page="/")
    assert logout.status_code in (200, 303), logout.status_code
    with app.app_context():
        assert backchannel.deliver_due()["delivered"] == 1
    logout_claims = jwt.decode(receiver.tokens[0], keyset).claims
    assert logout_claims["sid"] == claims["sid"] and logout_claims["aud"] == client_id
