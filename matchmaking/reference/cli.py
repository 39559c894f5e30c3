import click
from flask.cli import AppGroup

from matchmaking.extensions import db
from matchmaking.reference import services

reference_cli = AppGroup("reference", help="Reference data: industries and towns.")


@reference_cli.command("seed")
def seed_command() -> None:
    """Insert the policy's industries and towns that are missing."""
    added = services.seed()
    db.session.commit()
    click.echo(f"added {added} reference entries")
