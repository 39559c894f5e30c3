"""The application side of search: documents from needs, the outbox writer, queries.

The database is the truth; the index (search_index/) is derived from it. Services write an
outbox row (``needs.services.touch_index``) in the same transaction as a change; after the
commit, ``apply_pending`` brings the index up to date. Nothing here ever fails a user's
action: an index that cannot be written is caught up later by ``flask search sync``.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from matchmaking.extensions import db
from matchmaking.needs.models import PUBLIC_STATUSES, Need
from matchmaking.search.models import SearchOutbox
from matchmaking.timeutil import utcnow
from search_index import NeedDocument, SearchIndex, warm_up

log = logging.getLogger(__name__)
BATCH = 500


def need_document(need: Need) -> NeedDocument:
    """The public face of a need, the only part of it that is ever indexed."""
    description = "\n".join(
        part
        for part in (
            need.background,
            need.difficulty,
            need.indicators,
            need.expected_outcome,
            need.ip_terms,
        )
        if part
    )
    return NeedDocument(
        id=need.id,
        ref=need.ref,
        title=need.title,
        keywords=need.keywords or "",
        description=description,
        industry=need.industry.name,
        transformation=need.transformation.value,
        town=need.town.name if need.town else "",
        budget_wan=float(need.budget_wan) if need.budget_wan is not None else None,
        deadline=need.deadline,
        published_at=need.first_published_at or need.created_at,
        status=need.status.value,
        version=version_of(need),
    )


def version_of(need: Need) -> str:
    # The ORM bumps Need.version on every UPDATE (and imports do too), so it marks staleness.
    return f"{need.version}:{need.status.value}"


def get_index() -> SearchIndex:
    """This process's index handle, opened lazily (after a gunicorn worker has forked)."""
    index = current_app.extensions.get("search_index")
    if index is None:
        root = current_app.config["SEARCH_INDEX_DIR"]
        os.makedirs(root, mode=0o700, exist_ok=True)
        cache = os.path.join(root, ".jieba")
        # Load jieba's dictionary now (a no-op after gunicorn's preload), not inside the first
        # search's time limit.
        warm_up(cache)
        index = SearchIndex(root, jieba_cache_dir=cache)
        current_app.extensions["search_index"] = index
    return index


def _public_needs(ids: list[int]) -> list[Need]:
    if not ids:
        # An empty IN list becomes a subquery that SQLite tests against every row: ~30 ms
        # at 100,000 needs for a query that found nothing.
        return []
    return list(
        db.session.execute(
            select(Need)
            .where(Need.id.in_(ids), Need.status.in_(PUBLIC_STATUSES))
            .options(joinedload(Need.industry), joinedload(Need.town))
        ).scalars()
    )


def apply_rows(rows: list[tuple[int, int]], *, lock_timeout: float = 5.0) -> int:
    """Apply outbox rows ``(outbox id, need id)`` to the index; idempotent."""
    if not rows:
        return 0
    need_ids = sorted({need_id for _, need_id in rows})
    upserts = [need_document(n) for n in _public_needs(need_ids)]
    public = {d.id for d in upserts}
    deletes = [i for i in need_ids if i not in public]
    get_index().apply(upserts, deletes, lock_timeout=lock_timeout)
    return len(need_ids)


def apply_pending(*, limit: int | None = None, lock_timeout: float = 5.0) -> int:
    """Apply every pending outbox row (oldest first) and mark it applied; returns needs done.

    Commits its own small transactions. Raises if the index cannot be written; callers on
    the request path catch that (``sync_after_commit``).
    """
    done = 0
    while True:
        query = (
            select(SearchOutbox.id, SearchOutbox.need_id)
            .where(SearchOutbox.applied_at.is_(None))
            .order_by(SearchOutbox.id)
            .limit(BATCH)
        )
        rows = [tuple(r) for r in db.session.execute(query).all()]
        db.session.rollback()  # no transaction held while the index is written
        if not rows:
            return done
        done += apply_rows(rows, lock_timeout=lock_timeout)
        db.session.execute(
            update(SearchOutbox)
            .where(SearchOutbox.id.in_([r[0] for r in rows]))
            .values(applied_at=utcnow())
        )
        db.session.commit()
        if limit is not None and done >= limit:
            return done


def purge_applied(older_than_days: int = 7) -> int:
    """Delete outbox rows applied more than ``older_than_days`` ago (they are history)."""
    from datetime import timedelta

    from sqlalchemy import delete

    result = db.session.execute(
        delete(SearchOutbox).where(
            SearchOutbox.applied_at < utcnow() - timedelta(days=older_than_days)
        )
    )
    db.session.commit()
    return result.rowcount or 0


def pending_count() -> int:
    return db.session.execute(
        select(func.count(SearchOutbox.id)).where(SearchOutbox.applied_at.is_(None))
    ).scalar_one()


def public_documents() -> Iterator[NeedDocument]:
    query = (
        select(Need)
        .where(Need.status.in_(PUBLIC_STATUSES))
        .order_by(Need.id)
        .options(joinedload(Need.industry), joinedload(Need.town))
        .execution_options(yield_per=1000)
    )
    for need in db.session.execute(query).scalars():
        yield need_document(need)


