"""The rules of a need's life cycle (DESIGN.md): draft → submitted → published → closed ...

Every function checks the actor and the transition, writes an audit event and, when the
public face of the need may have changed, an outbox row for the search index, all in the
caller's transaction. None of them commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from matchmaking.accounts.models import OrgKind, User
from matchmaking.audit.services import record
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.needs.models import PUBLIC_STATUSES, Need, NeedStatus, Transformation
from matchmaking.reference.models import Industry
from matchmaking.search.models import SearchOutbox
from matchmaking.timeutil import today, utcnow

# Fields whose change on a published need sends it back to review: they define what the
# solvers bid on. The others may be corrected while the need stays on the board.
ESSENTIAL_FIELDS = frozenset(
    {
        "title",
        "background",
        "difficulty",
        "indicators",
        "expected_outcome",
        "budget_wan",
        "industry_id",
        "transformation",
    }
)


@dataclass
class NeedData:
    """What an enterprise may set on a need: nothing else reaches the model."""

    title: str
    background: str
    difficulty: str
    indicators: str
    expected_outcome: str
    budget_wan: Decimal | None
    deadline: date
    industry_id: int
    transformation: Transformation
    keywords: str = ""
    ip_terms: str = ""
    confidential: str = ""


def _ref_placeholder() -> str:
    return "tmp-" + uuid.uuid4().hex[:20]


def make_ref(need: Need) -> str:
    year = (need.created_at or utcnow()).year
    return f"TX{year}-{need.id:05d}"


def touch_index(need: Need) -> None:
    """Record in the outbox that the index must look at this need again."""
    db.session.add(SearchOutbox(need_id=need.id))


def _require_owner(need: Need, actor: User) -> None:
    if not need.is_owned_by(actor):
        raise PermissionDenied("只有发布该需求的企业可以进行此操作")


def _require_bureau(actor: User) -> None:
    if not (actor and actor.is_bureau):
        raise PermissionDenied("只有科技局可以进行此操作")


def _check_data(data: NeedData, *, for_submission: bool) -> None:
    if not data.title or not data.title.strip():
        raise ValidationFailed("需求名称不能为空", code="title_required")
    if db.session.get(Industry, data.industry_id) is None:
        raise ValidationFailed("所属行业无效", code="bad_industry")
    if data.budget_wan is not None and data.budget_wan < 0:
        raise ValidationFailed("榜额不能为负数", code="bad_budget")
    if for_submission and data.deadline <= today():
        raise ValidationFailed("揭榜截止日期须晚于今天", code="deadline_past")


def ensure_current(need: Need) -> None:
    """Persist the deadline: a published need past its deadline becomes closed now.

    Reads already treat such a need as closed (Need.effective_status); every write path
    calls this first so the stored state agrees before any rule is checked.
    """
    if need.status is NeedStatus.published and need.deadline < today():
        need.status = NeedStatus.closed
        need.closed_at = utcnow()
        record(
            "need.close",
            obj=need,
            from_state=NeedStatus.published,
            to_state=need.status,
            reason="截止日期已过",
        )
        touch_index(need)


def create_need(actor: User, data: NeedData) -> Need:
    """A draft owned by the actor's enterprise."""
    if not actor.is_enterprise or actor.organization.kind is not OrgKind.enterprise:
        raise PermissionDenied("只有企业用户可以发布技术需求")
    _check_data(data, for_submission=False)
    need = Need(
        ref=_ref_placeholder(),
        organization_id=actor.organization_id,
        created_by_id=actor.id,
        town_id=actor.organization.town_id,
        status=NeedStatus.draft,
    )
    for f in fields(NeedData):
        setattr(need, f.name, getattr(data, f.name))
    db.session.add(need)
    db.session.flush()
    need.ref = make_ref(need)
    record("need.create", actor=actor, obj=need, to_state=need.status)
    return need


