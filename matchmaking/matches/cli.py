"""`flask matches import PATH`, `flask matches lapse`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.extensions import db
from matchmaking.matches import importer, services
from matchmaking.tabular import TabularError, finish_import

matches_cli = AppGroup("matches", help="Matches (对接记录): history import and jobs.")


@matches_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Import the history of matches from .jsonl, .csv or .xlsx (all rows or none)."""
    try:
        report = importer.import_matches(path)
    except TabularError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    finish_import(
        report.errors,
        f"导入完成：新增 {report.created} 条对接记录，更新 {report.updated} 条，"
        f"新建揭榜单位 {report.organizations_created} 家；"
        f"需求转为已对接 {report.needs_matched} 条，"
        f"转为已转化 {report.needs_converted} 条。",
    )


@matches_cli.command("lapse")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Days after the deadline without a live match (default LAPSE_AFTER_DAYS, 90).",
)
@click.option("--dry-run", is_flag=True, help="Only list the needs that would lapse.")
def lapse_command(days: int | None, dry_run: bool) -> None:
    """流榜: closed needs with no live match N days after their deadline (run daily)."""
    days = services.lapse_after_days() if days is None else days
    if dry_run:
        ids = services.lapse_candidates(days)
        click.echo(f"{len(ids)} 条需求将流榜（截止后 {days} 天仍无对接）：{ids}")
        return
    lapsed = services.lapse_unmatched_needs(days)
    db.session.commit()
    click.echo(f"{len(lapsed)} 条需求已标记为流榜（截止后 {days} 天仍无对接）。")
    for need in lapsed:
        click.echo(f"  {need.ref} {need.title}")