def rebuild(*, progress: bool = False, procs: int = 2):
    """Build a fresh index from the database, swap it in, then replay what changed meanwhile.

    Outbox rows written while the rebuild read the database may have reached the old folder
    only, so every row after the recorded position is applied again to the new one.
    """
    position = db.session.execute(select(func.max(SearchOutbox.id))).scalar() or 0
    total = db.session.execute(
        select(func.count(Need.id)).where(Need.status.in_(PUBLIC_STATUSES))
    ).scalar_one()
    report = get_index().rebuild(public_documents(), total=total, procs=procs, progress=progress)
    db.session.rollback()
    replay = [
        tuple(r)
        for r in db.session.execute(
            select(SearchOutbox.id, SearchOutbox.need_id).where(SearchOutbox.id > position)
        ).all()
    ]
    db.session.rollback()
    apply_rows(replay)
    db.session.execute(
        update(SearchOutbox)
        .where(SearchOutbox.id <= position, SearchOutbox.applied_at.is_(None))
        .values(applied_at=utcnow())
    )
    db.session.commit()
    apply_pending()
    return report


@dataclass
class Drift:
    missing: list[int]
    stale: list[int]
    extra: list[int]
    outdated_fields: list[str] = field(default_factory=list)  # index format of an older build

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra or self.outdated_fields)


def check() -> Drift:
    """Compare the database's public needs with the index."""
    expected: dict[int, str] = {}
    query = select(Need.id, Need.version, Need.status).where(Need.status.in_(PUBLIC_STATUSES))
    for need_id, version, status in db.session.execute(query):
        expected[need_id] = f"{version}:{status.value}"
    db.session.rollback()
    index = get_index()
    stored = index.stored_versions()
    return Drift(
        missing=sorted(set(expected) - set(stored)),
        stale=sorted(i for i in expected.keys() & stored.keys() if expected[i] != stored[i]),
        extra=sorted(set(stored) - set(expected)),
        outdated_fields=index.outdated_fields(),
    )


# -- searching --------------------------------------------------------------------------------

MAX_QUERY = 100
SEARCH_SORTS = ("relevance", "newest", "deadline", "budget")


def clean_query(query: str | None) -> str:
    """At most 100 characters, without control characters (which no person types)."""
    text = "".join(c for c in (query or "") if unicodedata.category(c)[0] != "C" or c == " ")
    return text[:MAX_QUERY].strip()


@dataclass
class SearchPage:
    """A page of search results: rows from the database, in the index's order."""

    rows: list[tuple[Need, object]]  # (need, Hit or None)
    total: int
    estimate: bool
    facets: dict[str, dict[str, int]]
    partial: bool
    expanded: dict[str, list[str]]
    full_matches: int
    page: int
    per_page: int
    fallback: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def index_filters(filters) -> dict[str, object]:
    """Board filters (ids) as index filters (names); the status filter applies the deadline."""
    from matchmaking.reference.models import Industry, Town
    from matchmaking.timeutil import today

    out: dict[str, object] = {}
    if filters.industry:
        industry = db.session.get(Industry, filters.industry)
        out["industry"] = industry.name if industry else "\x00none"
    if filters.town:
        town = db.session.get(Town, filters.town)
        out["town"] = town.name if town else "\x00none"
    if filters.transformation:
        out["transformation"] = filters.transformation.value
    if filters.status:
        out["effective_status"] = (filters.status, today())
    return out


def search_needs(query: str, filters, sort: str, page: int, per_page: int) -> SearchPage:
    """Search the public board. Rows are loaded from the database by id and the visibility
    rules are applied again, so a need that stopped being public never shows, even if the
    index lags. Falls back to a plain database match if the index cannot be read."""
    query = clean_query(query)
    sort = sort if sort in SEARCH_SORTS else "relevance"
    try:
        result = get_index().search(
            query,
            filters=index_filters(filters),
            sort=sort,
            page=page,
            per_page=per_page,
            time_limit=current_app.config.get("SEARCH_TIME_LIMIT", 0.5),
        )
    except Exception:
        log.exception("search index unavailable; falling back to the database")
        return _fallback(query, filters, sort, page, per_page)
    needs = {n.id: n for n in _public_needs(result.ids)}
    wanted = filters.status
    rows = []
    for hit in result.hits:
        need = needs.get(hit.id)
        if need is None:
            continue  # no longer public: the index lags behind the database
        if wanted and need.effective_status.value != wanted:
            continue
        rows.append((need, hit))
    return SearchPage(
        rows=rows,
        total=result.total,
        estimate=result.total_is_estimate,
        facets=result.facets,
        partial=result.partial,
        expanded=result.expanded_terms,
        full_matches=result.full_matches,
        page=result.page,
        per_page=result.per_page,
    )


def _fallback(query: str, filters, sort: str, page: int, per_page: int) -> SearchPage:
    from matchmaking.needs.queries import board_select, page_of

    select_ = board_select(filters)
    terms = [t for t in query.replace("，", " ").split() if t][:5]
    for term in terms:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        select_ = select_.where(
            Need.title.like(pattern, escape="\\")
            | Need.keywords.like(pattern, escape="\\")
            | Need.background.like(pattern, escape="\\")
        )
    items, total = page_of(select_, page, per_page)
    return SearchPage(
        rows=[(n, None) for n in items],
        total=total,
        estimate=False,
        facets={},
        partial=False,
        expanded={},
        full_matches=total,
        page=page,
        per_page=per_page,
        fallback=True,
    )
