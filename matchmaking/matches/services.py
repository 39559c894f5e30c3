"""The rules of matches (对接记录), from an accepted bid to a confirmed conversion (DESIGN.md).

Match: negotiating → signed → converted | terminated (terminated from negotiating or signed).
- ``sign_match`` (the need's enterprise): contract date (``signed_on``), amount in 万元,
  optional 技术合同登记号 and contract PDF; the need becomes ``matched``;
- ``record_conversion`` (the enterprise): completion date and result, the match stays
  ``signed`` and waits in the bureau's queue;
- ``confirm_conversion`` (the bureau): the match becomes ``converted`` (``confirmed_at``) and
  the need ``converted``; ``return_conversion`` sends a recorded conversion back with a reason;
- ``terminate_match`` (either party) with a reason; ``add_milestone`` while in progress.

Counting rules read ``signed_on`` and ``completed_on`` of converted matches; a terminated
match keeps its ``signed_on`` (a need once signed counts as matched).

Lapse rule (流榜): a need that closed (deadline passed) and has no match in negotiating,
signed or converted state ``LAPSE_AFTER_DAYS`` days (default 90) after its deadline lapses;
its bids still waiting for a decision are closed as not selected. ``flask matches lapse``
applies it (run it daily); until then the need simply shows as closed.

Every function checks the actor and the transition, writes an audit event in the caller's
transaction and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from matchmaking.accounts.models import Organization, User
from matchmaking.audit.services import record
from matchmaking.bids.services import Attachment, decline_pending_on_lapse
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus, Milestone
from matchmaking.needs import services as need_services
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.timeutil import LOCAL_TZ, local, today, utcnow

DEFAULT_LAPSE_AFTER_DAYS = 90
MAX_AMOUNT_WAN = Decimal("1000000")
# A match in one of these states keeps its need from lapsing.
LIVE_MATCH_STATUSES = (MatchStatus.negotiating, MatchStatus.signed, MatchStatus.converted)


@dataclass
class SignData:
    signed_on: date
    contract_amount_wan: Decimal
    contract_reg_no: str = ""


def _require_manager(match: Match, actor: User) -> None:
    if not match.can_manage(actor):
        raise PermissionDenied("只有发布该需求的企业可以进行此操作")


def _require_party(match: Match, actor: User) -> None:
    if not match.is_party(actor):
        raise PermissionDenied("只有对接双方可以进行此操作")


def _require_bureau(actor: User) -> None:
    if not (actor and actor.is_authenticated and actor.is_bureau):
        raise PermissionDenied("只有科技局可以进行此操作")


def _first_day(match: Match) -> date | None:
    published = match.need.first_published_at
    return local(published).date() if published else None


def sign_match(
    match: Match, actor: User, data: SignData, contract: Attachment | None = None
) -> None:
    """签约: negotiating → signed; the need becomes matched."""
    _require_manager(match, actor)
    if match.status is not MatchStatus.negotiating:
        raise IllegalTransition(f"只能对洽谈中的对接签约（当前：{match.status.label}）")
    if data.signed_on is None or data.signed_on > today():
        raise ValidationFailed("合同签订日期不能晚于今天", code="bad_signed_on")
    first = _first_day(match)
    if first and data.signed_on < first:
        raise ValidationFailed(
            f"合同签订日期不能早于需求发布日期（{first.isoformat()}）", code="bad_signed_on"
        )
    amount = data.contract_amount_wan
    if (
        amount is None
        or not amount.is_finite()
        or amount < 0
        or amount > MAX_AMOUNT_WAN
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise ValidationFailed(
            "合同金额须为 0–1,000,000 万元之间的数字，最多两位小数", code="bad_amount"
        )
    reg_no = (data.contract_reg_no or "").strip()
    if len(reg_no) > 60:
        raise ValidationFailed("技术合同登记号最多 60 个字符", code="bad_reg_no")
    need_services.mark_matched(match.need, actor, match_id=match.id)
    match.status = MatchStatus.signed
    match.signed_on = data.signed_on
    match.contract_amount_wan = amount
    match.contract_reg_no = reg_no or None
    if contract is not None:
        match.contract_file_name, match.contract_file_key = contract.name, contract.key
    record(
        "match.sign",
        actor=actor,
        obj=match,
        from_state=MatchStatus.negotiating,
        to_state=match.status,
        details={
            "signed_on": data.signed_on,
            "amount_wan": amount,
            "reg_no": reg_no or None,
            "has_contract": contract is not None,
        },
    )


def add_milestone(match: Match, actor: User, occurred_on: date, note: str) -> Milestone:
    _require_party(match, actor)
    if not match.is_in_progress:
        raise IllegalTransition(f"{match.status.label}的对接不能再记录进展")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写进展说明", code="note_required")
    if len(note) > 2000:
        raise ValidationFailed("进展说明最多 2000 字", code="note_too_long")
    if (
        occurred_on is None
        or occurred_on.year < 2000
        or occurred_on > today() + timedelta(days=3660)
    ):
        raise ValidationFailed("请填写有效的日期", code="bad_date")
    milestone = Milestone(match=match, occurred_on=occurred_on, note=note, created_by_id=actor.id)
    db.session.add(milestone)
    db.session.flush([milestone])
    record(
        "match.milestone",
        actor=actor,
        obj=match,
        to_state=match.status,
        details={"milestone": milestone.id, "occurred_on": occurred_on},
    )
    return milestone


def record_conversion(match: Match, actor: User, completed_on: date, result_summary: str) -> None:
    """The enterprise records the result; the bureau's confirmation makes it a conversion."""
    _require_manager(match, actor)
    if match.status is not MatchStatus.signed:
        raise IllegalTransition(f"只有已签约的对接可以登记转化结果（当前：{match.status.label}）")
    if match.conversion_recorded_at is not None:
        raise IllegalTransition("转化结果已登记，正等待科技局确认", code="already_recorded")
    summary = (result_summary or "").strip()
    if not summary:
        raise ValidationFailed("请填写转化成果简述", code="summary_required")
    if len(summary) > 3000:
        raise ValidationFailed("转化成果简述最多 3000 字", code="summary_too_long")
    if completed_on is None or completed_on > today():
        raise ValidationFailed("完成日期不能晚于今天", code="bad_completed_on")
    if match.signed_on and completed_on < match.signed_on:
        raise ValidationFailed("完成日期不能早于合同签订日期", code="bad_completed_on")
    match.completed_on = completed_on
    match.result_summary = summary
    match.conversion_recorded_at = utcnow()
    match.conversion_return_reason = None
    record(
        "match.record_conversion",
        actor=actor,
        obj=match,
        from_state=match.status,
        to_state=match.status,
        details={"completed_on": completed_on},
    )


