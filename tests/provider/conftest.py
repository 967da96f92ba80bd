"""The provider's tests: its issuer is the live server, which pyoidc talks to over HTTP."""

import pytest

from tests.conftest import LIVE_PORT
from tests.helpers.servers import LogoutReceiver


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OP_ISSUER": f"http://127.0.0.1:{LIVE_PORT}"}


@pytest.fixture
def receiver():
    """A sister system's back-channel logout endpoint (tests.helpers.servers.LogoutReceiver)."""
    found = LogoutReceiver()
    yield found
    found.server.shutdown()
