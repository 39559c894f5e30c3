"""Building Whoosh queries from analysed user input, never from Whoosh query syntax.

The user's string only ever becomes :class:`~whoosh.query.Term` objects (through the
analyzer), combined by this module: no wildcard, fuzzy, range, field or boolean syntax can
reach the index, whatever is typed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import date

from whoosh import query as wq

from .analysis import QueryUnit
from .schema import FIELD_WEIGHTS, TEXT_FIELDS
from .thesaurus import EXPANSION_BOOST, TermGroup

MAX_QUERY_CHARS = 100
# Each extra group multiplies the work of the minimum-should-match check; a real query
# rarely has more concepts than this once filler words are gone.
MAX_GROUPS = 8
# A long term also matches through the words that cover it, a little below the exact term.
COVER_BOOST = 0.6


def clean_query(raw: object) -> str:
    """The user's input as plain text: control characters removed, at most 100 characters."""
    text = raw if isinstance(raw, str) else ""
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text[:1000])
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def min_should_match(n: int) -> int:
    """How many of ``n`` concepts a need must contain: all of 1-2, then 60 % rounded up."""
    return n if n <= 2 else math.ceil(0.6 * n)


def _term_any_field(text: str, boost: float) -> wq.Query:
    return wq.Or([wq.Term(f, text, boost=w * boost) for f, w in FIELD_WEIGHTS.items()])


def unit_query(unit: QueryUnit, boost: float = 1.0) -> wq.Query:
    """A need matches ``unit`` if a text field holds its term, or its cover words."""
    exact = _term_any_field(unit.text, boost)
    if not unit.cover:
        return exact
    share = boost * COVER_BOOST / len(unit.cover)
    cover = wq.And([_term_any_field(c, share) for c in unit.cover])
    return wq.Or([exact, cover])


def _sequence_query(units: tuple[QueryUnit, ...], boost: float) -> wq.Query:
    if len(units) == 1:
        return unit_query(units[0], boost)
    return wq.And([unit_query(u, boost) for u in units])


def group_query(group: TermGroup) -> wq.Query:
    """The original words at full weight, or any synonym at :data:`EXPANSION_BOOST`."""
    parts = [_sequence_query(group.original, 1.0)]
    parts += [_sequence_query(e, EXPANSION_BOOST) for e in group.expansions]
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def group_terms(groups: Iterable[TermGroup]) -> set[str]:
    """Every analysed term the query can match, for highlighting."""
    terms: set[str] = set()
    for g in groups:
        for seq in (g.original, *g.expansions):
            for u in seq:
                terms.add(u.text)
                terms.update(u.cover)
    return terms


def filter_query(filters: dict[str, object] | None) -> wq.Query | None:
    """The board's filters as a query; unknown keys and empty values are ignored.

    ``industry``, ``transformation``, ``town``, ``status``: a value or a list of values
    (any of them); ``deadline_from``: a date, needs whose deadline is on or after it;
    ``effective_status``: ``(status, day)``, the status as the board shows it on ``day``: a
    need stored as published whose deadline has passed is closed, even before the database
    has recorded it.
    """
    if not filters:
        return None
    parts: list[wq.Query] = []
    for key in ("industry", "transformation", "town", "status"):
        value = filters.get(key)
        values = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        values = [v for v in values if isinstance(v, str) and v]
        if values:
            parts.append(wq.Or([wq.Term(key, v) for v in values]))
    since = filters.get("deadline_from")
    if isinstance(since, date):
        parts.append(wq.NumericRange("deadline", since.toordinal(), None))
    effective = filters.get("effective_status")
    if isinstance(effective, tuple) and len(effective) == 2 and isinstance(effective[1], date):
        status, day = effective
        open_ = wq.And(
            [wq.Term("status", "published"), wq.NumericRange("deadline", day.toordinal(), None)]
        )
        if status == "published":
            parts.append(open_)
        elif status == "closed":
            parts.append(
                wq.Or(
                    [
                        wq.Term("status", "closed"),
                        wq.And(
                            [
                                wq.Term("status", "published"),
                                wq.NumericRange("deadline", None, day.toordinal() - 1),
                            ]
                        ),
                    ]
                )
            )
        elif isinstance(status, str) and status:
            parts.append(wq.Term("status", status))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


__all__ = [
    "MAX_GROUPS",
    "MAX_QUERY_CHARS",
    "TEXT_FIELDS",
    "clean_query",
    "filter_query",
    "group_query",
    "group_terms",
    "min_should_match",
    "unit_query",
]
