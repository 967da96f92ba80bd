"""gunicorn.conf.py: the settings gunicorn reads from the environment, and an instance serving."""

import http.client
import os
import subprocess
import threading
import time

import pytest

from bench import stack

PROBE = "tests.gunicorn_probe:app"


def _clean_env(**values) -> dict:
    """This environment without gunicorn settings of its own, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONC"))}
    env.pop("HOST", None)
    env.pop("PORT", None)
    return {**env, **values}


def printed_config(**values) -> dict:
    """The settings gunicorn ends up with (`gunicorn --print-config`) under this environment."""
    out = subprocess.run(
        [str(stack.BIN / "gunicorn"), "--print-config", "-c", str(stack.ROOT / "gunicorn.conf.py"),
         PROBE], cwd=stack.ROOT, env=_clean_env(**values), capture_output=True, text=True,
        check=True, timeout=30).stdout
    pairs = (line.split(" = ", 1) for line in out.splitlines() if " = " in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.parametrize(("threads", "worker_class"), [("4", "gthread"), ("1", "sync")])
def test_stock_workers_threaded_unless_one_thread(threads, worker_class):
    config = printed_config(GUNICORN_THREADS=threads, WEB_CONCURRENCY="3")
    assert config["worker_class"] == worker_class
    assert config["threads"] == threads and config["workers"] == "3"


def test_listens_where_the_environment_says_with_no_control_socket_by_default():
    config = printed_config(HOST="0.0.0.0", PORT="8123")  # noqa: S104
    assert config["bind"] == "['0.0.0.0:8123']"
    assert config["control_socket_disable"] == "True"
    assert config["preload_app"] == "True"
    assert printed_config(GUNICORN_BIND="127.0.0.1:9000")["bind"] == "['127.0.0.1:9000']"


@pytest.fixture
def probe_server(tmp_path):
    log = tmp_path / "gunicorn.log"
    server = stack.Gunicorn(PROBE, _clean_env(), workers=2, threads=4, log_path=log).start()
    yield server, log
    server.stop()


def test_an_instance_serves_keep_alive_connections_on_its_threads(probe_server):
    server, log = probe_server
    start = threading.Barrier(8)
    served = []

    def client():
        conn = http.client.HTTPConnection(stack.LOOPBACK, server.port, timeout=10)
        start.wait()
        pids = []
        for _ in range(3):  # the same connection, kept alive
            conn.request("GET", "/")
            answer = conn.getresponse()
            assert answer.status == 200
            pids.append(answer.read().decode())
        conn.close()
        served.append(pids)

    began = time.monotonic()
    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(30)
    elapsed = time.monotonic() - began
    assert len(served) == 8
    assert all(len(set(pids)) == 1 for pids in served)  # a connection stays with its worker
    assert {pids[0] for pids in served} <= {str(pid) for pid in server.worker_pids()}
    # 24 requests of 0.3 s each: one after another would take 7.2 s; the threads serve at once.
    assert elapsed < 5
    assert "Using worker: gthread" in log.read_text()
