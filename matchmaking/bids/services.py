"""The rules of bids (揭榜申报), questions and the enterprise's selection (DESIGN.md).

Bid: submitted → shortlisted → accepted | declined; submitted | shortlisted → withdrawn.
- only users of verified university/institute organizations bid, only on needs that are
  published and before their deadline; one live bid per organization and need (the
  partial unique index ``uq_bids_live_per_org`` is the real guard, the check here only
  gives the friendlier message first);
- a bid can be edited until the deadline and withdrawn until the enterprise decides;
- accepting a bid opens a match (对接记录) in ``negotiating``.

Every function checks the actor and the transition, writes an audit event in the caller's
transaction and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matchmaking.accounts.models import User
from matchmaking.audit.services import record
from matchmaking.bids.models import (
    LIVE_BID_STATUSES,
    PENDING_BID_STATUSES,
    Bid,
    BidStatus,
    Question,
)
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.needs.services import ensure_current
from matchmaking.timeutil import utcnow

# Needs on which the enterprise may still choose a bid: before or after the deadline, and
# also when one match is already signed (an enterprise may accept more than one bid).
SELECTABLE_NEED_STATUSES = frozenset({NeedStatus.published, NeedStatus.closed, NeedStatus.matched})
MAX_PRICE_WAN = Decimal("1000000")


class DuplicateBid(IllegalTransition):
    code = "duplicate_bid"


@dataclass
class BidData:
    """What a solver may set on a bid: nothing else reaches the model."""

    approach: str
    team_lead: str
    duration_months: int
    price_wan: Decimal | None  # None = 面议
    team_members: str = ""
    prior_results: str = ""


@dataclass
class Attachment:
    name: str
    key: str
    size: int


def _check_data(data: BidData) -> None:
    if not (data.approach or "").strip():
        raise ValidationFailed("请填写技术方案", code="approach_required")
    if len(data.approach) > 10000:
        raise ValidationFailed("技术方案最多 10000 字", code="approach_too_long")
    if not (data.team_lead or "").strip():
        raise ValidationFailed("请填写项目负责人", code="team_lead_required")
    if len(data.team_lead) > 50:
        raise ValidationFailed("项目负责人最多 50 个字", code="team_lead_too_long")
    if len(data.team_members or "") > 3000 or len(data.prior_results or "") > 5000:
        raise ValidationFailed("团队成员最多 3000 字，相关成果最多 5000 字", code="too_long")
    if not isinstance(data.duration_months, int) or not 1 <= data.duration_months <= 120:
        raise ValidationFailed("预计周期须为 1–120 个月", code="bad_duration")
    if data.price_wan is not None and (
        not data.price_wan.is_finite()
        or data.price_wan < 0
        or data.price_wan > MAX_PRICE_WAN
        or data.price_wan != data.price_wan.quantize(Decimal("0.01"))
    ):
        raise ValidationFailed(
            "报价须为 0–1,000,000 万元之间的数字，最多两位小数", code="bad_price"
        )


def _require_solver(actor: User) -> None:
    if not (
        actor and actor.is_authenticated and actor.is_solver and actor.organization.kind.is_solver
    ):
        raise PermissionDenied("只有高校、科研院所用户可以揭榜", code="not_solver")
    if not actor.organization.is_verified:
        raise PermissionDenied("本单位尚未通过科技局认证，暂不能揭榜", code="org_unverified")


def _require_open(need: Need) -> None:
    ensure_current(need)
    if need.status is not NeedStatus.published:
        if need.status is NeedStatus.closed:
            raise IllegalTransition("该需求已过揭榜截止日期，不再接受申报", code="deadline_passed")
        raise IllegalTransition(
            f"{need.status.label}状态的需求不接受揭榜申报", code="need_not_open"
        )


def _require_need_owner(bid_or_need: Bid | Need, actor: User) -> Need:
    need = bid_or_need.need if isinstance(bid_or_need, Bid) else bid_or_need
    if not need.is_owned_by(actor):
        raise PermissionDenied("只有发布该需求的企业可以进行此操作")
    return need


def live_bid_of(need: Need, organization_id: int) -> Bid | None:
    return (
        db.session.execute(
            select(Bid).where(
                Bid.need_id == need.id,
                Bid.organization_id == organization_id,
                Bid.status.in_(LIVE_BID_STATUSES),
            )
        )
        .scalars()
        .first()
    )


def submit_bid(need: Need, actor: User, data: BidData, attachment: Attachment | None = None) -> Bid:
    """A new bid of the actor's organization; DuplicateBid if it already has a live one."""
    _require_solver(actor)
    _require_open(need)
    _check_data(data)
    if live_bid_of(need, actor.organization_id) is not None:
        raise DuplicateBid("本单位已对该需求提交过揭榜申报，请修改已有的申报")
    bid = Bid(
        need_id=need.id,
        organization_id=actor.organization_id,
        created_by_id=actor.id,
        status=BidStatus.submitted,
    )
    for f in fields(BidData):
        setattr(bid, f.name, getattr(data, f.name))
    _set_attachment(bid, attachment)
    bid.need = need
    try:
        # A colleague may have bid in the same moment: the partial unique index decides.
        with db.session.begin_nested():
            db.session.add(bid)
            db.session.flush([bid])
    except IntegrityError:
        raise DuplicateBid("本单位已对该需求提交过揭榜申报，请修改已有的申报") from None
    record(
        "bid.submit",
        actor=actor,
        obj=bid,
        to_state=bid.status,
        details={"need": need.ref, "has_attachment": attachment is not None},
    )
    return bid