def confirm_conversion(match: Match, actor: User) -> None:
    """The bureau confirms: signed (conversion recorded) → converted; the need converts."""
    _require_bureau(actor)
    if match.status is MatchStatus.converted:
        raise IllegalTransition("该转化已确认", code="already_confirmed")
    if not match.awaits_confirmation:
        raise IllegalTransition(
            "企业尚未登记转化结果，不能确认转化", code="conversion_not_recorded"
        )
    match.status = MatchStatus.converted
    match.confirmed_at = utcnow()
    match.confirmed_by_id = actor.id
    need_services.mark_converted(match.need, actor, match_id=match.id)
    record(
        "match.confirm_conversion",
        actor=actor,
        obj=match,
        from_state=MatchStatus.signed,
        to_state=match.status,
        details={"completed_on": match.completed_on},
    )


def return_conversion(match: Match, actor: User, reason: str) -> None:
    """The bureau sends a recorded conversion back to the enterprise with a reason."""
    _require_bureau(actor)
    if not match.awaits_confirmation:
        raise IllegalTransition("只能退回等待确认的转化登记", code="conversion_not_recorded")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("退回须填写理由", code="reason_required")
    match.conversion_recorded_at = None
    match.conversion_return_reason = reason[:1000]
    record(
        "match.return_conversion",
        actor=actor,
        obj=match,
        from_state=match.status,
        to_state=match.status,
        reason=reason,
    )


def terminate_match(match: Match, actor: User, reason: str) -> None:
    """Either party ends the cooperation; the reason is kept (and shown to the bureau)."""
    _require_party(match, actor)
    if not match.is_in_progress:
        raise IllegalTransition(f"{match.status.label}的对接不能终止")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("终止须填写理由", code="reason_required")
    if len(reason) > 1000:
        raise ValidationFailed("理由最多 1000 字", code="reason_too_long")
    before = match.status
    match.status = MatchStatus.terminated
    match.terminated_at = utcnow()
    match.termination_reason = reason
    record(
        "match.terminate",
        actor=actor,
        obj=match,
        from_state=before,
        to_state=match.status,
        reason=reason,
    )


# --- the lapse job -----------------------------------------------------------------------------


def lapse_after_days() -> int:
    return int(current_app.config.get("LAPSE_AFTER_DAYS", DEFAULT_LAPSE_AFTER_DAYS))


