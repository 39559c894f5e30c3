"""The bureau's numbers, computed by the counting rules of DESIGN.md.

Each measure is defined once, in ``_source``: the rows it counts (one per counted need), the
date that counts for it and the predicates that select it. Every figure — by year, by
dimension, for a period — is ``COUNT(*)`` over those rows, and every drill-down list is the
same rows joined to the needs with the same predicates (``Selection``), so a number and the
list behind it cannot disagree.

- posted: a need counts in the Beijing-time year of ``first_published_at`` (withdrawn needs
  still count once published; a need is counted once);
- matched: a need counts by the earliest ``signed_on`` of its matches that were signed
  (signed, converted, or terminated after signing);
- converted: a need counts by the earliest ``completed_on`` of its matches in state
  ``converted`` (which requires the bureau's confirmation); one count per need.

Periods are Beijing calendar dates; timestamp filters are range predicates on the UTC
column (index-friendly on both backends); years are CASE over the same bounds.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g, has_app_context
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import joinedload

from matchmaking.accounts.models import Organization
from matchmaking.bids.models import Bid, BidStatus
from matchmaking.errors import ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import Need, NeedStatus, Transformation
from matchmaking.reference.models import Industry, Town
from matchmaking.stats.models import Metric
from matchmaking.stats.sqlfuncs import day_number, local_day
from matchmaking.stats.targets import METRICS, Plan
from matchmaking.timeutil import LOCAL_TZ, today

# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Beijing calendar dates, both ends inclusive; None is open."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> Period:
        """From ``YYYY-MM-DD`` strings (blank = open); a bad date is a ValidationFailed."""
        period = cls(_parse_date(start, "from"), _parse_date(end, "to"))
        if period.start and period.end and period.start > period.end:
            raise ValidationFailed("起始日期（from）不能晚于截止日期（to）", code="bad_period")
        return period

    @property
    def label(self) -> str:
        if self.start is None and self.end is None:
            return "全部时间"
        return (
            f"{self.start.isoformat() if self.start else '最早'} 至 "
            f"{self.end.isoformat() if self.end else '今'}"
        )

    def args(self) -> dict[str, str]:
        """Query arguments naming this period (for links)."""
        out = {}
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        return out


def _parse_date(raw: str | None, name: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"日期参数 {name} 无效：“{raw[:20]}”，应为 YYYY-MM-DD 格式的有效日期", code="bad_date"
        ) from None


def local_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Beijing."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def _ts_range(column: Any, period: Period) -> list[ColumnElement[bool]]:
    preds = []
    if period.start:
        preds.append(column >= local_midnight(period.start))
    if period.end:
        preds.append(column < local_midnight(period.end + timedelta(days=1)))
    return preds


def _date_range(column: Any, period: Period) -> list[ColumnElement[bool]]:
    preds = []
    if period.start:
        preds.append(column >= period.start)
    if period.end:
        preds.append(column <= period.end)
    return preds


# --- measures ---------------------------------------------------------------------------------

# Measures countable by period and dimension. The first three are the plan's metrics.
MEASURES: dict[str, str] = {
    "posted": "发榜数",
    "matched": "对接数",
    "converted": "转化数",
    "responded": "有揭榜申报的发榜数",
    "posted_converted": "发榜后已转化数",
}
MEASURE_HELP: dict[str, str] = {
    "posted": "期内首次发榜的需求（发榜后撤回的仍计入）",
    "matched": "期内首次签约的需求（签约后终止的仍计入；一条需求只计一次）",
    "converted": "期内首次完成转化并经科技局确认的需求（一条需求只计一次）",
    "responded": "期内发榜、且收到至少一份揭榜申报（不含已撤回的申报）的需求",
    "posted_converted": "期内发榜、且截至期末已转化并经确认的需求",
}
DIMENSIONS: dict[str, str] = {
    "industry": "行业",
    "transformation": "改造类型",
    "town": "镇（街道）",
    "solver": "揭榜单位",
}
SIGNED_STATUSES = (MatchStatus.signed, MatchStatus.converted, MatchStatus.terminated)
UNASSIGNED = "none"  # the key of "no town" and the like in links


def _signed(m: Any = Match) -> ColumnElement[bool]:
    return and_(m.status.in_(SIGNED_STATUSES), m.signed_on.is_not(None))


def _converted(m: Any = Match) -> ColumnElement[bool]:
    return and_(
        m.status == MatchStatus.converted, m.completed_on.is_not(None), m.confirmed_at.is_not(None)
    )


# measure → (the match date that counts, the condition on the match)
_MATCH_RULES = {
    "matched": (lambda m: m.signed_on, _signed),
    "converted": (lambda m: m.completed_on, _converted),
}


def first_matches(measure: str, *, with_solver: bool = False):
    """Per need, its counting date: the earliest date among its qualifying matches.

    With ``with_solver``, also the match that set that date (earliest date, then lowest id)
    and its solver organization — a window function, used only when asked for (the solver
    breakdown and the drill-down lists); plain counts use the cheaper GROUP BY.
    """
    date_of, condition = _MATCH_RULES[measure]
    if with_solver:
        return _ranked_first(measure, date_of, condition)
    return (
        select(Match.need_id.label("need_id"), func.min(date_of(Match)).label("on"))
        .where(condition(Match))
        .group_by(Match.need_id)
        .subquery(f"first_{measure}")
    )


def _ranked_first(measure: str, date_of: Any, condition: Any):
    ranked = (
        select(
            Match.need_id.label("need_id"),
            date_of(Match).label("on"),
            Match.id.label("match_id"),
            Match.solver_org_id.label("solver_org_id"),
            func.row_number()
            .over(partition_by=Match.need_id, order_by=(date_of(Match), Match.id))
            .label("rn"),
        )
        .where(condition(Match))
        .subquery(f"ranked_{measure}")
    )
    return (
        select(ranked.c.need_id, ranked.c.on, ranked.c.match_id, ranked.c.solver_org_id)
        .where(ranked.c.rn == 1)
        .subquery(f"first_{measure}_by")
    )


def first_signed():
    return first_matches("matched")


def first_converted():
    return first_matches("converted")


def _live_bid_exists(statuses: Iterable[BidStatus]) -> ColumnElement[bool]:
    # IN (subquery) rather than a correlated EXISTS: a semi-join on both backends.
    return Need.id.in_(select(Bid.need_id).where(Bid.status.in_(tuple(statuses))))


RESPONSE_BID_STATUSES = tuple(s for s in BidStatus if s is not BidStatus.withdrawn)


@dataclass
class Source:
    """What a measure counts: FROM, the counting date, the solver, the predicates."""

    from_: Any
    date_col: Any
    solver_col: Any
    match_col: Any
    preds: list[ColumnElement[bool]] = field(default_factory=list)
    is_timestamp: bool = False  # posted-type measures count by a UTC timestamp

    @property
    def has_solver(self) -> bool:
        return not self.is_timestamp  # the caller asks for with_solver=True to group by it


def _source(measure: str, period: Period, *, with_solver: bool = False) -> Source:
    if measure in ("posted", "responded", "posted_converted"):
        src = Source(
            Need.__table__,
            Need.first_published_at,
            null(),
            null(),
            [Need.first_published_at.is_not(None), *_ts_range(Need.first_published_at, period)],
            is_timestamp=True,
        )
        if measure == "responded":
            src.preds.append(_live_bid_exists(RESPONSE_BID_STATUSES))
        elif measure == "posted_converted":
            cond = [Match.need_id == Need.id, _converted()]
            if period.end:
                cond.append(Match.completed_on <= period.end)
            src.preds.append(exists().where(*cond))
        return src
    if measure in ("matched", "converted"):
        first = first_matches(measure, with_solver=with_solver)
        return Source(
            first.join(Need.__table__, Need.id == first.c.need_id),
            first.c.on,
            first.c.solver_org_id if with_solver else null(),
            first.c.match_id if with_solver else null(),
            _date_range(first.c.on, period),
        )
    raise ValidationFailed(
        f"不支持的指标：“{str(measure)[:30]}”，可选："
        + "、".join(f"{k}（{v}）" for k, v in MEASURES.items()),
        code="bad_metric",
    )


def _dimension_col(by: str, src: Source) -> Any:
    check_dimension(by)
    if by == "industry":
        return Need.industry_id
    if by == "town":
        return Need.town_id
    if by == "transformation":
        return Need.transformation
    if by == "solver":
        if not src.has_solver:
            raise ValidationFailed(
                "按揭榜单位分组只适用于对接数（matched）和转化数（converted）", code="bad_dimension"
            )
        return src.solver_col  # the caller built src with with_solver=True
    return None  # unreachable after check_dimension


def check_measure(measure: str, *, plan_metric: bool = False) -> str:
    allowed = [m.value for m in METRICS] if plan_metric else list(MEASURES)
    if measure not in allowed:
        raise ValidationFailed(
            f"不支持的指标（metric）：“{str(measure)[:30]}”，可选："
            + "、".join(f"{k}（{MEASURES[k]}）" for k in allowed),
            code="bad_metric",
        )
    return measure


def check_dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise ValidationFailed(
            f"不支持的分组维度（by）：“{str(by)[:30]}”，可选："
            + "、".join(f"{k}（{v}）" for k, v in DIMENSIONS.items()),
            code="bad_dimension",
        )
    return by


@dataclass(frozen=True)
class Selection:
    """One number on the dashboard: a measure in a period, optionally one dimension value.

    ``count()`` and ``rows()`` are built from the same query, so they always agree.
    """

    measure: str
    period: Period = Period()
    by: str | None = None
    key: str | None = None  # None: every value of ``by``; UNASSIGNED: not filled in

    def __post_init__(self) -> None:
        check_measure(self.measure)
        if self.by is not None:
            check_dimension(self.by)
            _dimension_col(self.by, _source(self.measure, self.period, with_solver=True))
            self._parse_key()

    def _parse_key(self) -> Any:
        if self.key is None or self.key == UNASSIGNED:
            return None
        if self.by == "transformation":
            try:
                return Transformation(self.key)
            except ValueError:
                raise ValidationFailed("改造类型无效", code="bad_key") from None
        if not str(self.key).isdigit() or len(str(self.key)) > 9:
            raise ValidationFailed("分组取值无效", code="bad_key")
        return int(self.key)

    def _query(self, src: Source, *columns: Any) -> Select:
        query = select(*columns).select_from(src.from_).where(*src.preds)
        if self.by is not None and self.key is not None:  # key "none": not filled in
            col = _dimension_col(self.by, src)
            value = self._parse_key()
            query = query.where(col.is_(None) if value is None else col == value)
        return query

    def count(self) -> int:
        src = _source(
            self.measure, self.period, with_solver=self.by == "solver" and self.key is not None
        )
        return db.session.execute(self._query(src, func.count())).scalar_one()

    def rows(self, limit: int | None = None, offset: int = 0) -> list[DrillRow]:
        src = _source(self.measure, self.period, with_solver=True)
        query = (
            self._query(
                src,
                Need,
                src.date_col.label("on"),
                src.solver_col.label("solver_id"),
                src.match_col.label("match_id"),
            )
            .order_by(src.date_col, Need.id)
            .options(
                joinedload(Need.organization), joinedload(Need.town), joinedload(Need.industry)
            )
        )
        if limit is not None:
            query = query.limit(limit).offset(offset)
        result = db.session.execute(query).all()
        solvers = _names(Organization, {r.solver_id for r in result if r.solver_id})
        return [
            DrillRow(r.Need, _as_local_date(r.on), solvers.get(r.solver_id), r.match_id)
            for r in result
        ]

    @property
    def label(self) -> str:
        return MEASURES[self.measure]


@dataclass
class DrillRow:
    need: Need
    on: date | None
    solver: str | None
    match_id: int | None


def _as_local_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(LOCAL_TZ).date()
    if isinstance(value, str):  # a subquery column read back raw on SQLite
        return date.fromisoformat(value[:10])
    return value


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


# --- progress against a plan -------------------------------------------------------------------


def by_year(measure: str) -> dict[int, int]:
    """Counts per Beijing calendar year, for every year that has data (no plan applied)."""
    src = _source(measure, Period())
    year = _year_case(src.date_col) if src.is_timestamp else extract("year", src.date_col)
    if year is None:
        return {}
    rows = db.session.execute(
        select(year.label("y"), func.count())
        .select_from(src.from_)
        .where(*src.preds)
        .group_by(year)
    ).all()
    return {int(y): n for y, n in sorted(rows) if n}


def _year_case(ts: Any) -> Any:
    """The Beijing year of a UTC timestamp column as CASE over range predicates.

    The years come from MIN/MAX (index lookups); comparing the stored value with constant
    bounds is much cheaper than date functions on every row, and is the same SQL on SQLite
    and PostgreSQL.
    """
    # Two statements: SQLite answers a lone MIN() or MAX() from the index, not both at once.
    lo = db.session.execute(select(func.min(ts))).scalar()
    hi = db.session.execute(select(func.max(ts))).scalar()
    if lo is None:
        return None
    first, last = _as_local_date(lo).year, _as_local_date(hi).year
    whens = [(ts < local_midnight(date(y + 1, 1, 1)), y) for y in range(first, last)]
    return case(*whens, else_=last) if whens else literal(last)


@dataclass
class MetricProgress:
    metric: Metric
    by_year: dict[int, int]
    cumulative: dict[int, int]
    targets: dict[int, int]

    def rate(self, year: int) -> float | None:
        """Share of the year's target reached (cumulative / target)."""
        target = self.targets.get(year)
        if not target or year not in self.cumulative:
            return None
        return self.cumulative[year] / target

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            "by_year": {str(y): n for y, n in self.by_year.items()},
            "cumulative": {str(y): n for y, n in self.cumulative.items()},
            "targets": {str(y): n for y, n in self.targets.items()},
        }


