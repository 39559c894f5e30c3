"""`flask needs import PATH [--publish]`, `flask needs close-expired`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.extensions import db
from matchmaking.needs import importer, services
from matchmaking.tabular import TabularError, finish_import

LARGE_IMPORT = 2000

needs_cli = AppGroup("needs", help="Technology needs: import and jobs.")


@needs_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--publish", is_flag=True, help="Publish the needs as approved by the bureau.")
def import_command(path: str, publish: bool) -> None:
    """Import needs from .jsonl, .csv or .xlsx (all rows or none)."""
    try:
        report = importer.import_needs(path, publish=publish)
    except TabularError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    finish_import(
        report.errors,
        f"导入完成：新增 {report.created} 条，更新 {report.updated} 条，"
        f"新建企业 {report.organizations_created} 家。",
    )
    if report.created + report.updated > LARGE_IMPORT:
        # Cheaper to build the index afresh than to apply this many single updates.
        from matchmaking.search import services as search

        search.rebuild(progress=True)


@needs_cli.command("close-expired")
def close_expired() -> None:
    """Persist 'closed' for published needs past their deadline (reads already do)."""
    count = services.close_expired_needs()
    db.session.commit()
    click.echo(f"closed {count} needs")
