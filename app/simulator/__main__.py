"""Run the simulator for local development: python -m app.simulator [--port 5001].

`python -m app.simulator add-identity --user-id ... --name ... --cpr ...` creates a test identity
in a running simulator instead (see app/simulator/cli.py).
"""

import argparse
import logging
import sys
import threading

from . import create_simulator_app, serve_simulator


def main() -> None:
    if sys.argv[1:2] == ["add-identity"]:
        from .cli import add_identity_main

        sys.exit(add_identity_main(sys.argv[2:]))
    parser = argparse.ArgumentParser(description="MitID simulator (development only)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--issuer", help="issuer URL (default: the URL the server binds)")
    parser.add_argument("--key-file", help="PEM file that keeps the signing key across restarts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = {"SIMULATOR_KEY_FILE": args.key_file}
    if args.issuer:
        config["SIMULATOR_ISSUER"] = args.issuer
    app = create_simulator_app(config)
    server = serve_simulator(app, host=args.host, port=args.port)
    logging.getLogger(__name__).info("MitID simulator at %s", server.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