@dataclass
class Projection:
    """This year's outcome at the pace so far (linear in elapsed days)."""

    metric: Metric
    year: int
    as_of: date
    ytd: int
    elapsed_days: int
    year_days: int
    base: int  # cumulative up to the end of last year, within the plan
    projected_year: int
    target_year: int | None
    target: int | None
    expected: int | None  # projected cumulative at the end of target_year

    @property
    def projected_cumulative(self) -> int:
        return self.base + self.projected_year

    @property
    def short(self) -> bool:
        return self.target is not None and self.expected is not None and self.expected < self.target

    @property
    def shortfall(self) -> int:
        return max(0, (self.target or 0) - (self.expected or 0))

    @property
    def still_needed(self) -> int | None:
        if self.target is None:
            return None
        return max(0, self.target - self.base - self.ytd)

    @property
    def early(self) -> bool:
        return self.elapsed_days < 31


@dataclass
class Progress:
    plan: Plan
    as_of: date
    metrics: dict[Metric, MetricProgress]
    projections: dict[Metric, Projection | None]

    @property
    def years(self) -> list[int]:
        """Plan years plus any other year with data, in order (for tables and charts)."""
        years = set(self.plan.years)
        for mp in self.metrics.values():
            years.update(mp.by_year)
        return sorted(years)

    @property
    def current_in_plan(self) -> bool:
        return self.plan.contains(self.as_of.year)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.name,
            "metrics": {m.value: mp.as_json() for m, mp in self.metrics.items()},
        }


