"""`make run`: the app, the MitID simulator, a local mail outbox and the demo sister systems
(KirPACS and KirCACS demo apps, clients of the app's OpenID Provider), all on 127.0.0.1."""

import os
import sys
from pathlib import Path

from werkzeug.serving import run_simple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.blueprints.dev import sisters  # noqa: E402
from app.blueprints.dev.demo import load_personas  # noqa: E402
from app.blueprints.dev.mail import FilingHandler, start_smtp_sink  # noqa: E402
from app.demo_sister import create_demo_sister_app  # noqa: E402
from app.provider.backchannel import deliver_in_background  # noqa: E402
from app.simulator import create_simulator_app, serve_simulator  # noqa: E402
from app.simulator.server import SimulatorServer  # noqa: E402


def _clients(app_port: int) -> list[dict]:
    """The simulator's OIDC clients, with redirect URIs on the app's port."""
    def uris(path):
        return [f"http://127.0.0.1:{app_port}{path}", f"http://localhost:{app_port}{path}"]

    scope = "openid mitid ssn nemlogin"
    return [
        {"client_id": "klinikadgang-staff", "client_secret": "dev-staff-secret",
         "client_name": "Klinikadgang", "redirect_uris": uris("/auth/mitid/callback"),
         "post_logout_redirect_uris": uris("/auth/logget-ud"), "scope": scope,
         "backchannel_logout_uri": f"http://127.0.0.1:{app_port}/auth/mitid/backchannel-logout"},
        {"client_id": "klinikadgang-citizen", "client_secret": "dev-citizen-secret",
         "client_name": "Klinikadgang patientportal",
         "redirect_uris": uris("/portal/mitid/callback"),
         "post_logout_redirect_uris": uris("/portal/mitid/logget-ud"), "scope": scope,
         "backchannel_logout_uri":
             f"http://127.0.0.1:{app_port}/portal/mitid/backchannel-logout"},
    ]


def _print_personas(app_url: str, sim_url: str, demos: list[tuple[str, str]]) -> None:
    personas = load_personas()
    print("\n  Klinikadgang is running:", app_url)
    print("  Staff login:            ", app_url + "/login")
    print("  Mail outbox:            ", app_url + "/dev/outbox")
    print("  MitID simulator:        ", sim_url)
    for name, url in demos:
        print(f"  Demo sister system:       {url}  ({name})")
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
    app_url = f"http://127.0.0.1:{port}"
    app = create_app({
        "MAIL_PORT": mail_port,
        "OP_ISSUER": app_url,  # the sister systems' provider: open the demos on 127.0.0.1
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
    with app.app_context():
        registered = sisters.seed_sister_systems(
            port, Path(app.instance_path) / "demo_sister_clients.json")
    demos = []
    for sister in sisters.DEMO_SISTERS:
        demo = create_demo_sister_app(
            name=sister.name, client_id=sister.client_id, issuer=app_url,
            client_secret=registered[sister.client_id], base_url=sisters.base_url(sister, port))
        demos.append(SimulatorServer(demo, "127.0.0.1", port + sister.port_offset).start())
    stop_deliveries = deliver_in_background(app)  # back-channel logout to the demos
    _print_personas(app_url, sim_server.url, [
        (sister.name, server.url) for sister, server in zip(sisters.DEMO_SISTERS, demos, strict=True)])
    try:
        # Threaded: the app calls the simulator's token endpoint while serving a request.
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    finally:
        stop_deliveries.set()
        for server in (sim_server, *demos):
            server.shutdown()
        sink.stop()


if __name__ == "__main__":
    main()
