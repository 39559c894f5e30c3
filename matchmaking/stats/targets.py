"""Plans and their targets (目标任务): read them, edit them, add a new plan period.

A plan exists as long as it has at least one target row; its years run from its start year
to the last year that has a target. Targets are cumulative from the start year. A year the
plan names no figure for has no row: it shows none rather than an invented one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from matchmaking.accounts.models import User
from matchmaking.audit.services import record
from matchmaking.errors import PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.stats.models import Metric, Target
from matchmaking.timeutil import today

METRICS = (Metric.posted, Metric.matched, Metric.converted)
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_PLAN_YEARS = 10
PLAN_NAME_MAX = 60


@dataclass
class Plan:
    name: str
    start_year: int
    targets: dict[Metric, dict[int, int]] = field(default_factory=dict)

    @property
    def end_year(self) -> int:
        years = [y for by_year in self.targets.values() for y in by_year]
        return max(years, default=self.start_year)

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def target(self, metric: Metric, year: int) -> int | None:
        return self.targets.get(metric, {}).get(year)

    def contains(self, year: int) -> bool:
        return self.start_year <= year <= self.end_year


def plans() -> list[Plan]:
    """Every plan, the most recent first."""
    found: dict[str, Plan] = {}
    for t in db.session.execute(select(Target).order_by(Target.year)).scalars():
        plan = found.setdefault(t.plan, Plan(t.plan, t.plan_start_year))
        plan.start_year = min(plan.start_year, t.plan_start_year)
        plan.targets.setdefault(t.metric, {})[t.year] = t.value
    return sorted(found.values(), key=lambda p: (-p.start_year, p.name))


def find_plan(name: str) -> Plan | None:
    return next((p for p in plans() if p.name == name), None)


def default_plan(on: date | None = None) -> Plan | None:
    """The plan that contains the current year; otherwise the latest one that has started;
    otherwise the first one there is."""
    year = (on or today()).year
    every = plans()
    for plan in every:
        if plan.contains(year):
            return plan
    started = [p for p in every if p.start_year <= year]
    return (started or every or [None])[0]


@dataclass
class TargetChange:
    metric: Metric
    year: int
    before: int | None
    after: int | None

    def as_dict(self) -> dict:
        return {
            "metric": self.metric.value,
            "year": self.year,
            "from": self.before,
            "to": self.after,
        }


def _check_values(start_year: int, values: dict[tuple[Metric, int], int | None]) -> None:
    if not MIN_YEAR <= start_year <= MAX_YEAR:
        raise ValidationFailed(f"起始年度须在 {MIN_YEAR}–{MAX_YEAR} 之间", code="bad_year")
    filled = {k: v for k, v in values.items() if v is not None}
    if not filled:
        raise ValidationFailed("请至少填写一项目标值", code="no_targets")
    for (metric, year), value in filled.items():
        if year < start_year or year >= start_year + MAX_PLAN_YEARS:
            raise ValidationFailed(f"{year} 年不在本规划期内", code="bad_year")
        if value < 0:
            raise ValidationFailed(f"{metric.label}目标不能为负数", code="negative_target")
    for metric in METRICS:
        series = sorted((y, v) for (m, y), v in filled.items() if m is metric)
        for (_, earlier), (year, later) in itertools.pairwise(series):
            if later < earlier:
                raise ValidationFailed(
                    f"目标为自起始年度起的累计数：{metric.label} {year} 年的目标（{later}）"
                    f"不能小于之前年度的目标（{earlier}）",
                    code="not_cumulative",
                )


def _require_bureau(actor: User) -> None:
    if not (actor and actor.is_bureau):
        raise PermissionDenied("只有科技局可以修改目标任务")


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("请填写规划名称", code="name_required")
    if len(name) > PLAN_NAME_MAX:
        raise ValidationFailed(f"规划名称最多 {PLAN_NAME_MAX} 个字", code="name_too_long")
    return name


def check_new_plan(name: str, start_year: int, end_year: int) -> str:
    """Validate the frame of a new plan period; returns the cleaned name."""
    name = _clean_name(name)
    if find_plan(name) is not None:
        raise ValidationFailed(f"已有名为“{name}”的规划", code="plan_exists")
    if not MIN_YEAR <= start_year <= MAX_YEAR:
        raise ValidationFailed(f"起始年度须在 {MIN_YEAR}–{MAX_YEAR} 之间", code="bad_year")
    if not start_year <= end_year < start_year + MAX_PLAN_YEARS:
        raise ValidationFailed(
            f"截止年度须不早于起始年度，且规划期最长 {MAX_PLAN_YEARS} 年", code="bad_year"
        )
    return name


def create_plan(
    actor: User, name: str, start_year: int, values: dict[tuple[Metric, int], int | None]
) -> Plan:
    """Add a new plan period with its targets (audited as a configuration change)."""
    _require_bureau(actor)
    name = _clean_name(name)
    if find_plan(name) is not None:
        raise ValidationFailed(f"已有名为“{name}”的规划", code="plan_exists")
    _check_values(start_year, values)
    changes = []
    for (metric, year), value in sorted(values.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if value is None:
            continue
        db.session.add(
            Target(plan=name, plan_start_year=start_year, metric=metric, year=year, value=value)
        )
        changes.append(TargetChange(metric, year, None, value))
    db.session.flush()
    record(
        "target.plan_create",
        actor=actor,
        object_type="target_plan",
        details={"plan": name, "start_year": start_year, "changes": [c.as_dict() for c in changes]},
    )
    return find_plan(name)  # type: ignore[return-value]


def update_plan(
    actor: User, plan: Plan, values: dict[tuple[Metric, int], int | None]
) -> list[TargetChange]:
    """Set, change or clear targets of an existing plan; returns what changed (audited).

    ``values`` maps (metric, year) to the new cumulative value, or None for "no target".
    Cells not named keep their value.
    """
    _require_bureau(actor)
    rows = {
        (t.metric, t.year): t
        for t in db.session.execute(select(Target).where(Target.plan == plan.name)).scalars()
    }
    merged = {key: row.value for key, row in rows.items()} | values
    _check_values(plan.start_year, merged)
    changes: list[TargetChange] = []
    for (metric, year), value in sorted(values.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        row = rows.get((metric, year))
        before = row.value if row else None
        if before == value:
            continue
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                Target(
                    plan=plan.name,
                    plan_start_year=plan.start_year,
                    metric=metric,
                    year=year,
                    value=value,
                )
            )
        else:
            row.value = value
        changes.append(TargetChange(metric, year, before, value))
    if changes:
        db.session.flush()
        record(
            "target.update",
            actor=actor,
            object_type="target_plan",
            details={"plan": plan.name, "changes": [c.as_dict() for c in changes]},
        )
    return changes
