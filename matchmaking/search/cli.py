"""`flask search sync | rebuild | check | optimize`: operating the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.search import services

search_cli = AppGroup("search", help="The search index: sync, rebuild, check, optimize.")


@search_cli.command("sync")
def sync() -> None:
    """Apply pending outbox rows to the index (catch-up after a failed update)."""
    before = services.pending_count()
    done = services.apply_pending(lock_timeout=30.0)
    purged = services.purge_applied()
    click.echo(f"applied {before} outbox rows ({done} needs); purged {purged} old rows")


@search_cli.command("rebuild")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--procs", default=2, show_default=True, help="Processes analysing documents.")
def rebuild(quiet: bool, procs: int) -> None:
    """Build a fresh index from the database in a new folder and swap it in atomically."""
    report = services.rebuild(progress=not quiet, procs=procs)
    click.echo(
        f"indexed {report.documents} needs in {report.seconds:.1f}s "
        f"({report.documents / max(report.seconds, 1e-9):.0f}/s) → {report.folder.name}"
    )


@search_cli.command("check")
def check() -> None:
    """Compare the database with the index; exit 1 if they drifted apart."""
    drift = services.check()
    for name in ("missing", "stale", "extra"):
        ids = getattr(drift, name)
        if ids:
            shown = ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
            click.echo(f"{name}: {len(ids)} ({shown})")
    if drift.outdated_fields:
        click.echo(
            "index format is older than this version's (fields: "
            f"{', '.join(drift.outdated_fields)}): run `flask search rebuild`"
        )
    if not drift.clean:
        click.echo("drift found: run `flask search sync`, or `flask search rebuild`")
        raise SystemExit(1)
    click.echo("index matches the database")


@search_cli.command("optimize")
def optimize() -> None:
    """Merge index segments (maintenance; run off-peak)."""
    services.get_index().optimize()
    click.echo("index optimized")
