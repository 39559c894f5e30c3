"""Every number of the dashboard against the counting rules, on a known history."""

from __future__ import annotations

from datetime import date

import pytest

from matchmaking.errors import ValidationFailed
from matchmaking.stats import services as stats
from matchmaking.stats import targets
from matchmaking.stats.models import Metric
from matchmaking.stats.services import Period, Selection
from tests.stats.conftest import EXPECTED, PLAN, PLAN_TARGETS


def _ids(rows) -> set[int]:
    return {r.need.id for r in rows}


@pytest.mark.parametrize("metric", ["posted", "matched", "converted"])
def test_by_year_follows_the_counting_rules(history, metric):
    assert stats.by_year(metric) == EXPECTED[metric]


def test_each_year_drills_down_to_exactly_the_needs_counted(history):
    n = history.needs
    expected = {
        ("posted", 2022): {"n1", "n2", "n3"},
        ("posted", 2023): {"n4", "n10"},
        ("posted", 2024): {"n5", "n7"},
        ("posted", 2025): {"n8", "n9", "n11"},
        ("matched", 2022): {"n1"},
        ("matched", 2023): {"n3", "n4", "n10"},
        ("matched", 2024): {"n5", "n7"},
        ("matched", 2025): set(),
        ("converted", 2022): {"n1"},
        ("converted", 2023): set(),
        ("converted", 2024): {"n4", "n5"},
        ("converted", 2025): set(),
    }
    for (metric, year), names in expected.items():
        sel = Selection(metric, Period.year(year))
        assert _ids(sel.rows()) == {n[x].id for x in names}, (metric, year)
        assert sel.count() == len(names), (metric, year)


def test_progress_against_the_seeded_plan(history):
    plan = targets.find_plan(PLAN)
    assert plan is not None and plan.start_year == 2022 and plan.end_year == 2025
    p = stats.progress(plan, on=date(2026, 3, 1))
    assert p.as_json() == {
        "plan": PLAN,
        "metrics": {
            "posted": {
                "by_year": {"2022": 3, "2023": 2, "2024": 2, "2025": 3},
                "cumulative": {"2022": 3, "2023": 5, "2024": 7, "2025": 10},
                "targets": {"2022": 39, "2023": 58, "2025": 97},
            },
            "matched": {
                "by_year": {"2022": 1, "2023": 3, "2024": 2},
                "cumulative": {"2022": 1, "2023": 4, "2024": 6, "2025": 6},
                "targets": {},
            },
            "converted": {
                "by_year": {"2022": 1, "2024": 2},
                "cumulative": {"2022": 1, "2023": 1, "2024": 3, "2025": 3},
                "targets": {"2022": 20, "2023": 30, "2025": 60},
            },
        },
    }
    assert p.metrics[Metric.posted].rate(2025) == pytest.approx(10 / 97)
    assert p.metrics[Metric.posted].rate(2024) is None  # no target for 2024: none invented
    assert p.projections[Metric.posted] is None  # 2026 lies outside the plan


def test_cumulative_stops_at_the_current_year(history):
    p = stats.progress(targets.find_plan(PLAN), on=date(2024, 6, 30))
    assert p.metrics[Metric.posted].cumulative == {2022: 3, 2023: 5, 2024: 7}
    assert p.metrics[Metric.posted].by_year == EXPECTED["posted"]  # every year with data


def test_projection_from_the_pace_so_far(history):
    plan = targets.find_plan(PLAN)
    on = date(2025, 6, 30)  # day 181 of 365
    proj = stats.progress(plan, on=on).projections[Metric.posted]
    assert (proj.year, proj.ytd, proj.elapsed_days, proj.base) == (2025, 3, 181, 7)
    assert proj.projected_year == round(3 / 181 * 365)  # 6
    assert proj.expected == 7 + 6 and proj.target == 97 and proj.short
    assert proj.shortfall == 97 - 13
    assert proj.still_needed == 97 - 10


def test_projection_without_a_target_this_year_looks_at_the_next_one(history):
    plan = targets.find_plan(PLAN)
    proj = stats.progress(plan, on=date(2024, 12, 31)).projections[Metric.converted]
    # 2024 has no target; 2025 has 60: two years at 2024's pace on top of 1 before 2024.
    assert proj.target_year == 2025 and proj.target == 60
    assert proj.ytd == 2 and proj.expected == 1 + 2 * 2 and proj.short
    matched = stats.progress(plan, on=date(2024, 12, 31)).projections[Metric.matched]
    assert matched.target is None and not matched.short


def test_beijing_year_boundaries(history):
    n = history.needs
    assert _ids(Selection("posted", Period(date(2022, 12, 31), date(2022, 12, 31))).rows()) == {
        n["n3"].id
    }
    assert _ids(Selection("posted", Period(date(2023, 1, 1), date(2023, 1, 1))).rows()) == {
        n["n4"].id
    }
    assert _ids(Selection("posted", Period(date(2024, 1, 1), date(2024, 1, 1))).rows()) == {
        n["n5"].id
    }


