"""`make run`: the app, the MitID simulator and a local mail outbox, all on 127.0.0.1."""

import os
import sys
from pathlib import Path

from werkzeug.serving import run_simple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.blueprints.dev.demo import load_personas  # noqa: E402
from app.blueprints.dev.mail import FilingHandler, start_smtp_sink  # noqa: E402
from app.simulator import create_simulator_app, serve_simulator  # noqa: E402


def _clients(app_port: int) -> list[dict]:
    """The simulator's OIDC clients, with redirect URIs on the app's port."""
    def uris(path):
        return [f"http://127.0.0.1:{app_port}{path}", f"http://localhost:{app_port}{path}"]

    scope = "openid mitid ssn nemlogin"
    return [
        {"client_id": "klinikadgang-staff", "client_secret": "dev-staff-secret",
         "client_name": "Klinikadgang", "redirect_uris": uris("/auth/mitid/callback"),
         "post_logout_redirect_uris": uris("/auth/logget-ud"), "scope": scope},
        {"client_id": "klinikadgang-citizen", "client_secret": "dev-citizen-secret",
         "client_name": "Klinikadgang patientportal",
         "redirect_uris": uris("/portal/mitid/callback"),
         "post_logout_redirect_uris": uris("/portal/mitid/logget-ud"), "scope": scope},
    ]


def _print_personas(app_url: str, sim_url: str) -> None:
    personas = load_personas()
    print("\n  Klinikadgang is running:", app_url)
    print("  Staff login:            ", app_url + "/login")
    print("  Mail outbox:            ", app_url + "/dev/outbox")
    print("  MitID simulator:        ", sim_url)
    print("\n  Test identities (type the BRUGER-ID at the simulator):")
    for person in personas["staff"]:
        mitid = person["mitid_user_id"] or "(no MitID)"
        if person.get("password_login_exempt"):
            state = "external user: password login"
        elif person.get("onboarded"):
            state = "onboarded"
        else:
            state = "first MitID login runs the onboarding"
        print(f"    staff    {mitid:<15} {person['name']:<18} user ID {person['legacy_user_id']}"
              f" / {person['legacy_password']}  ({state})")
    for person in personas["citizens"]:
        mitid = person["mitid_user_id"] or "(no MitID)"
        print(f"    citizen  {mitid:<15} {person['name']}")
    print("\n  Stop with Ctrl+C.\n", flush=True)


def main() -> None:
    """Start the mail sink and the simulator in threads, then serve the app."""
    port = int(os.environ.get("PORT", "5000"))
    sim_port = int(os.environ.get("SIMULATOR_PORT", str(port + 1)))
    mail_port = int(os.environ.get("MAIL_PORT", "8025"))
    app = create_app({
        "MAIL_PORT": mail_port,
        "STAFF_BROKER_METADATA_URL": f"http://127.0.0.1:{sim_port}/.well-known/openid-configuration",
        "CITIZEN_BROKER_METADATA_URL": f"http://127.0.0.1:{sim_port}/.well-known/openid-configuration",
    })
    sink = start_smtp_sink(FilingHandler(app.config["OUTBOX_DIR"]), port=mail_port)
    simulator = create_simulator_app({
        "SIMULATOR_ISSUER": f"http://127.0.0.1:{sim_port}",
        "SIMULATOR_CLIENTS": _clients(port),
        "SIMULATOR_KEY_FILE": os.path.join(app.instance_path, "simulator_signing_key.pem"),
    })
    sim_server = serve_simulator(simulator, port=sim_port)
    _print_personas(f"http://127.0.0.1:{port}", sim_server.url)
    try:
        # Threaded: the app calls the simulator's token endpoint while serving a request.
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    finally:
        sim_server.shutdown()
        sink.stop()


if __name__ == "__main__":
    main()
