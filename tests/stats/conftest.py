"""A known history of needs, bids and matches, inserted with explicit dates, and the numbers
the counting rules of DESIGN.md give for it (worked out by hand in ``EXPECTED``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete

from matchmaking.accounts.models import Organization
from matchmaking.bids.models import Bid, BidStatus
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import Need, NeedStatus, Transformation
from matchmaking.stats.models import Metric, Target
from tests import factories

_refs = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class History:
    zhouquan: Organization
    puyuan: Organization
    u1: Organization
    u2: Organization
    needs: dict[str, Need] = field(default_factory=dict)
    matches: dict[str, Match] = field(default_factory=dict)


def _need(
    name: str,
    org: Organization,
    published: datetime | None,
    status: str,
    *,
    industry: str,
    transformation: str = "digital",
) -> Need:
    need = Need(
        ref=f"T-{name}-{next(_refs)}",
        organization_id=org.id,
        town_id=org.town_id,
        title=f"测试需求{name}",
        deadline=date(2030, 1, 1),
        industry_id=factories.industry(industry).id,
        transformation=Transformation(transformation),
        status=NeedStatus(status),
        first_published_at=published,
        created_at=published or utc(2025, 1, 1),
    )
    if status == "withdrawn":
        need.withdrawn_at = published
    db.session.add(need)
    db.session.flush()
    return need


def _match(
    need: Need,
    solver: Organization,
    status: str,
    *,
    signed: date | None = None,
    completed: date | None = None,
    confirmed: bool = False,
) -> Match:
    m = Match(
        need_id=need.id,
        solver_org_id=solver.id,
        status=MatchStatus(status),
        accepted_at=utc(2020, 1, 1),
        signed_on=signed,
        completed_on=completed,
    )
    if completed:
        m.conversion_recorded_at = utc(completed.year, completed.month, completed.day)
    if confirmed:
        m.confirmed_at = utc(completed.year, completed.month, completed.day, 6)
    if status == "terminated":
        m.terminated_at = utc(2025, 6, 1)
        m.termination_reason = "合作终止"
    db.session.add(m)
    db.session.flush()
    return m


def _bid(need: Need, solver: Organization, at: datetime, status: str = "submitted") -> Bid:
    bid = Bid(
        need_id=need.id,
        organization_id=solver.id,
        approach="方案",
        team_lead="李教授",
        duration_months=6,
        status=BidStatus(status),
        created_at=at,
        updated_at=at,
    )
    if status == "withdrawn":
        bid.withdrawn_at = at
    if status in ("accepted", "declined"):
        bid.decided_at = at
    db.session.add(bid)
    return bid


PLAN = "2022—2025年“两化”改造实施方案"
PLAN_TARGETS = {
    "posted": {2022: 39, 2023: 58, 2025: 97},
    "converted": {2022: 20, 2023: 30, 2025: 60},
}


@pytest.fixture
def seeded_plan(app) -> str:
    """The plan migration 0002 seeds (the test database is emptied between tests, so the
    migration's rows are there only for the first test: start from a clean slate)."""
    db.session.execute(delete(Target))
    for metric, by_year in PLAN_TARGETS.items():
        for year, value in by_year.items():
            db.session.add(
                Target(
                    plan=PLAN, plan_start_year=2022, metric=Metric(metric), year=year, value=value
                )
            )
    db.session.commit()
    return PLAN


@pytest.fixture
def history(app, seeded_plan) -> History:
    h = History(
        zhouquan=factories.organization("enterprise", town_name="洲泉镇"),
        puyuan=factories.organization("enterprise", town_name="濮院镇"),
        u1=factories.organization("university", name="浙江某大学"),
        u2=factories.organization("institute", name="某研究院"),
    )
    n = h.needs
    # posted 2022; signed 2022-05-01 and converted 2022-11-01 (U1)
    n["n1"] = _need("n1", h.zhouquan, utc(2022, 3, 1, 10), "converted", industry="化纤")
    h.matches["m1"] = _match(
        n["n1"],
        h.u1,
        "converted",
        signed=date(2022, 5, 1),
        completed=date(2022, 11, 1),
        confirmed=True,
    )
    _bid(n["n1"], h.u1, utc(2022, 3, 5, 2), "accepted")
    # posted 2022 and withdrawn afterwards: still counts as posted
    n["n2"] = _need("n2", h.zhouquan, utc(2022, 6, 1, 3), "withdrawn", industry="化纤")
    # 2022-12-31 23:00 in Beijing: posted 2022; signed in 2023 (U2)
    n["n3"] = _need("n3", h.zhouquan, utc(2022, 12, 31, 15), "matched", industry="化纤")
    _match(n["n3"], h.u2, "signed", signed=date(2023, 1, 10))
    _bid(n["n3"], h.u2, utc(2023, 1, 2, 0), "accepted")
    # 2023-01-01 01:00 in Beijing: posted 2023. Two matches: U1 signed 2023-03-01 and was
    # terminated (still the first signing); U2 signed later and converted in 2024.
    n["n4"] = _need("n4", h.zhouquan, utc(2022, 12, 31, 17), "converted", industry="化纤")
    _match(n["n4"], h.u1, "terminated", signed=date(2023, 3, 1))
    _match(
        n["n4"],
        h.u2,
        "converted",
        signed=date(2023, 6, 1),
        completed=date(2024, 2, 1),
        confirmed=True,
    )
    _bid(n["n4"], h.u1, utc(2023, 1, 1, 20), "accepted")
    _bid(n["n4"], h.u2, utc(2023, 2, 1, 0), "accepted")
    # 2024-01-01 04:00 in Beijing: posted 2024. Two converted matches: counted once, by the
    # first conversion (U1, 2024-12-31); first signing is U2's (2024-01-15).
    n["n5"] = _need(
        "n5",
        h.zhouquan,
        utc(2023, 12, 31, 20),
        "converted",
        industry="化纤",
        transformation="green",
    )
    _match(
        n["n5"],
        h.u1,
        "converted",
        signed=date(2024, 2, 1),
        completed=date(2024, 12, 31),
        confirmed=True,
    )
    _match(
        n["n5"],
        h.u2,
        "converted",
        signed=date(2024, 1, 15),
        completed=date(2025, 1, 5),
        confirmed=True,
    )
    _bid(n["n5"], h.u2, utc(2024, 1, 1, 0), "withdrawn")  # withdrawn: not a response
    _bid(n["n5"], h.u1, utc(2024, 1, 20, 1), "accepted")
    # never published: counts nowhere
    n["n6"] = _need("n6", h.zhouquan, None, "draft", industry="化纤")
    # posted 2024, signed 2024; conversion recorded but not confirmed: not converted
    n["n7"] = _need("n7", h.zhouquan, utc(2024, 5, 1, 2), "matched", industry="化纤")
    _match(n["n7"], h.u1, "signed", signed=date(2024, 6, 1), completed=date(2024, 9, 1))
    _bid(n["n7"], h.u1, utc(2024, 5, 11, 2), "accepted")
    # posted 2025 in 濮院镇, still on the board with only a withdrawn bid: 流榜 risk
    n["n8"] = _need(
        "n8", h.puyuan, utc(2025, 2, 1, 2), "published", industry="玻纤", transformation="green"
    )
    _bid(n["n8"], h.u1, utc(2025, 2, 3, 2), "withdrawn")
    # posted 2025, in negotiation only: not matched
    n["n9"] = _need(
        "n9", h.puyuan, utc(2025, 3, 1, 2), "matched", industry="玻纤", transformation="green"
    )
    _match(n["n9"], h.u2, "negotiating")
    _bid(n["n9"], h.u2, utc(2025, 3, 4, 2), "accepted")
    # posted 2023 in 濮院镇, signed then terminated: still matched in 2023
    n["n10"] = _need(
        "n10", h.puyuan, utc(2023, 5, 1, 2), "closed", industry="玻纤", transformation="green"
    )
    _match(n["n10"], h.u1, "terminated", signed=date(2023, 7, 1))
    _bid(n["n10"], h.u1, utc(2023, 5, 3, 2), "accepted")
    # published 2025, then an essential edit sent it back to review: still posted once
    n["n11"] = _need("n11", h.zhouquan, utc(2025, 4, 1, 2), "submitted", industry="化纤")
    db.session.commit()
    return h


EXPECTED = {
    "posted": {2022: 3, 2023: 2, 2024: 2, 2025: 3},
    "matched": {2022: 1, 2023: 3, 2024: 2},
    "converted": {2022: 1, 2024: 2},
}
