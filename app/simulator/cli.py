"""`python -m app.simulator add-identity`: create a test identity in a running simulator.

Like MitID's own test tool, tests, benchmarks and developers can make identities on the fly; this
posts to the simulator's development endpoint POST /dev/identities.
"""

import argparse
import json
import os
import sys

import requests

DEFAULT_URL = "http://127.0.0.1:5001"


def post_identity(simulator_url: str, fields: dict, timeout: float = 10) -> requests.Response:
    """POST one identity (mitid_user_id, name, cpr, erhverv) to a simulator."""
    return requests.post(simulator_url.rstrip("/") + "/dev/identities", json=fields,
                         timeout=timeout)


def _organisation(value: str) -> dict:
    cvr, sep, name = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError("use CVR:Organisation name, e.g. 12345678:Klinik Vest")
    return {"cvr": cvr.strip(), "org_name": name.strip()}


def add_identity_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.simulator add-identity",
        description="Create a test identity in a running MitID simulator (development only).")
    parser.add_argument("--user-id", required=True, help="the BRUGER-ID typed at the simulator")
    parser.add_argument("--name", required=True, help="the identity's full name")
    parser.add_argument("--cpr", required=True, help="DDMMYY-SSSS")
    parser.add_argument("--erhverv", action="append", type=_organisation, default=[],
                        metavar="CVR:NAME", help="a MitID Erhverv organisation (repeatable)")
    parser.add_argument("--simulator-url", default=os.environ.get("SIMULATOR_URL", DEFAULT_URL),
                        help=f"the simulator's base URL (default $SIMULATOR_URL or {DEFAULT_URL})")
    args = parser.parse_args(argv)
    fields = {"mitid_user_id": args.user_id, "name": args.name, "cpr": args.cpr}
    if args.erhverv:
        fields["erhverv"] = args.erhverv
    try:
        answer = post_identity(args.simulator_url, fields)
    except requests.RequestException as exc:
        print(f"The simulator at {args.simulator_url} does not answer: {type(exc).__name__}",
              file=sys.stderr)
        return 1
    body = answer.json() if answer.headers.get("Content-Type", "").startswith(
        "application/json") else {}
    if answer.status_code == 201:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(f"Not created ({answer.status_code}): "
          f"{body.get('error_description') or answer.text[:200]}", file=sys.stderr)
    return 2 if answer.status_code == 400 else 1
