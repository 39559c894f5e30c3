"""Forms for the bureau's targets: a new plan period, and the grid of a plan's targets."""

from __future__ import annotations

from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matchmaking.forms import BaseForm
from matchmaking.stats.models import Metric
from matchmaking.stats.targets import MAX_YEAR, METRICS, MIN_YEAR, PLAN_NAME_MAX


class NewPlanForm(BaseForm):
    name = StringField(
        "规划名称",
        description="如：2026—2030年“两化”改造实施方案",
        validators=[
            DataRequired("请填写规划名称"),
            Length(max=PLAN_NAME_MAX, message=f"规划名称最多 {PLAN_NAME_MAX} 个字"),
        ],
    )
    start_year = IntegerField(
        "起始年度",
        validators=[
            DataRequired("请填写起始年度"),
            NumberRange(MIN_YEAR, MAX_YEAR, f"年度须在 {MIN_YEAR}–{MAX_YEAR} 之间"),
        ],
    )
    end_year = IntegerField(
        "截止年度",
        validators=[
            DataRequired("请填写截止年度"),
            NumberRange(MIN_YEAR, MAX_YEAR, f"年度须在 {MIN_YEAR}–{MAX_YEAR} 之间"),
        ],
    )


def cell_name(metric: Metric, year: int) -> str:
    return f"t_{metric.value}_{year}"


def target_grid_form(years: range, values: dict[Metric, dict[int, int]]):
    """A form with one optional non-negative integer per (metric, year); blank = no target."""

    class TargetGridForm(BaseForm):
        pass

    for metric in METRICS:
        for year in years:
            setattr(
                TargetGridForm,
                cell_name(metric, year),
                IntegerField(
                    f"{year} 年{metric.label}目标",
                    validators=[
                        Optional(),
                        NumberRange(0, 1_000_000, "目标须为 0–1000000 之间的整数"),
                    ],
                ),
            )
    data = {cell_name(m, y): values.get(m, {}).get(y) for m in METRICS for y in years}
    form = TargetGridForm(data=data)  # a POST's form data takes precedence
    form.years = years
    return form


def grid_values(form, years: range) -> dict[tuple[Metric, int], int | None]:
    return {(m, y): form[cell_name(m, y)].data for m in METRICS for y in years}
