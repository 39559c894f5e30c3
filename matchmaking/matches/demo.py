"""Demo bids, questions and matches on top of the demo needs.

Everything goes through the real services (so the audit log and the need statuses are what
a real run would produce); afterwards the timestamps are moved back so the history spreads
over 2022–2026 and the bureau's dashboard has years to show. Every bid and match state
appears: submitted, shortlisted, accepted, declined, withdrawn; negotiating, signed,
conversion awaiting confirmation, converted (several years), terminated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from matchmaking.audit.services import record
from matchmaking.bids import services as bids
from matchmaking.bids.models import Bid
from matchmaking.extensions import db
from matchmaking.matches import services as matches
from matchmaking.needs import services as needs
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.timeutil import LOCAL_TZ, local, today

APPROACHES = [
    (
        "基于高速工业相机与轻量化深度学习模型的在线检测方案，边缘端推理，产线不停机改造。",
        "陈教授",
        "陈教授（负责人）\n刘副教授（算法）\n3 名博士研究生",
        12,
        "60",
        "相关方向发明专利 3 项，已在 2 家化纤企业应用。",
    ),
    (
        "采用多级换热与热泵耦合的余热回收工艺，先做能量审计，再分步实施。",
        "王研究员",
        "王研究员（负责人）\n赵高工（热工）\n孙工程师（自控）",
        18,
        "85",
        "承担省重点研发计划项目 1 项，节能改造案例 6 个。",
    ),
    (
        "以工艺机理模型结合生产数据建立数字孪生，分阶段上线排产与质量追溯模块。",
        "李教授",
        "李教授（负责人）\n周博士（数据）\n吴工程师（MES）",
        15,
        None,
        "主持国家自然科学基金 2 项，软件著作权 5 项。",
    ),
    (
        "新型催化氧化与吸附浓缩组合工艺，配套在线监测，满足排放标准。",
        "张研究员",
        "张研究员（负责人）\n钱博士（材料）",
        10,
        "48",
        "VOCs 治理示范工程 4 项。",
    ),
    (
        "表面改性与配方优化并行推进，小试、中试、量产三阶段验证。",
        "徐教授",
        "徐教授（负责人）\n何副研究员\n2 名硕士研究生",
        9,
        "36",
        "SCI 论文 12 篇，授权专利 4 项。",
    ),
]

RESULTS = [
    "完成中试并在 2 条产线稳定运行，关键指标全部达到榜单要求，年节约成本约 120 万元。",
    "系统已上线运行 6 个月，故障停机时间下降 35%，形成企业标准 1 项。",
    "完成工艺改造与验收，综合能耗下降 18%，通过第三方检测。",
    "新产品通过客户认证并小批量供货，新增产值约 800 万元。",
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), LOCAL_TZ).astimezone(UTC)


def _data(n: int, price: str | None = "auto") -> bids.BidData:
    approach, lead, team, months, quoted, prior = APPROACHES[n % len(APPROACHES)]
    value = quoted if price == "auto" else price
    return bids.BidData(
        approach=approach,
        team_lead=lead,
        team_members=team,
        duration_months=months,
        price_wan=Decimal(value) if value is not None else None,
        prior_results=prior,
    )


def _published_on(need: Need) -> date:
    return local(need.first_published_at).date()


def _close_at_history(need: Need) -> None:
    """Give a back-dated demo need a deadline 60 days after its publication, and close it."""
    need.deadline = _published_on(need) + timedelta(days=60)
    needs.ensure_current(need)


def _bid(need: Need, solver: Any, n: int, on: date, **kw: Any) -> Bid:
    if need.is_open_for_bids:
        bid = bids.submit_bid(need, solver, _data(n, **kw))
    else:
        # The demo closed this need before bids existed: add the bids it would have received.
        bid = Bid(
            need_id=need.id,
            organization_id=solver.organization_id,
            created_by_id=solver.id,
            **vars(_data(n, **kw)),
        )
        db.session.add(bid)
        db.session.flush([bid])
        record(
            "bid.submit",
            actor=solver,
            obj=bid,
            to_state=bid.status,
            details={"need": need.ref, "via": "demo"},
        )
    bid.created_at = bid.updated_at = _at(on, 9 + n % 8)
    return bid


def _history(
    need: Need,
    owner: Any,
    bureau: Any,
    solvers: list[Any],
    n: int,
    plan: str,
    sign_after: int = 75,
    done_after: int = 260,
    second: bool = True,
    two_matches: bool = False,
) -> None:
    """Bids while open, then selection, signing and (if planned) conversion, back-dated."""
    published = _published_on(need)
    winner = _bid(need, solvers[n % len(solvers)], n, published + timedelta(days=12))
    other = (
        _bid(need, solvers[(n + 2) % len(solvers)], n + 1, published + timedelta(days=20))
        if second
        else None
    )
    _close_at_history(need)
    decided = published + timedelta(days=68)
    match = bids.accept_bid(winner, owner)
    winner.decided_at = match.accepted_at = _at(decided)
    if other is not None and two_matches:
        # The enterprise chose two teams; the second contract is still under way, and the
        # need counts once however many of its matches convert.
        extra = bids.accept_bid(other, owner)
        other.decided_at = extra.accepted_at = _at(decided)
        matches.sign_match(
            extra,
            owner,
            matches.SignData(
                signed_on=published + timedelta(days=sign_after + 20),
                contract_amount_wan=Decimal("25"),
            ),
        )
    elif other is not None:
        bids.decline_bid(other, owner, "技术路线与企业现有设备匹配度较低，感谢参与。")
        other.decided_at = _at(decided)
    if plan == "negotiating":
        matches.add_milestone(
            match, owner, decided + timedelta(days=10), "双方完成首轮技术交流，确定中试方案。"
        )
        return
    signed = min(published + timedelta(days=sign_after), today() - timedelta(days=2))
    matches.sign_match(
        match,
        owner,
        matches.SignData(
            signed_on=signed,
            contract_amount_wan=Decimal(30 + (n * 7) % 90),
            contract_reg_no=f"33048{signed.year}{n:04d}" if n % 3 else "",
        ),
    )
    matches.add_milestone(
        match,
        solvers[n % len(solvers)],
        signed + timedelta(days=45),
        "完成小试，关键指标达到预期。",
    )
    if plan == "terminated":
        matches.terminate_match(match, owner, "中试效果未达预期，双方协商终止合作。")
        match.terminated_at = _at(signed + timedelta(days=150))
        return
    if plan == "signed":
        return
    completed = signed + timedelta(days=done_after)
    if completed >= today():
        return  # too recent to be finished: stays signed
    matches.record_conversion(match, owner, completed, RESULTS[n % len(RESULTS)])
    match.conversion_recorded_at = _at(completed + timedelta(days=5))
    if plan == "recorded":
        return
    matches.confirm_conversion(match, bureau)
    match.confirmed_at = _at(completed + timedelta(days=12))


# need index in demo_data.NEEDS → what happens to it (needs that the demo publishes)
HISTORY = {
    5: ("converted", 90, 270),
    7: ("converted", 80, 240),
    12: ("converted", 75, 300),
    13: ("terminated", 80, 0),
    14: ("converted", 85, 280),
    15: ("converted", 70, 330),
    16: ("converted", 90, 300),
    17: ("recorded", 110, 560),
    18: ("converted", 95, 400),
    20: ("converted", 75, 380),
    25: ("negotiating", 0, 0),
    26: ("converted", 80, 330),
    27: ("signed", 90, 0),
    28: ("converted", 70, 360),
    31: ("converted", 75, 300),
    38: ("recorded", 90, 200),
}


def seed(context: dict[str, Any]) -> None:
    """``context``: bureau (User), owners (enterprise Users), solvers (solver Users),
    needs (the demo Needs in creation order)."""
    bureau, owners, solvers = context["bureau"], context["owners"], context["solvers"]
    demo_needs: list[Need] = context["needs"]

    def owner_of(need: Need) -> Any:
        return next(o for o in owners if o.organization_id == need.organization_id)

    for n, (plan, sign_after, done_after) in HISTORY.items():
        if n >= len(demo_needs):
            continue
        need = demo_needs[n]
        if need.status not in (NeedStatus.published, NeedStatus.closed):
            continue
        _history(
            need,
            owner_of(need),
            bureau,
            solvers,
            n,
            plan,
            sign_after,
            done_after,
            second=n % 2 == 1 or n == 20,
            two_matches=n == 20,
        )

    # The open board: bids in every state and questions, nothing back-dated past the deadline.
    open_needs = [nd for nd in demo_needs if nd.status is NeedStatus.published]
    for i, need in enumerate(open_needs[:6]):
        owner = owner_of(need)
        started = max(_published_on(need), today() - timedelta(days=40))
        made = [
            _bid(
                need,
                solvers[(i + k) % len(solvers)],
                i + k,
                min(started + timedelta(days=3 * k + 1), today()),
            )
            for k in range(3 - i % 2 if i < 4 else 1)
        ]
        ask = solvers[(i + 3) % len(solvers)]
        question = bids.ask_question(
            need, ask, "现有产线的数据采集接口是否开放？能否提供近三个月的工艺数据？"
        )
        if i % 2 == 0:
            bids.answer_question(
                question, owner, "接口可开放（OPC UA），签订保密协议后提供近三个月的脱敏数据。"
            )
        bids.ask_question(
            need, solvers[(i + 1) % len(solvers)], "验收指标是否以第三方检测报告为准？"
        )
        if i == 0:
            bids.shortlist_bid(made[1], owner)
            bids.withdraw_bid(made[2], made[2].created_by, "团队人员调整，暂不参与。")
        elif i == 1:
            match = bids.accept_bid(made[0], owner)
            matches.add_milestone(match, owner, today(), "已完成首次线上技术交流。")
        elif i == 2:
            match = bids.accept_bid(made[0], owner)
            bids.decline_bid(made[1], owner, "报价超出预算。")
            bids.decline_bid(made[2], owner)
            matches.sign_match(
                match,
                owner,
                matches.SignData(
                    signed_on=today(),
                    contract_amount_wan=Decimal("52"),
                    contract_reg_no="330483202611001",
                ),
            )
        elif i == 3:
            bids.decline_bid(made[0], owner, "技术路线与企业规划不一致。")
            bids.shortlist_bid(made[1], owner)
    db.session.flush()
