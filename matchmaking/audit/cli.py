"""`flask audit verify` checks the hash chain; `flask audit purge` removes old rows."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from matchmaking.audit.services import RetentionError, purge, verify_chain
from matchmaking.extensions import db

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify() -> None:
    """Exit non-zero if any audit row was edited, deleted or reordered."""
    problems = list(verify_chain())
    for p in problems:
        click.echo(f"event {p.event_id}: {p.problem}")
    if problems:
        raise SystemExit(1)
    click.echo("audit chain ok")


@audit_cli.command("purge")
@click.option(
    "--older-than-days",
    type=int,
    required=True,
    help="Delete events older than this many days (at least AUDIT_RETENTION_DAYS).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(older_than_days: int, yes: bool) -> None:
    """Delete audit events past the retention period (the purge itself is audited)."""
    retention = int(current_app.config["AUDIT_RETENTION_DAYS"])
    if older_than_days < retention:
        raise click.ClickException(
            f"refused: the audit log is kept at least {retention} days "
            f"(AUDIT_RETENTION_DAYS); --older-than-days {older_than_days} is too young"
        )
    if not yes:
        click.confirm(f"Delete audit events older than {older_than_days} days?", abort=True)
    try:
        count = purge(older_than_days, retention_days=retention)
    except RetentionError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"deleted {count} audit events older than {older_than_days} days")