def _set_attachment(bid: Bid, attachment: Attachment | None) -> str | None:
    """Set a new attachment; returns the key of the file it replaces (to delete after commit)."""
    if attachment is None:
        return None
    old = bid.attachment_key
    bid.attachment_name, bid.attachment_key, bid.attachment_size = (
        attachment.name,
        attachment.key,
        attachment.size,
    )
    return old


def update_bid(
    bid: Bid, actor: User, data: BidData, attachment: Attachment | None = None
) -> tuple[list[str], str | None]:
    """Edit a pending bid before the deadline. Returns (changed fields, replaced file key)."""
    if not bid.is_authored_by(actor):
        raise PermissionDenied("只有申报单位可以修改揭榜申报")
    _require_solver(actor)
    if bid.status not in PENDING_BID_STATUSES:
        raise IllegalTransition(f"{bid.status.label}的申报不能修改")
    _require_open(bid.need)
    _check_data(data)
    changed = [f.name for f in fields(BidData) if getattr(bid, f.name) != getattr(data, f.name)]
    for name in changed:
        setattr(bid, name, getattr(data, name))
    replaced = _set_attachment(bid, attachment)
    if attachment is not None:
        changed.append("attachment")
    if changed:
        bid.updated_at = utcnow()
        record(
            "bid.update",
            actor=actor,
            obj=bid,
            from_state=bid.status,
            to_state=bid.status,
            details={"fields": changed},
        )
    return changed, replaced


def withdraw_bid(bid: Bid, actor: User, reason: str = "") -> None:
    if not bid.is_authored_by(actor):
        raise PermissionDenied("只有申报单位可以撤回揭榜申报")
    if bid.status not in PENDING_BID_STATUSES:
        raise IllegalTransition(f"{bid.status.label}的申报不能撤回（企业已作出决定或已撤回）")
    before = bid.status
    bid.status = BidStatus.withdrawn
    bid.withdrawn_at = utcnow()
    record(
        "bid.withdraw",
        actor=actor,
        obj=bid,
        from_state=before,
        to_state=bid.status,
        reason=(reason or "").strip() or None,
    )


def _require_selectable(need: Need) -> None:
    ensure_current(need)
    if need.status not in SELECTABLE_NEED_STATUSES:
        raise IllegalTransition(
            f"{need.status.label}状态的需求不能再选择揭榜方", code="need_not_selectable"
        )


def shortlist_bid(bid: Bid, actor: User) -> None:
    need = _require_need_owner(bid, actor)
    _require_selectable(need)
    if bid.status is not BidStatus.submitted:
        raise IllegalTransition(f"只能将“已提交”的申报列入入围（当前：{bid.status.label}）")
    bid.status = BidStatus.shortlisted
    record(
        "bid.shortlist", actor=actor, obj=bid, from_state=BidStatus.submitted, to_state=bid.status
    )


def accept_bid(bid: Bid, actor: User) -> Match:
    """选中: the bid is accepted and a match opens in ``negotiating``."""
    need = _require_need_owner(bid, actor)
    _require_selectable(need)
    if bid.status not in PENDING_BID_STATUSES:
        raise IllegalTransition(f"{bid.status.label}的申报不能选中")
    before = bid.status
    now = utcnow()
    bid.status = BidStatus.accepted
    bid.decided_at = now
    match = Match(
        need_id=need.id,
        bid_id=bid.id,
        solver_org_id=bid.organization_id,
        status=MatchStatus.negotiating,
        accepted_at=now,
    )
    db.session.add(match)
    db.session.flush([match])
    record(
        "bid.accept",
        actor=actor,
        obj=bid,
        from_state=before,
        to_state=bid.status,
        details={"match": match.id},
    )
    record(
        "match.open",
        actor=actor,
        obj=match,
        to_state=match.status,
        details={"need": need.ref, "bid": bid.id},
    )
    return match


