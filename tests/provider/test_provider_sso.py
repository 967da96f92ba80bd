"""Single sign-on for the sister systems, driven by pyoidc (not authlib) as the client."""

from tests.helpers.sister import SisterSystem, give_consent, query_of, register
from tests.helpers.staff import login_as


def test_a_logged_in_person_comes_back_with_a_code_and_the_tokens_say_who_and_where(
        app, client, live_server):
    client_id, secret = register(app)
    give_consent(app, "jho")
    sister = SisterSystem(live_server.url, client_id, secret)
    login_as(client, "jonas.holm", function="secretary")
    answer = client.get(sister.authorization_path())
    assert answer.status_code == 302
    response = sister.read_redirect(answer.location)
    assert query_of(answer.location)["iss"] == live_server.url  # RFC 9207
    tokens = sister.exchange(response["code"])
    id_token = tokens["id_token"]
    assert id_token["iss"] == live_server.url and id_token["aud"] == [client_id]
    assert id_token["acr"] == "mitid-substantial" and id_token["amr"] == ["mitid"]
    assert id_token["sid"] and id_token["auth_time"]
    info = sister.userinfo()
    assert info["sub"] == id_token["sub"] and info["name"] == "Jonas Holm"
    assert info["clinic"]["name"] == "Rygcenter Aarhus" and info["function"] == "sekretær"