def update_need(need: Need, actor: User, data: NeedData) -> list[str]:
    """Apply an edit; returns the changed field names.

    Drafts and returned needs may change freely. A published need keeps its place on the
    board for non-essential changes; an essential change sends it back to review.
    """
    _require_owner(need, actor)
    ensure_current(need)
    if need.status not in (NeedStatus.draft, NeedStatus.returned, NeedStatus.published):
        raise IllegalTransition(f"{need.status.label}状态的需求不能修改")
    _check_data(data, for_submission=need.status is NeedStatus.published)
    changed = [f.name for f in fields(NeedData) if getattr(need, f.name) != getattr(data, f.name)]
    if not changed:
        return changed
    if need.status is NeedStatus.published and data.deadline < need.deadline:
        raise ValidationFailed("已发布需求的截止日期只能延后，不能提前", code="deadline_shortened")
    for name in changed:
        setattr(need, name, getattr(data, name))
    before = need.status
    if before is NeedStatus.published and ESSENTIAL_FIELDS.intersection(changed):
        need.status = NeedStatus.submitted
        need.submitted_at = utcnow()
    record(
        "need.update",
        actor=actor,
        obj=need,
        from_state=before,
        to_state=need.status,
        details={"fields": changed},
    )
    if before in PUBLIC_STATUSES:
        touch_index(need)
    return changed


def submit_need(need: Need, actor: User) -> None:
    _require_owner(need, actor)
    if not actor.organization.is_verified:
        raise PermissionDenied("单位尚未通过科技局认证，暂不能提交需求", code="org_unverified")
    if need.status not in (NeedStatus.draft, NeedStatus.returned):
        raise IllegalTransition(f"{need.status.label}状态的需求不能提交审核")
    if need.deadline <= today():
        raise ValidationFailed("揭榜截止日期须晚于今天，请先修改截止日期", code="deadline_past")
    before = need.status
    need.status = NeedStatus.submitted
    need.submitted_at = utcnow()
    record("need.submit", actor=actor, obj=need, from_state=before, to_state=need.status)


def publish_need(need: Need, actor: User) -> None:
    """发榜: the bureau approves a submitted need and it appears on the board."""
    _require_bureau(actor)
    if need.status is not NeedStatus.submitted:
        raise IllegalTransition(f"只能审核通过待审核的需求（当前：{need.status.label}）")
    if need.deadline < today():
        raise IllegalTransition("该需求的截止日期已过，请退回企业修改", code="deadline_past")
    need.status = NeedStatus.published
    need.return_reason = None
    if need.first_published_at is None:  # counting rule: a need is posted once
        need.first_published_at = utcnow()
    record(
        "need.publish", actor=actor, obj=need, from_state=NeedStatus.submitted, to_state=need.status
    )
    touch_index(need)


