"""The per-address limit of the endpoints other servers call fits those servers (found by
make bench).

All of KirPACS's users reach our token endpoint from KirPACS's server, and a broker posts every
logout token from its own: one address each. A limit sized for a person would stop a sister
system's logins, or the broker's logouts, at the morning's rate.
"""

import pytest

SERVER_ENDPOINTS = ["/oidc/token", "/auth/mitid/backchannel-logout",
                    "/portal/mitid/backchannel-logout"]


def _posts(client, path: str, count: int) -> list[int]:
    return [client.post(path, data={"grant_type": "authorization_code", "code": "x",
                                    "logout_token": "x"},
                        environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code
            for _ in range(count)]


@pytest.mark.ratelimit
@pytest.mark.parametrize("path", SERVER_ENDPOINTS)
def test_a_servers_calls_are_not_capped_at_a_persons_rate(client, path):
    answers = _posts(client, path, 300)  # five a second for a minute, at once
    assert 429 not in answers and set(answers) <= {400, 401}  # refused for what they are


@pytest.mark.ratelimit
@pytest.mark.parametrize("path", SERVER_ENDPOINTS)
def test_those_endpoints_still_have_a_limit(app, client, path):
    app.config["SERVER_RATE_LIMIT"] = "5 per minute"
    answers = _posts(client, path, 6)
    assert 429 not in answers[:5] and answers[5] == 429
