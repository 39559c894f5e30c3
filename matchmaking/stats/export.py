"""The dashboard as an Excel workbook: one sheet per table, Chinese headers, numbers as numbers.

Built from the same ``services.Report`` as the printable report page, so the two agree.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matchmaking.stats import services
from matchmaking.stats.services import Report
from matchmaking.timeutil import local, utcnow

PERCENT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# Sheet titles, in order (also used by the tests).
SHEETS = (
    "说明",
    "目标进度",
    "年度预测",
    "按行业",
    "按改造类型",
    "按镇街",
    "按揭榜单位",
    "响应情况",
    "镇街赛马",
    "流榜风险",
)
BREAKDOWN_SHEETS = {
    "industry": "按行业",
    "transformation": "按改造类型",
    "town": "按镇街",
    "solver": "按揭榜单位",
}


def _sheet(
    wb: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    percent_cols: tuple[int, ...] = (),
) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(row)
    for col in percent_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = PERCENT
    for i, name in enumerate(header, start=1):
        width = max(
            [len(str(name)) * 2 + 2]
            + [len(str(r[i - 1])) + 2 for r in rows if i - 1 < len(r) and r[i - 1] is not None]
        )
        ws.column_dimensions[get_column_letter(i)].width = min(60, width)
    ws.freeze_panes = "A2"


def workbook(r: Report) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    generated = local(utcnow()).strftime("%Y-%m-%d %H:%M")
    _sheet(
        wb,
        "说明",
        ["项目", "内容"],
        [
            ["报表", "桐乡市技术需求揭榜工作统计报表"],
            ["规划", r.plan.name if r.plan else "（未设置规划目标）"],
            ["统计期间（分组、响应、赛马）", r.period.label],
            ["统计截止日", r.as_of],
            ["生成时间（北京时间）", generated],
            ["发榜数口径", services.MEASURE_HELP["posted"]],
            ["对接数口径", services.MEASURE_HELP["matched"]],
            ["转化数口径", services.MEASURE_HELP["converted"]],
            ["年度", "按北京时间自然年；目标为自规划起始年度起的累计数"],
        ],
    )
    wb["说明"]["B5"].number_format = "yyyy-mm-dd"

    rows: list[list[Any]] = []
    proj_rows: list[list[Any]] = []
    if r.progress:
        for metric, mp in r.progress.metrics.items():
            for year in r.progress.years:
                rows.append(
                    [
                        metric.label,
                        year,
                        mp.by_year.get(year, 0),
                        mp.cumulative.get(year),
                        mp.targets.get(year),
                        mp.rate(year),
                    ]
                )
            p = r.progress.projections.get(metric)
            if p:
                proj_rows.append(
                    [
                        metric.label,
                        p.year,
                        p.as_of,
                        p.ytd,
                        p.elapsed_days,
                        p.projected_year,
                        p.projected_cumulative,
                        p.target_year,
                        p.target,
                        p.expected,
                        p.shortfall if p.short else 0,
                        "是" if p.short else "否",
                    ]
                )
    _sheet(
        wb,
        "目标进度",
        ["指标", "年度", "当年数", "累计数（规划期内）", "累计目标", "完成率"],
        rows,
        percent_cols=(6,),
    )
    _sheet(
        wb,
        "年度预测",
        [
            "指标",
            "年度",
            "截至日期",
            "本年已完成",
            "本年已过天数",
            "预计全年",
            "预计年末累计",
            "对照目标年度",
            "目标（累计）",
            "按当前进度预计累计",
            "预计缺口",
            "进度落后",
        ],
        proj_rows,
    )
    for cell in wb["年度预测"]["C"][1:]:
        cell.number_format = "yyyy-mm-dd"

    for by, title in BREAKDOWN_SHEETS.items():
        measures = (
            ("matched", "converted") if by == "solver" else ("posted", "matched", "converted")
        )
        _sheet(
            wb,
            title,
            [services.DIMENSIONS[by]] + [services.MEASURES[m] for m in measures],
            [[row.label] + [row.counts[m] for m in measures] for row in r.breakdowns[by]],
        )

    resp = r.response
    _sheet(
        wb,
        "响应情况",
        ["项目", "数值", "样本数"],
        [
            ["期内发榜数", resp.posted, None],
            ["有揭榜申报的发榜数", resp.responded, None],
            ["有揭榜申报的比例", resp.share, resp.posted],
            ["发榜至首次揭榜申报（天，中位数）", resp.first_bid.days, resp.first_bid.n],
            ["发榜至签约（天，中位数）", resp.signing.days, resp.signing.n],
            ["发榜至转化（天，中位数）", resp.conversion.days, resp.conversion.n],
            ["流榜风险需求数（发榜满30天无有效申报）", r.risk_total, None],
        ],
    )
    wb["响应情况"]["B4"].number_format = PERCENT

    _sheet(
        wb,
        "镇街赛马",
        ["名次", "镇（街道）", "发榜数", "转化数", "本期发榜已转化数", "转化率"],
        [[t.rank, t.name, t.posted, t.converted, t.posted_converted, t.rate] for t in r.ranking],
        percent_cols=(6,),
    )
    _sheet(
        wb,
        "流榜风险",
        [
            "编号",
            "需求名称",
            "企业",
            "镇（街道）",
            "行业",
            "首次发榜日期",
            "已发榜天数",
            "截止日期",
            "状态",
        ],
        [
            [
                n.ref,
                n.title,
                n.organization.name,
                n.town.name if n.town else "",
                n.industry.name,
                local(n.first_published_at).date(),
                (r.as_of - local(n.first_published_at).date()).days,
                n.deadline,
                n.effective_status.label,
            ]
            for n in r.risk
        ],
    )
    for col in ("F", "H"):
        for cell in wb["流榜风险"][col][1:]:
            cell.number_format = "yyyy-mm-dd"
    if r.risk_total > len(r.risk):
        wb["流榜风险"].append([f"共 {r.risk_total} 条，此处列出最早发榜的 {len(r.risk)} 条"])

    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def record_export(actor, kind: str, r: Report) -> None:
    """Exports are audit events (who took which figures out, when)."""
    from matchmaking.audit.services import record

    record(
        f"stats.export_{kind}",
        actor=actor,
        object_type="stats_report",
        details={
            "plan": r.plan.name if r.plan else None,
            "from": r.period.start,
            "to": r.period.end,
            "as_of": r.as_of,
        },
    )