def return_need(need: Need, actor: User, reason: str) -> None:
    _require_bureau(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("退回须填写理由", code="reason_required")
    if need.status is not NeedStatus.submitted:
        raise IllegalTransition(f"只能退回待审核的需求（当前：{need.status.label}）")
    need.status = NeedStatus.returned
    need.return_reason = reason
    record(
        "need.return",
        actor=actor,
        obj=need,
        from_state=NeedStatus.submitted,
        to_state=need.status,
        reason=reason,
    )


WITHDRAWABLE = frozenset(
    {NeedStatus.draft, NeedStatus.submitted, NeedStatus.returned, NeedStatus.published}
)


def withdraw_need(need: Need, actor: User, reason: str = "") -> None:
    _require_owner(need, actor)
    ensure_current(need)
    if need.status not in WITHDRAWABLE:
        raise IllegalTransition(f"{need.status.label}状态的需求不能撤回")
    before = need.status
    need.status = NeedStatus.withdrawn
    need.withdrawn_at = utcnow()
    record(
        "need.withdraw",
        actor=actor,
        obj=need,
        from_state=before,
        to_state=need.status,
        reason=reason or None,
    )
    if before in PUBLIC_STATUSES:
        touch_index(need)


def lapse_need(need: Need, actor: User | None = None) -> None:
    """流榜: a closed need that no match followed."""
    if actor is not None:
        _require_bureau(actor)
    ensure_current(need)
    if need.status is not NeedStatus.closed:
        raise IllegalTransition(f"只有已截止的需求可以标记为流榜（当前：{need.status.label}）")
    need.status = NeedStatus.lapsed
    record("need.lapse", actor=actor, obj=need, from_state=NeedStatus.closed, to_state=need.status)
    touch_index(need)


# --- the need follows its matches (DESIGN.md life cycle: closed → matched → converted) ---------
# A match can be signed while the need is still published (the enterprise chose before the
# deadline) or after it closed; a lapsed need only becomes matched through the history import
# (a signed contract proves it did not lapse). The need never goes back: a matched need whose
# match is later terminated stays matched, as the counting rule counts it by its first signing.
MATCHABLE_STATUSES = frozenset({NeedStatus.published, NeedStatus.closed, NeedStatus.lapsed})


def mark_matched(need: Need, actor: User | None = None, *, match_id: int | None = None) -> bool:
    """A match of the need was signed: published/closed/lapsed → matched.

    Returns whether the status changed (a need already matched or converted stays as it is).
    """
    ensure_current(need)
    if need.status in (NeedStatus.matched, NeedStatus.converted):
        return False
    if need.status not in MATCHABLE_STATUSES:
        raise IllegalTransition(
            f"{need.status.label}状态的需求不能签约对接", code="need_not_matchable"
        )
    before = need.status
    need.status = NeedStatus.matched
    record(
        "need.match",
        actor=actor,
        obj=need,
        from_state=before,
        to_state=need.status,
        details={"match": match_id} if match_id else None,
    )
    touch_index(need)
    return True


def mark_converted(need: Need, actor: User | None = None, *, match_id: int | None = None) -> bool:
    """A conversion of one of the need's matches was confirmed: matched → converted.

    Returns whether the status changed (a converted need counts once).
    """
    if need.status is NeedStatus.converted:
        return False
    if need.status is not NeedStatus.matched:
        mark_matched(need, actor, match_id=match_id)
    need.status = NeedStatus.converted
    record(
        "need.convert",
        actor=actor,
        obj=need,
        from_state=NeedStatus.matched,
        to_state=need.status,
        details={"match": match_id} if match_id else None,
    )
    touch_index(need)
    return True


def close_expired_needs(on: date | None = None) -> int:
    """The closing job: persist 'closed' for every published need past its deadline."""
    on = on or today()
    ids = (
        db.session.execute(
            select(Need.id).where(Need.status == NeedStatus.published, Need.deadline < on)
        )
        .scalars()
        .all()
    )
    for need_id in ids:
        need = db.session.get(Need, need_id)
        if need is not None:
            ensure_current(need)
    return len(ids)


def view_confidential(need: Need, actor: User) -> str:
    """Return the confidential details for an allowed actor, auditing the view."""
    if not need.can_view_confidential(actor):
        raise PermissionDenied("无权查看保密信息")
    if need.confidential:
        record("need.view_confidential", actor=actor, obj=need)
    return need.confidential


def review_queue() -> list[Need]:
    return (
        db.session.execute(
            select(Need)
            .where(Need.status == NeedStatus.submitted)
            .order_by(Need.submitted_at, Need.id)
        )
        .scalars()
        .all()
    )


__all__ = [
    "ESSENTIAL_FIELDS",
    "NeedData",
    "close_expired_needs",
    "create_need",
    "ensure_current",
    "lapse_need",
    "mark_converted",
    "mark_matched",
    "publish_need",
    "return_need",
    "review_queue",
    "submit_need",
    "touch_index",
    "update_need",
    "view_confidential",
    "withdraw_need",
]
