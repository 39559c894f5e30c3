"""The indexed document and the Whoosh schema of the board's index.

Only public fields of a need are ever indexed: the application builds a
:class:`NeedDocument` from the public summary and never passes confidential details or bids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from .analysis import ChineseAnalyzer

# BM25F field weights (applied as query boosts): a word in the title says more than one
# in the keywords, which says more than one in the long description.
FIELD_WEIGHTS: dict[str, float] = {"title": 3.0, "keywords": 2.0, "description": 1.0, "meta": 0.5}
TEXT_FIELDS = tuple(FIELD_WEIGHTS)
FACET_FIELDS = ("industry", "transformation", "town")
STATUSES = ("published", "closed", "matched", "converted", "lapsed")
TRANSFORMATION_LABELS = {"digital": "数字化 数字化改造", "green": "绿色化 绿色化改造"}


@dataclass(frozen=True, slots=True)
class NeedDocument:
    """The public, searchable summary of one need.

    ``description`` is the public text fields concatenated (background, technical
    difficulty, core indicators, expected outcome, IP terms). ``version`` is an opaque stamp
    of the content the application indexed, stored so a drift check can spot stale entries.
    ``budget_wan`` is None for 面议.
    """

    id: int
    ref: str
    title: str
    keywords: str
    description: str
    industry: str
    transformation: str
    town: str
    budget_wan: float | None
    deadline: date
    published_at: datetime
    status: str
    version: str


def build_schema() -> Schema:
    """The schema.

    Text fields store term frequencies, not token positions: the board's queries are
    built from terms only (no phrase syntax reaches the index), and positions made the
    index 1.6 times larger and every posting list slower to read (at 100,000 needs, searches
    reading cold: p95 197 ms with positions, 99 ms without; ``bench/search_format.py``).
    """
    analyzer = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        ref=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=False),
        keywords=TEXT(analyzer=analyzer, stored=True, phrase=False),
        description=TEXT(analyzer=analyzer, stored=True, phrase=False),
        # Industry, town and transformation as words, so 绿色化 or 濮院 in a query can match.
        meta=TEXT(analyzer=analyzer, phrase=False),
        industry=ID(sortable=True),
        transformation=ID(sortable=True),
        town=ID(sortable=True),
        status=ID(sortable=True),
        # One term per value (shift_step=0), not Whoosh's 8 to 16 tiers: only ``deadline``
        # is ever a range (and only on the Whoosh fallback, over a few thousand days); the
        # tiers were a third of all postings and of the rebuild's writing time.
        deadline=NUMERIC(int, bits=32, sortable=True, shift_step=0),
        published=NUMERIC(int, bits=64, sortable=True, shift_step=0),
        # Hundredths of 万元 as an integer: a sortable float column fails in whoosh-reloaded.
        budget=NUMERIC(int, bits=64, sortable=True, shift_step=0),
        version=STORED(),
    )


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:  # naive datetimes are taken as UTC, as the database stores them
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def to_fields(doc: NeedDocument) -> dict[str, object]:
    """The Whoosh field values for ``doc`` (the id as text: the unique key)."""
    meta = " ".join((doc.industry, doc.town, TRANSFORMATION_LABELS.get(doc.transformation, "")))
    return {
        "id": str(doc.id),
        "ref": doc.ref,
        "title": doc.title,
        "keywords": doc.keywords,
        "description": doc.description,
        "meta": meta,
        "industry": doc.industry,
        "transformation": doc.transformation,
        "town": doc.town,
        "status": doc.status,
        "deadline": doc.deadline.toordinal(),
        "published": _epoch(doc.published_at),
        # 面议 sorts after every stated budget when sorting by budget, highest first.
        "budget": -1 if doc.budget_wan is None else round(doc.budget_wan * 100),
        "version": doc.version,
    }
