"""gunicorn.conf.py spreads connections that stay open over the workers."""

import http.client
import os
import threading
from collections import Counter

import pytest

from bench import stack


@pytest.fixture
def probe_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONC"))}
    server = stack.Gunicorn("tests.gunicorn_probe:app", env, workers=2, threads=4,
                            log_path=tmp_path / "gunicorn.log").start()
    yield server
    server.stop()


def test_connections_that_stay_open_are_spread_over_the_workers(probe_server):
    # Eight keep-alive connections at once, as a load balancer's pool: gunicorn's own gthread
    # worker let the first worker to wake take all of them.
    start = threading.Barrier(8)
    served = []

    def client():
        conn = http.client.HTTPConnection(stack.LOOPBACK, probe_server.port, timeout=10)
        start.wait()
        pids = []
        for _ in range(3):  # the same connection, kept alive
            conn.request("GET", "/")
            pids.append(conn.getresponse().read().decode())
        conn.close()
        served.append(pids)

    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(30)
    assert len(served) == 8
    assert all(len(set(pids)) == 1 for pids in served)  # a connection stays with its worker
    per_worker = Counter(pids[0] for pids in served)
    assert sorted(per_worker.values()) == [4, 4]  # each worker took as many as it has threads
    assert set(per_worker) == {str(pid) for pid in probe_server.worker_pids()}
