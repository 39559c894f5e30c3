"""`flask stats ...` commands: the plan's progress in the terminal, the Excel report to a file."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matchmaking.extensions import db
from matchmaking.stats import export, services, targets
from matchmaking.stats.services import Period

stats_cli = AppGroup("stats", help="统计：目标进度与报表导出。")


def _plan(name: str | None):
    plan = targets.find_plan(name) if name else targets.default_plan()
    if plan is None:
        raise click.ClickException(f"没有名为“{name}”的规划" if name else "尚未设置规划目标")
    return plan


@stats_cli.command("progress")
@click.option("--plan", "plan_name", help="规划名称（默认：包含今年的规划）")
def progress_command(plan_name: str | None) -> None:
    """Print the plan's progress: per year, cumulative, target, % reached."""
    p = services.progress(_plan(plan_name))
    click.echo(p.plan.name)
    for metric, mp in p.metrics.items():
        click.echo(f"\n{metric.label}")
        for year in p.years:
            rate = mp.rate(year)
            click.echo(
                f"  {year}  当年 {mp.by_year.get(year, 0):>6}  "
                f"累计 {mp.cumulative.get(year, '—')!s:>6}  "
                f"目标 {mp.targets.get(year, '—')!s:>6}  "
                f"完成率 {'—' if rate is None else f'{rate:.1%}'}"
            )
        proj = p.projections.get(metric)
        if proj and proj.target is not None:
            state = f"预计缺口 {proj.shortfall}" if proj.short else "可达到目标"
            click.echo(
                f"  预测：{proj.target_year} 年末约 {proj.expected}（目标 {proj.target}，{state}）"
            )


@stats_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--plan", "plan_name", help="规划名称（默认：包含今年的规划）")
@click.option("--from", "start", help="统计期间起（YYYY-MM-DD）")
@click.option("--to", "end", help="统计期间止（YYYY-MM-DD）")
def export_command(path: str, plan_name: str | None, start: str | None, end: str | None) -> None:
    """Write the dashboard as an Excel workbook (audited as an export)."""
    from matchmaking.errors import ValidationFailed

    plan = _plan(plan_name)
    try:
        period = Period.parse(start, end) if (start or end) else services.plan_period(plan)
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from None
    report = services.report(plan, period)
    with open(path, "wb") as fh:
        fh.write(export.workbook(report))
    export.record_export(None, "xlsx_cli", report)
    db.session.commit()
    click.echo(f"已导出：{path}")
