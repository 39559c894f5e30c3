"""JSON API for matches (/api/v1): list, sign, milestones, conversion, confirmation,
termination — the same services and audit as the pages.

The blueprint carries the import name of ``matchmaking.matches.views`` (which imports it) so
the app factory registers it with that module's blueprints.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, current_app, jsonify, make_response, request
from flask_login import current_user

from matchmaking import uploads
from matchmaking.access import roles
from matchmaking.accounts.models import Role
from matchmaking.api.views import api_blueprint, error
from matchmaking.bids.api import _payload, _text, parse_amount
from matchmaking.errors import ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches import services
from matchmaking.matches.models import Match
from matchmaking.pagination import int_arg

api_bp = api_blueprint("matches_api", "matchmaking.matches.views")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def match_json(match: Match) -> dict[str, Any]:
    """A match for those who may see it (Match.can_view)."""
    need = match.need
    return {
        "id": match.id,
        "status": match.status.value,
        "status_label": match.status.label,
        "need": {
            "id": need.id,
            "ref": need.ref,
            "title": need.title,
            "status": need.effective_status.value,
            "enterprise": need.organization.name,
            "industry": need.industry.name,
            "town": need.town.name if need.town else None,
        },
        "bid_id": match.bid_id,
        "solver": {
            "id": match.solver_org_id,
            "name": match.solver.name,
            "kind": match.solver.kind.value,
        },
        "accepted_at": _iso(match.accepted_at),
        "signed_on": _iso(match.signed_on),
        "contract_amount_wan": float(match.contract_amount_wan)
        if match.contract_amount_wan is not None
        else None,
        "contract_reg_no": match.contract_reg_no,
        "has_contract_file": bool(match.contract_file_key),
        "result_summary": match.result_summary,
        "completed_on": _iso(match.completed_on),
        "conversion_recorded_at": _iso(match.conversion_recorded_at),
        "awaiting_confirmation": match.awaits_confirmation,
        "conversion_return_reason": match.conversion_return_reason,
        "confirmed_at": _iso(match.confirmed_at),
        "terminated_at": _iso(match.terminated_at),
        "termination_reason": match.termination_reason,
        "milestones": [
            {"id": m.id, "occurred_on": _iso(m.occurred_on), "note": m.note}
            for m in match.milestones
        ],
    }


def _date(data: dict[str, Any], name: str) -> date:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw:
        raise ValidationFailed(f"缺少字段 {name}（YYYY-MM-DD）", code="missing_field")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ValidationFailed(f"字段 {name} 须为日期 YYYY-MM-DD", code="bad_field") from None


def _match_or_404(match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None or not match.can_view(current_user):
        abort(make_response(error("not_found", "对接记录不存在或无权查看", 404)))
    return match


@api_bp.get("/matches")
@roles(*Role)
def matches():
    """The bureau sees all (with filters); an enterprise its needs'; a solver its own."""
    filters = services.MatchFilters.from_args(request.args)
    page = int_arg(request.args, "page", 1)
    per_page = int_arg(request.args, "per_page", 20, hi=current_app.config["API_MAX_PER_PAGE"])
    items, total = services.page_of(
        services.filtered(services.visible_matches(current_user), filters), page, per_page
    )
    return jsonify(total=total, page=page, per_page=per_page, items=[match_json(m) for m in items])


@api_bp.get("/matches/<int:match_id>")
@roles(*Role)
def show(match_id: int):
    return jsonify(match_json(_match_or_404(match_id)))


@api_bp.get("/matches/<int:match_id>/contract")
@roles(*Role)
def contract(match_id: int):
    match = _match_or_404(match_id)
    if not match.contract_file_key or not uploads.exists(match.contract_file_key):
        return error("not_found", "该对接没有合同文件", 404)
    return uploads.send(match.contract_file_key, match.contract_file_name or "合同.pdf")


@api_bp.post("/matches/<int:match_id>/sign")
@roles(Role.enterprise)
def sign(match_id: int):
    match = _match_or_404(match_id)
    data = _payload()
    services.sign_match(
        match,
        current_user,
        services.SignData(
            signed_on=_date(data, "signed_on"),
            contract_amount_wan=parse_amount(
                data.get("contract_amount_wan"), "contract_amount_wan", allow_null=False
            ),
            contract_reg_no=_text(data, "contract_reg_no"),
        ),
    )
    db.session.commit()
    return jsonify(match_json(match))


@api_bp.post("/matches/<int:match_id>/milestones")
@roles(Role.enterprise, Role.solver)
def milestone(match_id: int):
    match = _match_or_404(match_id)
    data = _payload()
    services.add_milestone(
        match, current_user, _date(data, "occurred_on"), _text(data, "note", required=True)
    )
    db.session.commit()
    return jsonify(match_json(match)), 201


@api_bp.post("/matches/<int:match_id>/conversion")
@roles(Role.enterprise)
def conversion(match_id: int):
    match = _match_or_404(match_id)
    data = _payload()
    services.record_conversion(
        match,
        current_user,
        _date(data, "completed_on"),
        _text(data, "result_summary", required=True),
    )
    db.session.commit()
    return jsonify(match_json(match))


@api_bp.post("/matches/<int:match_id>/confirm")
@roles(Role.bureau)
def confirm(match_id: int):
    match = _match_or_404(match_id)
    services.confirm_conversion(match, current_user)
    db.session.commit()
    return jsonify(match_json(match))


@api_bp.post("/matches/<int:match_id>/return")
@roles(Role.bureau)
def send_back(match_id: int):
    match = _match_or_404(match_id)
    services.return_conversion(match, current_user, _text(_payload(), "reason", required=True))
    db.session.commit()
    return jsonify(match_json(match))


@api_bp.post("/matches/<int:match_id>/terminate")
@roles(Role.enterprise, Role.solver)
def terminate(match_id: int):
    match = _match_or_404(match_id)
    services.terminate_match(match, current_user, _text(_payload(), "reason", required=True))
    db.session.commit()
    return jsonify(match_json(match))
