"""Flask CLI commands: database migrations and demo data."""

import click
from flask import current_app

from app import demo


@click.command("seed-demo")
def seed_demo_command():
    """Load the demo clinics and staff of the personas file (safe to run again)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    from app.simulator import subject_for

    counts = demo.seed_demo_data(demo.load_personas(), subject_for=subject_for)
    click.echo("Demo data: " + ", ".join(f"{v} new {k}" for k, v in counts.items()))


@click.command("db-upgrade")
def db_upgrade_command():
    """Apply the Alembic migrations to the configured database."""
    from app.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the newest migration.")


def init_app(app) -> None:
    """Register the commands."""
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(db_upgrade_command)