def progress(plan: Plan, on: date | None = None) -> Progress:
    on = on or today()
    metrics: dict[Metric, MetricProgress] = {}
    projections: dict[Metric, Projection | None] = {}
    for metric in METRICS:
        counts = by_year(metric.value)
        cumulative, running = {}, 0
        for year in plan.years:
            if year > on.year:
                break
            running += counts.get(year, 0)
            cumulative[year] = running
        mp = MetricProgress(metric, counts, cumulative, dict(plan.targets.get(metric, {})))
        metrics[metric] = mp
        projections[metric] = _project(plan, mp, on)
    return Progress(plan, on, metrics, projections)


def _project(plan: Plan, mp: MetricProgress, on: date) -> Projection | None:
    year = on.year
    if not plan.contains(year):
        return None
    year_days = 366 if calendar.isleap(year) else 365
    elapsed = (on - date(year, 1, 1)).days + 1
    ytd = mp.by_year.get(year, 0)
    base = sum(n for y, n in mp.by_year.items() if plan.start_year <= y < year)
    pace = ytd / elapsed  # per day
    projected_year = round(pace * year_days)
    target_year = next((y for y in sorted(mp.targets) if y >= year), None)
    expected = None
    if target_year is not None:
        expected = base + round(pace * year_days * (target_year - year + 1))
    return Projection(
        mp.metric,
        year,
        on,
        ytd,
        elapsed,
        year_days,
        base,
        projected_year,
        target_year,
        mp.targets.get(target_year) if target_year else None,
        expected,
    )


