"""JSON API for bids and questions (/api/v1): the same services and audit as the pages.

The blueprint carries the import name of ``matchmaking.bids.views`` (which imports it) so the
app factory registers it with that module's blueprints.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from matchmaking import uploads
from matchmaking.access import public, roles
from matchmaking.accounts.models import Role, User
from matchmaking.api.views import api_blueprint, error
from matchmaking.bids import services
from matchmaking.bids.models import Bid, Question
from matchmaking.errors import ValidationFailed
from matchmaking.extensions import db
from matchmaking.needs.models import Need

api_bp = api_blueprint("bids_api", "matchmaking.bids.views")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def bid_json(bid: Bid) -> dict[str, Any]:
    """Everything about a bid; only ever sent to those who may see it (Bid.can_view)."""
    return {
        "id": bid.id,
        "need": {
            "id": bid.need_id,
            "ref": bid.need.ref,
            "title": bid.need.title,
            "status": bid.need.effective_status.value,
        },
        "organization": {
            "id": bid.organization_id,
            "name": bid.organization.name,
            "kind": bid.organization.kind.value,
        },
        "status": bid.status.value,
        "status_label": bid.status.label,
        "approach": bid.approach,
        "team_lead": bid.team_lead,
        "team_members": bid.team_members,
        "duration_months": bid.duration_months,
        "price_wan": _num(bid.price_wan),
        "prior_results": bid.prior_results,
        "attachment": {"name": bid.attachment_name, "size": bid.attachment_size}
        if bid.attachment_key
        else None,
        "decline_reason": bid.decline_reason,
        "created_at": _iso(bid.created_at),
        "updated_at": _iso(bid.updated_at),
        "decided_at": _iso(bid.decided_at),
        "withdrawn_at": _iso(bid.withdrawn_at),
    }


def question_json(question: Question, viewer: User | None) -> dict[str, Any]:
    out = {
        "id": question.id,
        "body": question.body,
        "answer": question.answer,
        "asked_at": _iso(question.created_at),
        "answered_at": _iso(question.answered_at),
    }
    # The asker is shown only to its own organization, the need's enterprise and the bureau.
    if (
        viewer is not None
        and viewer.is_authenticated
        and (
            viewer.organization_id == question.organization_id
            or question.need.is_owned_by(viewer)
            or viewer.is_bureau
        )
    ):
        out["organization"] = question.organization.name
    return out


def _payload() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("请求体须为 JSON 对象", code="bad_json")
    return data


def _text(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"字段 {name} 须为字符串", code="bad_field")
    if required and not value.strip():
        raise ValidationFailed(f"缺少字段 {name}", code="missing_field")
    return value.strip()


def parse_amount(value: Any, name: str, *, allow_null: bool) -> Decimal | None:
    if value is None or (allow_null and value in ("", "面议")):
        if allow_null:
            return None
        raise ValidationFailed(f"缺少字段 {name}", code="missing_field")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationFailed(f"字段 {name} 须为数字（万元）", code="bad_field")
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed(f"字段 {name} 须为数字（万元）", code="bad_field") from None
    if not amount.is_finite():
        raise ValidationFailed(f"字段 {name} 须为数字（万元）", code="bad_field")
    return amount


def bid_data(data: dict[str, Any], base: Bid | None = None) -> services.BidData:
    """A BidData from JSON; with ``base`` (an update) missing fields keep their values."""

    def pick(name: str) -> Any:
        if name in data:
            return data[name]
        return getattr(base, name) if base is not None else None

    duration = pick("duration_months")
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise ValidationFailed("字段 duration_months 须为整数（月）", code="bad_field")
    merged = {n: pick(n) for n in ("approach", "team_lead", "team_members", "prior_results")}
    return services.BidData(
        approach=_text(merged, "approach", required=True),
        team_lead=_text(merged, "team_lead", required=True),
        team_members=_text(merged, "team_members"),
        prior_results=_text(merged, "prior_results"),
        duration_months=duration,
        price_wan=parse_amount(pick("price_wan"), "price_wan", allow_null=True),
    )


def _bid_or_404(bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None or not bid.can_view(current_user):
        abort(make_response(error("not_found", "申报不存在或无权查看", 404)))
    return bid


def _need_or_404(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None or not need.can_view(current_user):
        abort(make_response(error("not_found", "需求不存在或未公开", 404)))
    return need


# --- solvers --------------------------------------------------------------------------------


@api_bp.get("/bids")
@roles(Role.solver)
def my_bids():
    bids = (
        db.session.execute(
            select(Bid)
            .where(Bid.organization_id == current_user.organization_id)
            .options(joinedload(Bid.need), joinedload(Bid.organization))
            .order_by(Bid.created_at.desc(), Bid.id.desc())
        )
        .scalars()
        .all()
    )
    return jsonify(total=len(bids), items=[bid_json(b) for b in bids])


@api_bp.post("/needs/<int:need_id>/bids")
@roles(Role.solver)
def submit(need_id: int):
    need = _need_or_404(need_id)
    bid = services.submit_bid(need, current_user, bid_data(_payload()))
    db.session.commit()
    return jsonify(bid_json(bid)), 201


@api_bp.get("/bids/<int:bid_id>")
@roles(*Role)
def show(bid_id: int):
    return jsonify(bid_json(_bid_or_404(bid_id)))


@api_bp.get("/bids/<int:bid_id>/attachment")
@roles(*Role)
def attachment(bid_id: int):
    bid = _bid_or_404(bid_id)
    if not bid.attachment_key or not uploads.exists(bid.attachment_key):
        return error("not_found", "该申报没有附件", 404)
    return uploads.send(bid.attachment_key, bid.attachment_name or "附件.pdf")


@api_bp.patch("/bids/<int:bid_id>")
@roles(Role.solver)
def update(bid_id: int):
    bid = _bid_or_404(bid_id)
    changed, _ = services.update_bid(bid, current_user, bid_data(_payload(), base=bid))
    db.session.commit()
    return jsonify(bid_json(bid) | {"changed": changed})


@api_bp.post("/bids/<int:bid_id>/withdraw")
@roles(Role.solver)
def withdraw(bid_id: int):
    bid = _bid_or_404(bid_id)
    data = request.get_json(silent=True) or {}
    services.withdraw_bid(
        bid, current_user, _text(data, "reason") if isinstance(data, dict) else ""
    )
    db.session.commit()
    return jsonify(bid_json(bid))


# --- enterprises --------------------------------------------------------------------------------


@api_bp.get("/needs/<int:need_id>/bids")
@roles(Role.enterprise, Role.bureau)
def need_bids(need_id: int):
    need = _need_or_404(need_id)
    if not (need.is_owned_by(current_user) or current_user.is_bureau):
        return error("forbidden", "只有发布该需求的企业和科技局可以查看申报", 403)
    bids = services.bids_of_need(need, include_withdrawn=request.args.get("all") == "1")
    return jsonify(total=len(bids), items=[bid_json(b) for b in bids])


def _own_bid(bid_id: int) -> Bid:
    bid = _bid_or_404(bid_id)
    if not bid.need.is_owned_by(current_user):
        abort(make_response(error("forbidden", "只有发布该需求的企业可以进行此操作", 403)))
    return bid


@api_bp.post("/bids/<int:bid_id>/shortlist")
@roles(Role.enterprise)
def shortlist(bid_id: int):
    bid = _own_bid(bid_id)
    services.shortlist_bid(bid, current_user)
    db.session.commit()
    return jsonify(bid_json(bid))


@api_bp.post("/bids/<int:bid_id>/accept")
@roles(Role.enterprise)
def accept(bid_id: int):
    bid = _own_bid(bid_id)
    match = services.accept_bid(bid, current_user)
    db.session.commit()
    from matchmaking.matches.api import match_json

    return jsonify(bid=bid_json(bid), match=match_json(match)), 201


@api_bp.post("/bids/<int:bid_id>/decline")
@roles(Role.enterprise)
def decline(bid_id: int):
    bid = _own_bid(bid_id)
    data = request.get_json(silent=True) or {}
    services.decline_bid(bid, current_user, _text(data, "reason") if isinstance(data, dict) else "")
    db.session.commit()
    return jsonify(bid_json(bid))


# --- questions ----------------------------------------------------------------------------------


@api_bp.get("/needs/<int:need_id>/questions")
@public
def questions(need_id: int):
    """Public: the number of bids and the answered questions (without the asker)."""
    need = _need_or_404(need_id)
    viewer = current_user if current_user.is_authenticated else None
    return jsonify(
        bid_count=services.bid_count(need),
        items=[question_json(q, viewer) for q in services.questions_for(need, viewer)],
    )


@api_bp.post("/needs/<int:need_id>/questions")
@roles(Role.solver)
def ask(need_id: int):
    need = _need_or_404(need_id)
    question = services.ask_question(need, current_user, _text(_payload(), "body", required=True))
    db.session.commit()
    return jsonify(question_json(question, current_user)), 201


@api_bp.post("/questions/<int:question_id>/answer")
@roles(Role.enterprise)
def answer(question_id: int):
    question = db.session.get(Question, question_id)
    if question is None or not question.can_view(current_user):
        return error("not_found", "问题不存在", 404)
    services.answer_question(question, current_user, _text(_payload(), "answer", required=True))
    db.session.commit()
    return jsonify(question_json(question, current_user))
