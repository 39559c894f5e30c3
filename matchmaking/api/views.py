"""The JSON API (/api/v1). Public reads need no sign-in; writes use a bearer token or the
session (with the CSRF token in X-CSRFToken)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from matchmaking.access import public
from matchmaking.errors import DomainError
from matchmaking.extensions import csrf, db
from matchmaking.needs import queries
from matchmaking.needs.models import Need
from matchmaking.pagination import int_arg
from matchmaking.search.views import search_throttle


def _csrf_for_session_writes() -> None:
    # Bearer-token clients send no cookies, so CSRF cannot reach them; a browser session can,
    # and must send the token in the X-CSRFToken header.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.headers.get(
        "Authorization", ""
    ).startswith("Bearer "):
        csrf.protect()


def error(code: str, message: str, status: int):
    return jsonify(error={"code": code, "message": message}), status


def _domain_error(exc: DomainError):
    db.session.rollback()
    return error(exc.code, exc.message, exc.status)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1 with the API's CSRF rule and JSON domain errors.

    Each domain defines its own (``api_bp = api_blueprint("bids_api", __name__)``).
    """
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(blueprint)
    blueprint.before_request(_csrf_for_session_writes)
    blueprint.register_error_handler(DomainError, _domain_error)
    return blueprint


bp = api_blueprint("api", __name__)


def need_summary(need: Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "ref": need.ref,
        "title": need.title,
        "industry": need.industry.name,
        "transformation": need.transformation.value,
        "town": need.town.name if need.town else None,
        "budget_wan": float(need.budget_wan) if need.budget_wan is not None else None,
        "deadline": need.deadline.isoformat(),
        "status": need.effective_status.value,
        "published_at": need.first_published_at.isoformat() if need.first_published_at else None,
    }


def need_public(need: Need) -> dict[str, Any]:
    """Every public field of a need; never the confidential details or anything of bids."""
    return need_summary(need) | {
        "enterprise": need.organization.name,
        "background": need.background,
        "difficulty": need.difficulty,
        "indicators": need.indicators,
        "expected_outcome": need.expected_outcome,
        "keywords": need.keywords.split() if need.keywords else [],
        "ip_terms": need.ip_terms,
        "transformation_label": need.transformation.label,
        "status_label": need.effective_status.label,
    }


@bp.get("/needs")
@public
@search_throttle
def needs():
    filters = queries.BoardFilters.from_args(request.args)
    if request.args.get("status") == "all":
        filters.status = None
    page = int_arg(request.args, "page", 1)
    per_page = int_arg(request.args, "per_page", 20, hi=current_app.config["API_MAX_PER_PAGE"])
    q = request.args.get("q", "").strip()
    if q:
        # Ranked by relevance (or the given sort) through the search index.
        from matchmaking.search.services import search_needs

        sort = request.args.get("sort", "relevance")
        found = search_needs(q, filters, sort, page, per_page)
        items = []
        for need, hit in found.rows:
            item = need_summary(need)
            item["score"] = round(hit.score, 4) if hit else 0.0
            item["highlight"] = {
                "title": hit.highlight_title if hit else need.title,
                "snippet": hit.highlight_snippet if hit else "",
            }
            items.append(item)
        return jsonify(
            total=found.total,
            total_is_estimate=found.estimate,
            page=found.page,
            per_page=found.per_page,
            partial=found.partial,
            items=items,
        )
    items, total = queries.page_of(queries.board_select(filters), page, per_page)
    return jsonify(
        total=total, page=page, per_page=per_page, items=[need_summary(n) for n in items]
    )


@bp.get("/needs/<int:need_id>")
@public
def need(need_id: int):
    found = queries.public_need_or_none(need_id)
    if found is None:
        return error("not_found", "需求不存在或未公开", 404)
    return jsonify(need_public(found))


@bp.get("/me")
@public
def me():
    if not current_user.is_authenticated:
        return error("unauthorized", "请先登录或提供有效的访问令牌", 401)
    return jsonify(
        id=current_user.id,
        email=current_user.email,
        role=current_user.role.value,
        organization=current_user.organization.name,
        organization_verified=current_user.organization.is_verified,
    )


@bp.get("/openapi.json")
@public
def openapi():
    from matchmaking.api.openapi import SPEC

    return jsonify(SPEC)