# --- breakdowns ---------------------------------------------------------------------------------


@dataclass
class BreakdownRow:
    key: str | None  # id, enum value, or None for "not filled in"
    label: str
    counts: dict[str, int]
    position: int = 0

    @property
    def link_key(self) -> str:
        return self.key if self.key is not None else UNASSIGNED


NEED_DIMENSIONS = ("industry", "town", "transformation")


def _cube(measure: str, period: Period) -> list[tuple[Any, Any, Any, int]]:
    """Counts by (industry, town, transformation) at once: one scan serves all three
    breakdowns (and the town ranking). Memoised for the request or command."""
    memo = g.setdefault("_stats_cubes", {}) if has_app_context() else {}
    key = (measure, period)
    if key not in memo:
        src = _source(measure, period)
        cols = (Need.industry_id, Need.town_id, Need.transformation)
        memo[key] = [
            (i, t, (tr.value if isinstance(tr, Transformation) else tr), n)
            for i, t, tr, n in db.session.execute(
                select(*cols, func.count()).select_from(src.from_).where(*src.preds).group_by(*cols)
            ).all()
        ]
    return memo[key]


def grouped_counts(measure: str, by: str, period: Period) -> dict[Any, int]:
    check_dimension(by)
    if by in NEED_DIMENSIONS:
        position = NEED_DIMENSIONS.index(by)
        out: dict[Any, int] = {}
        for row in _cube(measure, period):
            out[row[position]] = out.get(row[position], 0) + row[3]
        return out
    src = _source(measure, period, with_solver=True)
    col = _dimension_col(by, src)
    rows = db.session.execute(
        select(col, func.count()).select_from(src.from_).where(*src.preds).group_by(col)
    ).all()
    return dict(rows)


