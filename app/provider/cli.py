"""`flask oidc-client add|list|rotate-secret|disable` and `flask oidc-key rotate`."""

import time

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from app import consent
from app.core.db import close_session
from app.provider import backchannel, clients, keys

ACTOR = "cli"


@click.group("oidc-client")
def oidc_client():
    """The sister systems that log in through Klinikadgang."""


@oidc_client.command("add")
@click.option("--name", required=True, help="Shown to people, e.g. KirPACS.")
@click.option("--client-id", default=None, help="Default: generated.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-uri", "post_logout_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--scope", "scopes", multiple=True,
              default=("openid", "profile", "clinic"), show_default=True)
@click.option("--auth-method", type=click.Choice(clients.AUTH_METHODS),
              default="client_secret_basic", show_default=True)
@click.option("--jwks-uri", default=None,
              help="private_key_jwt: where the system publishes its public keys.")
@click.option("--required-acr", type=click.Choice(clients.ACR_VALUES), default=None)
@click.option("--login-url", default=None, help="The start page's link to the system.")
@click.option("--access-token-seconds", type=int, default=300, show_default=True)
@click.option("--refresh-token-seconds", type=int, default=8 * 3600, show_default=True)
@click.option("--consent-version", "consent_versions", multiple=True,
              default=(consent.PROFILE_SHARING_VERSION,), show_default=True,
              help="A version of the consent text that names the system.")
@with_appcontext
def add(name, client_id, redirect_uris, post_logout_uris, backchannel_logout_uri, scopes,
        auth_method, jwks_uri, required_acr, login_url, access_token_seconds,
        refresh_token_seconds, consent_versions):
    """Register a client; its secret (if it has one) is printed once."""
    settings = clients.ClientSettings(
        name=name, client_id=client_id, redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_uris),
        backchannel_logout_uri=backchannel_logout_uri, scopes=list(scopes),
        auth_method=auth_method, jwks_uri=jwks_uri, required_acr=required_acr,
        login_url=login_url, access_token_seconds=access_token_seconds,
        refresh_token_seconds=refresh_token_seconds, consent_versions=list(consent_versions))
    try:
        with force_locale("da"):  # the registry's messages are the web UI's (Danish)
            row, secret = clients.add_client(settings, actor=ACTOR)
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"client_id: {row.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("The secret is shown only now; it is stored hashed.")


@oidc_client.command("list")
@with_appcontext
def list_():
    """One line per client: id, name, method, scopes, state."""
    for row in clients.list_clients():
        state = "disabled" if row.disabled_at else "enabled"
        click.echo(f"{row.client_id}\t{row.name}\t{row.auth_method}\t{row.scopes}\t{state}")


@oidc_client.command("rotate-secret")
@click.argument("client_id")
@with_appcontext
def rotate_secret(client_id):
    """A new secret (printed once); the old one stops working at once."""
    try:
        with force_locale("da"):
            secret = clients.rotate_secret(client_id, actor=ACTOR)
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"client_secret: {secret}")


@oidc_client.command("disable")
@click.argument("client_id")
@with_appcontext
def disable(client_id):
    """No new logins or tokens for the client."""
    try:
        with force_locale("da"):
            clients.disable_client(client_id, actor=ACTOR)
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{client_id} disabled")


@click.group("oidc-key")
def oidc_key():
    """The provider's signing keys."""


@oidc_key.command("rotate")
@click.option("--alg", type=click.Choice(keys.ALGORITHMS), default=None)
@click.option("--pem", "pem_file", type=click.File("rb"), default=None,
              help="Sign with this private key (PEM: EC P-256 or RSA >= 2048) instead of a new one.")
@with_appcontext
def rotate_key(alg, pem_file):
    """Sign with a new key from now on; the old one stays published for a while."""
    try:
        row = keys.rotate(actor=ACTOR, alg=alg, pem=pem_file.read() if pem_file else None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new signing key {row.kid} ({row.alg})")


@click.command("oidc-logout-deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds (a worker).")
@click.option("--interval", type=float, default=5.0, show_default=True)
@with_appcontext
def deliver(loop, interval):
    """Send due back-channel logout tokens to the sister systems (any instance may run it).

    Each round first ends the login sessions that ran out unseen, so that their sister systems
    are told too.
    """
    while True:
        counts = backchannel.run_round()
        if counts["delivered"] or counts["failed"] or not loop:
            click.echo(f"delivered {counts['delivered']}, failed {counts['failed']}")
        if not loop:
            return
        close_session()  # a fresh session (and connection) for the next round
        time.sleep(interval)


def init_app(app) -> None:
    app.cli.add_command(oidc_client)
    app.cli.add_command(oidc_key)
    app.cli.add_command(deliver)
