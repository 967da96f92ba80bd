"""The sister systems in the demo data: KirPACS and KirCACS as demo apps, Kiroviden.dk listed.

`make run` registers them with the provider (idempotent) and starts the two demo apps
(app/demo_sister) on their own ports. A client secret is shown once and kept only hashed, so the
demo apps' secrets are kept in instance/demo_sister_clients.json (mode 0600, development only);
a lost or mismatching file gives a fresh secret.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from app.provider import clients

ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoSister:
    client_id: str
    name: str
    port_offset: int  # from the app's port


DEMO_SISTERS = (
    DemoSister("kirpacs", "KirPACS billedviewer (demo)", 2),
    DemoSister("kircacs", "KirCACS (demo)", 3),
)
KIROVIDEN = clients.ClientSettings(
    client_id="kiroviden", name="Kiroviden.dk",
    redirect_uris=["https://kiroviden.dk/oidc/callback"],
    post_logout_redirect_uris=["https://kiroviden.dk/"],
    backchannel_logout_uri="https://kiroviden.dk/oidc/backchannel-logout",
    login_url="https://kiroviden.dk/")


def base_url(sister: DemoSister, app_port: int) -> str:
    return f"http://127.0.0.1:{app_port + sister.port_offset}"


def demo_settings(sister: DemoSister, base_url: str) -> clients.ClientSettings:
    """The registration of a demo app served at base_url."""
    return clients.ClientSettings(
        client_id=sister.client_id, name=sister.name,
        redirect_uris=[base_url + "/callback"],
        post_logout_redirect_uris=[base_url + "/logget-ud"],
        backchannel_logout_uri=base_url + "/backchannel-logout",
        scopes=["openid", "profile", "email", "clinic"], login_url=base_url + "/login")


def seed_sister_systems(app_port: int, secrets_file: Path) -> dict[str, str]:
    """Register the sister systems once; client_id → secret of each demo app."""
    kept = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    if clients.find_client(KIROVIDEN.client_id, include_disabled=True) is None:
        clients.add_client(KIROVIDEN, actor=ACTOR)
    found = {}
    for sister in DEMO_SISTERS:
        url = base_url(sister, app_port)
        row = clients.find_client(sister.client_id, include_disabled=True)
        if row is None:
            row, kept[sister.client_id] = clients.add_client(demo_settings(sister, url),
                                                             actor=ACTOR)
        else:
            if clients.uris(row, "redirect_uris") != [url + "/callback"]:  # another PORT
                clients.update_addresses(sister.client_id, demo_settings(sister, url),
                                         actor=ACTOR)
            if not clients.check_secret(row, kept.get(sister.client_id)):
                kept[sister.client_id] = clients.rotate_secret(sister.client_id, actor=ACTOR)
        found[sister.client_id] = kept[sister.client_id]
    with os.fdopen(os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(kept, out)
    return found