def decline_bid(bid: Bid, actor: User, reason: str = "") -> None:
    _require_need_owner(bid, actor)
    if bid.status not in PENDING_BID_STATUSES:
        raise IllegalTransition(f"{bid.status.label}的申报不能标记为未选中")
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationFailed("理由最多 1000 字", code="reason_too_long")
    before = bid.status
    bid.status = BidStatus.declined
    bid.decided_at = utcnow()
    bid.decline_reason = reason or None
    record(
        "bid.decline",
        actor=actor,
        obj=bid,
        from_state=before,
        to_state=bid.status,
        reason=reason or None,
    )


def decline_other_bids(need: Need, actor: User, reason: str = "") -> int:
    """Decline every bid on the need still waiting for a decision; returns how many."""
    _require_need_owner(need, actor)
    pending = (
        db.session.execute(
            select(Bid)
            .where(Bid.need_id == need.id, Bid.status.in_(PENDING_BID_STATUSES))
            .order_by(Bid.id)
        )
        .scalars()
        .all()
    )
    for bid in pending:
        decline_bid(bid, actor, reason)
    return len(pending)


def decline_pending_on_lapse(need: Need) -> int:
    """When a need lapses (流榜), the bids still waiting are closed as not selected."""
    pending = (
        db.session.execute(
            select(Bid).where(Bid.need_id == need.id, Bid.status.in_(PENDING_BID_STATUSES))
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for bid in pending:
        before = bid.status
        bid.status, bid.decided_at, bid.decline_reason = BidStatus.declined, now, "需求已流榜"
        record("bid.decline", obj=bid, from_state=before, to_state=bid.status, reason="需求已流榜")
    return len(pending)


# --- questions ---------------------------------------------------------------------------------


def ask_question(need: Need, actor: User, body: str) -> Question:
    _require_solver(actor)
    _require_open(need)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("请填写问题", code="question_required")
    if len(body) > 1000:
        raise ValidationFailed("问题最多 1000 字", code="question_too_long")
    question = Question(
        need_id=need.id, organization_id=actor.organization_id, asked_by_id=actor.id, body=body
    )
    db.session.add(question)
    db.session.flush([question])
    record("question.ask", actor=actor, obj=question, details={"need": need.ref})
    return question


def answer_question(question: Question, actor: User, answer: str) -> None:
    """The enterprise's answer; from now on the question is public, without the asker."""
    _require_need_owner(question.need, actor)
    if question.is_answered:
        raise IllegalTransition("该问题已经答复过", code="already_answered")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("请填写答复", code="answer_required")
    if len(answer) > 3000:
        raise ValidationFailed("答复最多 3000 字", code="answer_too_long")
    question.answer = answer
    question.answered_by_id = actor.id
    question.answered_at = utcnow()
    record("question.answer", actor=actor, obj=question, details={"need": question.need.ref})


# --- reads -------------------------------------------------------------------------------------


def bid_count(need: Need) -> int:
    """The number of bids other people may learn: every bid not withdrawn."""
    return db.session.execute(
        select(func.count(Bid.id)).where(Bid.need_id == need.id, Bid.status != BidStatus.withdrawn)
    ).scalar_one()


def bid_counts(need_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per need: total (not withdrawn) and pending (waiting for a decision)."""
    if not need_ids:
        return {}
    rows = db.session.execute(
        select(Bid.need_id, Bid.status, func.count(Bid.id))
        .where(Bid.need_id.in_(need_ids))
        .group_by(Bid.need_id, Bid.status)
    ).all()
    out: dict[int, dict[str, int]] = {}
    for need_id, status, count in rows:
        c = out.setdefault(need_id, {"total": 0, "pending": 0})
        if status is not BidStatus.withdrawn:
            c["total"] += count
        if status in PENDING_BID_STATUSES:
            c["pending"] += count
    return out


def bids_of_need(need: Need, *, include_withdrawn: bool = False) -> list[Bid]:
    query = select(Bid).where(Bid.need_id == need.id)
    if not include_withdrawn:
        query = query.where(Bid.status != BidStatus.withdrawn)
    return list(db.session.execute(query.order_by(Bid.created_at, Bid.id)).scalars())


def answered_questions(need: Need) -> list[Question]:
    return list(
        db.session.execute(
            select(Question)
            .where(Question.need_id == need.id, Question.answer.is_not(None))
            .order_by(Question.answered_at, Question.id)
        ).scalars()
    )


def questions_for(need: Need, user: User | None) -> list[Question]:
    """Every question on the need the user may see (answered ones are public)."""
    rows = db.session.execute(
        select(Question)
        .where(Question.need_id == need.id)
        .order_by(Question.created_at, Question.id)
    ).scalars()
    return [q for q in rows if q.can_view(user)]


__all__ = [
    "Attachment",
    "BidData",
    "DuplicateBid",
    "accept_bid",
    "answer_question",
    "ask_question",
    "bid_count",
    "bid_counts",
    "bids_of_need",
    "decline_bid",
    "decline_other_bids",
    "shortlist_bid",
    "submit_bid",
    "update_bid",
    "withdraw_bid",
]