def lapse_candidates(days: int, on: date | None = None) -> list[int]:
    """Needs closed (or past the deadline) more than ``days`` days ago with no live match."""
    on = on or today()
    live = exists().where(Match.need_id == Need.id, Match.status.in_(LIVE_MATCH_STATUSES))
    return list(
        db.session.execute(
            select(Need.id)
            .where(
                Need.status.in_((NeedStatus.published, NeedStatus.closed)),
                Need.deadline < on - timedelta(days=days),
                ~live,
            )
            .order_by(Need.id)
        ).scalars()
    )


def lapse_unmatched_needs(
    days: int | None = None, on: date | None = None, actor: User | None = None
) -> list[Need]:
    """流榜 every candidate; returns the needs that lapsed."""
    days = lapse_after_days() if days is None else days
    lapsed = []
    for need_id in lapse_candidates(days, on):
        need = db.session.get(Need, need_id)
        if need is None:
            continue
        need_services.lapse_need(need, actor)
        decline_pending_on_lapse(need)
        lapsed.append(need)
    return lapsed


# --- reads -------------------------------------------------------------------------------------


@dataclass
class MatchFilters:
    status: MatchStatus | None = None
    industry: int | None = None
    town: int | None = None
    solver: int | None = None
    year: int | None = None
    awaiting: bool = False

    @classmethod
    def from_args(cls, args: Any) -> MatchFilters:
        def as_int(name: str) -> int | None:
            raw = str(args.get(name, "")).strip()
            return int(raw) if raw.isdigit() and len(raw) < 10 else None

        raw_status = args.get("status", "")
        status = MatchStatus(raw_status) if raw_status in MatchStatus.__members__ else None
        year = as_int("year")
        return cls(
            status=status,
            industry=as_int("industry"),
            town=as_int("town"),
            solver=as_int("solver"),
            year=year if year and 2000 <= year <= 2100 else None,
            awaiting=args.get("awaiting") == "1",
        )


def visible_matches(viewer: User) -> Select:
    """Matches the viewer may see: the bureau all, an enterprise its needs', a solver its own."""
    query = select(Match).join(Match.need)
    if viewer.is_bureau:
        return query
    if viewer.is_enterprise:
        return query.where(Need.organization_id == viewer.organization_id)
    return query.where(Match.solver_org_id == viewer.organization_id)


def filtered(query: Select, filters: MatchFilters) -> Select:
    if filters.status:
        query = query.where(Match.status == filters.status)
    if filters.awaiting:
        query = query.where(
            Match.status == MatchStatus.signed, Match.conversion_recorded_at.is_not(None)
        )
    if filters.industry:
        query = query.where(Need.industry_id == filters.industry)
    if filters.town:
        query = query.where(Need.town_id == filters.town)
    if filters.solver:
        query = query.where(Match.solver_org_id == filters.solver)
    if filters.year:
        # The year of signing; for a match not signed yet, the year it was opened.
        first, last = date(filters.year, 1, 1), date(filters.year, 12, 31)
        start = datetime.combine(first, time.min, LOCAL_TZ)
        end = datetime.combine(last + timedelta(days=1), time.min, LOCAL_TZ)
        query = query.where(
            or_(
                and_(Match.signed_on >= first, Match.signed_on <= last),
                and_(
                    Match.signed_on.is_(None), Match.accepted_at >= start, Match.accepted_at < end
                ),
            )
        )
    return query


def page_of(query: Select, page: int, per_page: int) -> tuple[list[Match], int]:
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = (
        db.session.execute(
            query.options(
                joinedload(Match.need).joinedload(Need.organization), joinedload(Match.solver)
            )
            .order_by(Match.accepted_at.desc(), Match.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return list(rows), total


def confirmation_queue() -> list[Match]:
    return list(
        db.session.execute(
            select(Match)
            .where(Match.status == MatchStatus.signed, Match.conversion_recorded_at.is_not(None))
            .options(joinedload(Match.need), joinedload(Match.solver))
            .order_by(Match.conversion_recorded_at, Match.id)
        ).scalars()
    )


def solver_choices() -> list[Organization]:
    """Solver organizations that have at least one match (for the bureau's filter)."""
    return list(
        db.session.execute(
            select(Organization)
            .where(Organization.id.in_(select(Match.solver_org_id)))
            .order_by(Organization.name)
        ).scalars()
    )


__all__ = [
    "MatchFilters",
    "SignData",
    "add_milestone",
    "confirm_conversion",
    "confirmation_queue",
    "lapse_unmatched_needs",
    "record_conversion",
    "return_conversion",
    "sign_match",
    "terminate_match",
]
