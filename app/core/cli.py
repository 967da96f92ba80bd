"""Flask CLI commands: migrations, demo data, the outage fallback and retention."""

import getpass

import click
from flask import current_app
from flask.cli import with_appcontext

from app.blueprints.auth import policy
from app.blueprints.dev import demo
from app.core.migrate import upgrade
from app.retention import apply_retention


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo clinics and staff of the personas file (safe to run again)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    from app.simulator import subject_for  # the simulator's package is never loaded in production

    counts = demo.seed_demo_data(demo.load_personas(), subject_for=subject_for)
    click.echo("Demo data: " + ", ".join(f"{v} new {k}" for k, v in counts.items()))


@click.command("db-upgrade")
@with_appcontext
def db_upgrade_command():
    """Apply the Alembic migrations to the configured database."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest migration.")


@click.command("outage-fallback")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--reason", default="", help="Why (required for on and off).")
@with_appcontext
def outage_fallback_command(state, reason):
    """Switch the MitID outage fallback (password login for everyone) on or off, or show it."""
    if state == "status":
        row = policy.fallback_state()
        click.echo("on" if row and row.on else "off")
        return
    if not reason.strip():
        raise click.UsageError("--reason is required")
    policy.switch_fallback(on=state == "on", reason=reason, actor=f"cli:{getpass.getuser()}")
    click.echo(f"Outage fallback is now {state}.")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list who would be deleted.")
@with_appcontext
def retention_command(dry_run):
    """Delete staff without membership and portal users without clinic past the period (daily).

    Also purges half-finished onboardings past ONBOARDING_TTL_SECONDS.
    """
    report = apply_retention(dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {len(report.staff)} staff and {len(report.portal_users)} portal users.")
    click.echo(f"{'Would purge' if dry_run else 'Purged'} {len(report.onboardings)} "
               "unfinished onboardings.")
    for uid in report.staff:
        click.echo(f"  staff_user {uid}")
    for uid in report.portal_users:
        click.echo(f"  portal_user {uid}")


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(retention_command)
    app.cli.add_command(outage_fallback_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(db_upgrade_command)