def breakdown(
    by: str, period: Period, measures: Iterable[str] = ("posted", "matched", "converted")
) -> list[BreakdownRow]:
    """One row per value of the dimension with the count of each measure.

    Industries, towns and transformation types are listed whether or not they have data
    (active ones); solver organizations only when they count in some measure.
    """
    check_dimension(by)
    measures = [m for m in measures if not (by == "solver" and m not in ("matched", "converted"))]
    counts = {m: grouped_counts(m, by, period) for m in measures}
    keys_with_data = {k for c in counts.values() for k, n in c.items() if n}
    labels: list[tuple[Any, str, int]] = []
    if by == "transformation":
        labels = [(t.value, t.label, i) for i, t in enumerate(Transformation)]
    elif by in ("industry", "town"):
        model = Industry if by == "industry" else Town
        for entry in db.session.execute(select(model).order_by(model.position, model.id)).scalars():
            if entry.active or entry.id in keys_with_data:
                labels.append((entry.id, entry.name, entry.position))
    else:
        names = _names(Organization, {k for k in keys_with_data if k is not None})
        labels = [(k, names.get(k, f"单位#{k}"), 0) for k in names]
    rows = [
        BreakdownRow(
            None if k is None else str(k), label, {m: counts[m].get(k, 0) for m in measures}, pos
        )
        for k, label, pos in labels
    ]
    if None in keys_with_data:
        rows.append(
            BreakdownRow(None, "未填写", {m: counts[m].get(None, 0) for m in measures}, 10**6)
        )
    first = measures[0]
    rows.sort(key=lambda r: (-r.counts[first], r.position, r.label))
    return rows


