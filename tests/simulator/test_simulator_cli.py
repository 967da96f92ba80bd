"""`python -m app.simulator add-identity`: creates a test identity in a running simulator."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from app.simulator import create_simulator_app, serve_simulator
from app.simulator.store import get_state
from tests.helpers.mitid import walk_simulator

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "app.simulator", "add-identity", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture
def running():
    sim = create_simulator_app()
    server = serve_simulator(sim)
    yield sim, server
    server.shutdown()


def test_cli_creates_an_identity_that_can_log_in(running):
    sim, server = running
    done = run_cli("--user-id", "cli.person", "--name", "Cli Person", "--cpr", "010190-1234",
                   "--erhverv", "12345678:Klinik Vest", "--simulator-url", server.url)
    assert done.returncode == 0, done.stderr
    claims = json.loads(done.stdout)
    assert claims["mitid_user_id"] == "cli.person"
    assert claims["erhverv"][0]["cvr"] == "12345678"
    identity = get_state(sim).identity("cli.person")
    assert identity is not None and identity.cpr == "010190-1234"
    # The new identity logs in like the personas do.
    authorize = requests.Request("GET", server.url + "/authorize", params={
        "response_type": "code", "client_id": "klinikadgang-staff", "scope": "openid mitid",
        "redirect_uri": "http://127.0.0.1:5000/auth/mitid/callback", "state": "s" * 16,
        "nonce": "n" * 16, "code_challenge": "c" * 43, "code_challenge_method": "S256",
    }).prepare().url
    back = walk_simulator(authorize, "cli.person", login_as="private")
    assert back.startswith("http://127.0.0.1:5000/auth/mitid/callback?code=")


def test_cli_refuses_a_taken_user_id_and_bad_input(running):
    _sim, server = running
    first = run_cli("--user-id", "cli.twice", "--name", "A", "--cpr", "0101901234",
                    "--simulator-url", server.url)
    assert first.returncode == 0, first.stderr
    again = run_cli("--user-id", "cli.twice", "--name", "A", "--cpr", "010190-1234",
                    "--simulator-url", server.url)
    assert again.returncode == 1 and "taken" in again.stderr
    bad = run_cli("--user-id", "cli.bad", "--name", "B", "--cpr", "991399-1234",
                  "--simulator-url", server.url)
    assert bad.returncode == 2 and "cpr" in bad.stderr


def test_cli_says_when_no_simulator_answers():
    from tests.helpers.servers import free_port

    done = run_cli("--user-id", "x", "--name", "X", "--cpr", "010190-1234",
                   "--simulator-url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1 and "does not answer" in done.stderr
