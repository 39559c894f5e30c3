"""`flask audit verify`: check the hash chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.audit.services import verify_chain

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