# --- response figures ---------------------------------------------------------------------------


@dataclass
class Median:
    days: float | None
    n: int


def _median(histogram: list[tuple[int, int]]) -> Median:
    histogram = sorted((int(d), n) for d, n in histogram if d is not None)
    total = sum(n for _, n in histogram)
    if not total:
        return Median(None, 0)
    lo_rank, hi_rank = (total - 1) // 2, total // 2
    lo = hi = None
    seen = 0
    for value, n in histogram:
        if lo is None and lo_rank < seen + n:
            lo = value
        if hi_rank < seen + n:
            hi = value
            break
        seen += n
    return Median((lo + hi) / 2, total)


def _histogram(diff: Any, from_: Any, preds: list[ColumnElement[bool]]) -> Median:
    rows = db.session.execute(
        select(diff.label("d"), func.count()).select_from(from_).where(*preds).group_by(diff)
    ).all()
    return _median([(d, n) for d, n in rows])


@dataclass
class ResponseFigures:
    period: Period
    posted: int
    responded: int
    first_bid: Median
    signing: Median
    conversion: Median

    @property
    def share(self) -> float | None:
        return self.responded / self.posted if self.posted else None


def response(period: Period) -> ResponseFigures:
    """For the needs posted in the period: how many drew a bid and how fast things moved.

    Days are Beijing calendar days from the day of first publishing to the day of the first
    (not withdrawn) bid, the first signing and the first confirmed conversion.
    """
    posted_preds = [
        Need.first_published_at.is_not(None),
        *_ts_range(Need.first_published_at, period),
    ]
    first_bid = (
        select(Bid.need_id.label("need_id"), func.min(Bid.created_at).label("at"))
        .where(Bid.status.in_(RESPONSE_BID_STATUSES))
        .group_by(Bid.need_id)
        .subquery("first_bid")
    )
    published_day = local_day(Need.first_published_at)
    medians = []
    medians.append(
        _histogram(
            local_day(first_bid.c.at) - published_day,
            first_bid.join(Need.__table__, Need.id == first_bid.c.need_id),
            posted_preds,
        )
    )
    for first in (first_signed(), first_converted()):
        medians.append(
            _histogram(
                day_number(first.c.on) - published_day,
                first.join(Need.__table__, Need.id == first.c.need_id),
                posted_preds,
            )
        )
    return ResponseFigures(
        period,
        Selection("posted", period).count(),
        Selection("responded", period).count(),
        *medians,
    )


RISK_DAYS = 30
RISK_STATUSES = (NeedStatus.published, NeedStatus.closed)


def lapse_risk_query(on: date | None = None, days: int = RISK_DAYS) -> Select:
    """流榜 risk: needs on the board for at least ``days`` days with no live bid and no match.

    A live bid is one still submitted, shortlisted or accepted: if every bid was withdrawn or
    declined, nobody is taking the need up and it needs the bureau's follow-up.
    """
    on = on or today()
    live = (BidStatus.submitted, BidStatus.shortlisted, BidStatus.accepted)
    return (
        select(Need)
        .where(
            Need.status.in_(RISK_STATUSES),
            Need.first_published_at < local_midnight(on - timedelta(days=days - 1)),
            ~_live_bid_exists(live),
            ~exists().where(Match.need_id == Need.id),
        )
        .order_by(Need.first_published_at, Need.id)
    )


