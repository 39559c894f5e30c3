"""Read-side queries for the public board, shared by the HTML board and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, nulls_last, select
from sqlalchemy.orm import joinedload

from matchmaking.extensions import db
from matchmaking.needs.models import PUBLIC_STATUSES, Need, NeedStatus, Transformation
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import today

# Public status filter values → the effective status they select.
STATUS_FILTERS = {s.value: s for s in PUBLIC_STATUSES}
SORTS = ("newest", "deadline", "budget")
DEFAULT_STATUS = NeedStatus.published.value


@dataclass
class BoardFilters:
    industry: int | None = None
    transformation: Transformation | None = None
    town: int | None = None
    status: str | None = DEFAULT_STATUS  # None or "all": every public state
    sort: str = "newest"

    @classmethod
    def from_args(cls, args: Any) -> BoardFilters:
        """Parse request args leniently: unknown values are ignored, never an error."""

        def as_int(name: str) -> int | None:
            raw = args.get(name, "")
            return int(raw) if raw.isdigit() and len(raw) < 10 else None

        status = args.get("status", DEFAULT_STATUS)
        sort = args.get("sort", "newest")
        return cls(
            industry=as_int("industry"),
            transformation=Transformation.parse(args.get("transformation", "")),
            town=as_int("town"),
            status=status if status in STATUS_FILTERS else None,
            sort=sort if sort in SORTS else "newest",
        )


def board_select(filters: BoardFilters) -> Select:
    """Public needs matching the filters; only public states, with the deadline applied."""
    day = today()
    effective = Need.effective_status_on(day)
    query = select(Need).where(Need.status.in_(PUBLIC_STATUSES))
    if filters.status:
        query = query.where(effective == STATUS_FILTERS[filters.status].value)
    if filters.industry:
        query = query.where(Need.industry_id == filters.industry)
    if filters.transformation:
        query = query.where(Need.transformation == filters.transformation)
    if filters.town:
        query = query.where(Need.town_id == filters.town)
    order = {
        "newest": (Need.first_published_at.desc(), Need.id.desc()),
        "deadline": (Need.deadline.asc(), Need.id.desc()),
        "budget": (nulls_last(Need.budget_wan.desc()), Need.id.desc()),
    }[filters.sort]
    return query.order_by(*order)


def page_of(query: Select, page: int, per_page: int) -> tuple[list[Need], int]:
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = (
        db.session.execute(
            query.options(
                joinedload(Need.industry), joinedload(Need.town), joinedload(Need.organization)
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return list(rows), total


def reference_choices() -> tuple[list[Industry], list[Town]]:
    industries = (
        db.session.execute(
            select(Industry).where(Industry.active).order_by(Industry.position, Industry.id)
        )
        .scalars()
        .all()
    )
    towns = (
        db.session.execute(select(Town).where(Town.active).order_by(Town.position, Town.id))
        .scalars()
        .all()
    )
    return list(industries), list(towns)


def public_need_or_none(need_id: int) -> Need | None:
    need = db.session.get(Need, need_id)
    return need if need is not None and need.is_public else None
