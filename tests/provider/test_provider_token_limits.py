"""The token endpoint's rate limit fits a sister system's back end (found by make bench).

All of KirPACS's users reach our token endpoint from KirPACS's server: one address. A limit
per address sized for a person would stop the system's logins at the morning's rate.
"""

import pytest


def _token_requests(client, count: int) -> list[int]:
    return [client.post("/oidc/token", data={"grant_type": "authorization_code", "code": "x"},
                        environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code
            for _ in range(count)]


@pytest.mark.ratelimit
def test_a_sister_systems_back_end_is_not_capped_at_a_persons_rate(client):
    answers = _token_requests(client, 300)  # five a second for a minute, at once
    assert 429 not in answers and set(answers) == {401}  # refused for what they are


@pytest.mark.ratelimit
def test_the_token_endpoint_still_has_a_limit(app, client):
    app.config["OP_TOKEN_RATE_LIMIT"] = "5 per minute"
    answers = _token_requests(client, 6)
    assert answers[:5] == [401] * 5 and answers[5] == 429