def lapse_risk(on: date | None = None, limit: int | None = None) -> tuple[list[Need], int]:
    query = lapse_risk_query(on)
    total = db.session.execute(
        query.with_only_columns(func.count(Need.id)).order_by(None)
    ).scalar_one()
    if limit is not None:
        query = query.limit(limit)
    query = query.options(
        joinedload(Need.organization), joinedload(Need.town), joinedload(Need.industry)
    )
    return list(db.session.execute(query).scalars()), total


# --- the town ranking (赛马) --------------------------------------------------------------------

RANK_SORTS = {"posted": "发榜数", "converted": "转化数", "rate": "转化率"}


@dataclass
class TownRank:
    key: str | None
    name: str
    posted: int
    converted: int
    posted_converted: int
    position: int = 0
    rank: int = 0

    @property
    def rate(self) -> float | None:
        """Share of the needs posted in the period that were converted by its end."""
        return self.posted_converted / self.posted if self.posted else None

    @property
    def link_key(self) -> str:
        return self.key if self.key is not None else UNASSIGNED


def town_ranking(period: Period, sort: str = "posted") -> list[TownRank]:
    """Towns ranked for a period (ties share a rank: 1, 1, 3)."""
    if sort not in RANK_SORTS:
        raise ValidationFailed("排序方式无效，可选：posted、converted、rate", code="bad_sort")
    # Needs without a town are no town's merit: they stay out of the ranking.
    rows = [
        r
        for r in breakdown("town", period, ("posted", "converted", "posted_converted"))
        if r.key is not None
    ]
    ranked = [
        TownRank(
            r.key,
            r.label,
            r.counts["posted"],
            r.counts["converted"],
            r.counts["posted_converted"],
            r.position,
        )
        for r in rows
    ]

    def score(t: TownRank) -> tuple:
        if sort == "rate":  # towns that posted nothing have no rate and come last
            return (t.rate is not None, t.rate or 0.0)
        return (getattr(t, sort),)

    ranked.sort(key=lambda t: t.position)
    ranked.sort(key=score, reverse=True)  # stable: equal scores keep the towns' usual order
    previous = None
    for i, t in enumerate(ranked, start=1):
        s = score(t)
        t.rank = ranked[i - 2].rank if previous == s else i
        previous = s
    return ranked


# --- defaults for pages -----------------------------------------------------------------------


def plan_period(plan: Plan | None, on: date | None = None) -> Period:
    """The plan's years up to today (or everything when there is no plan)."""
    on = on or today()
    if plan is None:
        return Period(None, on)
    end = min(date(plan.end_year, 12, 31), on)
    return Period(date(plan.start_year, 1, 1), max(end, date(plan.start_year, 1, 1)))


def quick_periods(plan: Plan | None, on: date | None = None) -> list[tuple[str, Period]]:
    on = on or today()
    quarter_start = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    last_q_end = quarter_start - timedelta(days=1)
    last_q_start = date(last_q_end.year, 3 * ((last_q_end.month - 1) // 3) + 1, 1)
    out = [
        ("本年", Period(date(on.year, 1, 1), on)),
        ("上年", Period.year(on.year - 1)),
        ("本季度", Period(quarter_start, on)),
        ("上季度", Period(last_q_start, last_q_end)),
    ]
    if plan is not None:
        out.append(("本规划期", plan_period(plan, on)))
    return out


# --- the whole report (page, printable report and Excel export share it) ----------------------


@dataclass
class Report:
    plan: Plan | None
    period: Period
    as_of: date
    progress: Progress | None
    breakdowns: dict[str, list[BreakdownRow]]
    response: ResponseFigures
    ranking: list[TownRank]
    risk: list[Need]
    risk_total: int


def report(
    plan: Plan | None,
    period: Period,
    on: date | None = None,
    rank_by: str = "posted",
    risk_limit: int | None = None,
) -> Report:
    on = on or today()
    risk, risk_total = lapse_risk(on, limit=risk_limit)
    return Report(
        plan,
        period,
        on,
        progress(plan, on) if plan else None,
        {by: breakdown(by, period) for by in DIMENSIONS},
        response(period),
        town_ranking(period, rank_by),
        risk,
        risk_total,
    )