def test_breakdowns_by_every_dimension(history):
    whole = Period()
    town = {r.label: r.counts for r in stats.breakdown("town", whole)}
    assert town["洲泉镇"] == {"posted": 7, "matched": 5, "converted": 3}
    assert town["濮院镇"] == {"posted": 3, "matched": 1, "converted": 0}
    assert town["乌镇镇"] == {"posted": 0, "matched": 0, "converted": 0}
    industry = {r.label: r.counts for r in stats.breakdown("industry", whole)}
    assert industry["化纤"] == {"posted": 7, "matched": 5, "converted": 3}
    assert industry["玻纤"] == {"posted": 3, "matched": 1, "converted": 0}
    trans = {r.key: r.counts for r in stats.breakdown("transformation", whole)}
    assert trans == {
        "digital": {"posted": 6, "matched": 4, "converted": 2},
        "green": {"posted": 4, "matched": 2, "converted": 1},
    }
    solver = {r.label: r.counts for r in stats.breakdown("solver", whole)}
    # attributed to the match that set the need's counting date
    assert solver == {
        "浙江某大学": {"matched": 4, "converted": 2},
        "某研究院": {"matched": 2, "converted": 1},
    }


def test_breakdown_rows_drill_down_to_their_counts(history):
    period = Period(date(2022, 1, 1), date(2025, 12, 31))
    for by in stats.DIMENSIONS:
        for row in stats.breakdown(by, period):
            for measure, count in row.counts.items():
                sel = Selection(measure, period, by, row.link_key)
                assert len(sel.rows()) == count == sel.count(), (by, row.label, measure)


def test_response_figures(history):
    r = stats.response(Period())
    assert (r.posted, r.responded) == (10, 7)
    assert r.share == pytest.approx(0.7)
    # first bid after 4, 2, 1, 19, 10, 2, 3 days (n5's withdrawn bid does not count)
    assert (r.first_bid.days, r.first_bid.n) == (3, 7)
    # signing after 61, 10, 59, 14, 31, 61 days
    assert (r.signing.days, r.signing.n) == (45, 6)
    # conversion after 245, 396, 365 days
    assert (r.conversion.days, r.conversion.n) == (365, 3)


def test_lapse_risk_lists_needs_without_a_live_bid_after_30_days(history):
    n = history.needs
    needs, total = stats.lapse_risk(on=date(2025, 6, 30))
    assert [x.id for x in needs] == [n["n8"].id] and total == 1
    # 29 days after publishing it is not yet at risk
    assert stats.lapse_risk(on=date(2025, 3, 2))[1] == 0  # published 2025-02-01
    assert stats.lapse_risk(on=date(2025, 3, 3))[1] == 1


def test_town_ranking(history):
    ranking = stats.town_ranking(Period.year(2024), "posted")
    top = ranking[0]
    assert (top.name, top.posted, top.converted, top.posted_converted, top.rank) == (
        "洲泉镇",
        2,
        2,
        1,
        1,
    )
    assert top.rate == pytest.approx(0.5)
    assert all(t.rank == 2 for t in ranking[1:])  # every other town shares rank 2
    by_posted = stats.town_ranking(Period.year(2025), "posted")
    assert [(t.name, t.posted, t.rank) for t in by_posted[:2]] == [
        ("濮院镇", 2, 1),
        ("洲泉镇", 1, 2),
    ]
    by_rate = stats.town_ranking(Period(date(2022, 1, 1), date(2024, 12, 31)), "rate")
    assert [(t.name, t.posted, t.posted_converted) for t in by_rate[:2]] == [
        ("洲泉镇", 6, 3),
        ("濮院镇", 1, 0),
    ]
    assert by_rate[2].rate is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"measure": "bogus"},
        {"measure": "posted", "by": "colour"},
        {"measure": "posted", "by": "solver"},
        {"measure": "posted", "by": "town", "key": "x"},
    ],
)
def test_selection_rejects_what_is_not_whitelisted(app, kwargs):
    with pytest.raises(ValidationFailed):
        Selection(**kwargs)


@pytest.mark.parametrize("raw", ["2024-13-01", "2024-1-1", "yesterday", "2024-02-30"])
def test_bad_dates(raw):
    with pytest.raises(ValidationFailed):
        Period.parse(raw, None)
    with pytest.raises(ValidationFailed):
        Period.parse("2025-01-02", "2025-01-01")


def test_the_fixture_plan_is_the_one_migration_0002_seeds():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "migrations/versions/0002_bids_matches_targets.py"
    spec = importlib.util.spec_from_file_location("m0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PLAN == PLAN and module.PLAN_TARGETS == PLAN_TARGETS
