"""A WSGI app for tests/test_gunicorn_conf.py: answers with the serving process's id after a pause."""

import os
import time


def app(_environ, start_response):
    """Hold the thread a moment (a request in progress), then name the worker process."""
    time.sleep(0.3)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
