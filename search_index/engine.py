"""Evaluating the board's queries over whole posting lists, without Whoosh's matcher tree.

Whoosh scores one document at a time through a tree of matcher objects: several Python
method calls per document per node. The board needs every match anyway (the totals and the
facet counts cover all of them), so here each term's posting list is read block by block
and scored in one comprehension, and the query tree is evaluated on ``{docnum: score}``
dicts. The scores are Whoosh's own BM25F (same formula, same global statistics, same byte-
quantised field lengths), so the ranking is unchanged; only the work per match shrinks.

Only the query shapes that :mod:`search_index.query` builds are supported (``Term``,
``And``, ``Or``, ``Require``, ``Every``, ``NumericRange`` in filters); anything else raises
:class:`Unsupported` and the caller falls back to Whoosh.

Per-segment data (field lengths, facet and sort columns) is cached by segment id: a
segment's documents never change (only its deletion set does), so after a small commit
only the new segment is read, and the first search after an update stays fast.
"""

from __future__ import annotations

import struct
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat

from whoosh import columns
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield, byte_to_length
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .schema import FACET_FIELDS, TEXT_FIELDS

SORT_FIELDS = ("published", "deadline", "budget")
COLUMN_FIELDS = (*FACET_FIELDS, "status", *SORT_FIELDS)
_BYTE_LENGTH = [float(byte_to_length(b)) for b in range(256)]
_CACHE_SEGMENTS = 64


class Unsupported(Exception):
    """The query holds a node this evaluator does not know; use Whoosh instead."""


class Timeout(Exception):
    """The time limit passed while evaluating."""


@dataclass(slots=True)
class SegmentData:
    """What a search needs of one segment, read once: lengths and columns by local docnum."""

    doc_count_all: int
    lengths: dict[str, list[float]]
    columns: dict[str, list]


_cache: OrderedDict[str, SegmentData] = OrderedDict()
_cache_lock = threading.Lock()


def _column_values(reader, name: str, n: int) -> list:
    """A column's values for every document, read in bulk: ``str`` for ID columns, the raw
    (order-preserving) integers for numeric ones; Whoosh reads one value per file access."""
    raw = reader.column_reader(name, translate=False)
    field = reader.schema[name]
    if isinstance(raw, columns.NumericColumn.Reader):
        count = min(raw._count, n)
        data = raw._dbfile.get(raw._basepos, count * raw._fixedlen)
        values = list(struct.unpack(f"!{count}{raw._typecode}", data))
        return values + [raw._default] * (n - count)
    if isinstance(raw, columns.VarBytesColumn.Reader):
        total = sum(raw._lengths)
        blob = raw._dbfile.get(raw._basepos, total) if total else b""
        out = [blob[o : o + ln] for o, ln in zip(raw._offsets, raw._lengths, strict=True)]
        names = {v: field.from_column_value(v) for v in set(out)}
        return list(map(names.__getitem__, out))
    if isinstance(field.column_type, columns.NumericColumn):
        return list(raw)  # raw numbers, like the bulk path
    return [field.from_column_value(v) for v in raw]  # any other column type: slow, correct


def _read_segment(reader) -> SegmentData:
    n = reader.doc_count_all()
    perdoc = reader._perdoc
    lengths: dict[str, list[float]] = {}
    for name in TEXT_FIELDS:
        if n and perdoc.has_column(_lenfield(name)):
            col = perdoc.column_reader(_lenfield(name), LENGTHS_COLUMN)
            lengths[name] = [_BYTE_LENGTH[b] for b in _column_values_raw(col, n)]
        else:
            lengths[name] = [0.0] * n
    cols: dict[str, list] = {}
    for name in COLUMN_FIELDS:
        if n and reader.has_column(name):
            cols[name] = _column_values(reader, name, n)
        else:
            cols[name] = [""] * n if name not in SORT_FIELDS else [0] * n
    return SegmentData(n, lengths, cols)


def _column_values_raw(col, n: int) -> list[int]:
    if isinstance(col, columns.NumericColumn.Reader) and col._typecode == "B":
        count = min(col._count, n)
        data = col._dbfile.get(col._basepos, count)
        return list(data) + [col._default] * (n - count)
    return list(col)


def _segment_key(reader) -> str:
    return f"{reader.segment().segment_id()}:{reader.doc_count_all()}"


def segment_data(reader) -> SegmentData:
    """The cached data of a segment reader (read on first use).

    Keyed by the segment's id (random per segment) and size: a segment never changes
    after it is written, except for its deletions, which are read per search.
    """
    key = _segment_key(reader)
    with _cache_lock:
        data = _cache.get(key)
        if data is not None:
            _cache.move_to_end(key)
            return data
    data = _read_segment(reader)
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > _CACHE_SEGMENTS:
            _cache.popitem(last=False)
    return data


@dataclass(slots=True)
class Leaf:
    reader: object
    offset: int
    data: SegmentData
    deleted: frozenset[int]
    key: str


class Evaluator:
    """Evaluates queries on one searcher; results map global docnums to scores."""

    def __init__(self, searcher: Searcher, deadline: float | None = None) -> None:
        self.searcher = searcher
        self.deadline = deadline
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise Unsupported(f"weighting {type(weighting).__name__}")
        self.B, self.K1 = weighting.B, weighting.K1
        self.field_B = dict(weighting._field_B)
        self.leaves = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
            self.leaves.append(
                Leaf(reader, offset, segment_data(reader), deleted, _segment_key(reader)))
        self.timed_out = False
        self._terms: dict[tuple[str, str], dict[int, float]] = {}

    # -- per-document data ---------------------------------------------------------------

    def column(self, name: str) -> Callable[[int], object]:
        """A function from global docnum to the column value."""
        if len(self.leaves) == 1 and self.leaves[0].offset == 0:
            return self.leaves[0].data.columns[name].__getitem__
        full: list = []
        for leaf in self.leaves:
            full.extend(leaf.data.columns[name])
        return full.__getitem__

    def all_docs(self) -> list[int]:
        """Every live global docnum, ascending."""
        out: list[int] = []
        for leaf in self.leaves:
            base = leaf.offset
            if leaf.deleted:
                out.extend(base + d for d in range(leaf.data.doc_count_all)
                           if d not in leaf.deleted)
            else:
                out.extend(range(base, base + leaf.data.doc_count_all))
        return out

    # -- evaluation ----------------------------------------------------------------------

    def _check_time(self) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.timed_out = True
            raise Timeout

    def term(self, fieldname: str, text: str, boost: float) -> dict[int, float]:
        """BM25F scores of every live document holding ``text`` in ``fieldname``."""
        base = self._base(fieldname, text)
        # A new dict each time: callers merge into what they get.
        return dict(base) if boost == 1.0 else {d: s * boost for d, s in base.items()}

    def _base(self, fieldname: str, text: str) -> dict[int, float]:
        self._check_time()
        key = (fieldname, text)
        base = self._terms.get(key)
        if base is None:
            base = self._terms[key] = self._term_scores(fieldname, text)
        return base

    def terms_or(self, terms: list[wq.Term]) -> dict[int, float]:
        """An Or of terms (one word in several fields) summed into one new dict."""
        bases = []
        for t in terms:
            try:
                bases.append((self._base(t.fieldname, t.text), t.boost))
            except Timeout:
                if not bases:
                    raise
                break  # the fields read in time still count
        bases.sort(key=lambda item: len(item[0]), reverse=True)
        first, boost = bases[0]
        acc = dict(first) if boost == 1.0 else {d: s * boost for d, s in first.items()}
        get = acc.get
        for base, boost in bases[1:]:
            for d, s in base.items():
                acc[d] = get(d, 0.0) + s * boost
        return acc

    def _term_scores(self, fieldname: str, text: str) -> dict[int, float]:
        # The same term recurs within one query (a word, and inside the cover of a longer
        # word and of its synonyms): its postings are read once per search.
        searcher = self.searcher
        schema = searcher.schema
        if fieldname not in schema:
            return {}
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return {}
        scores: dict[int, float] = {}
        scorable = field.scorable
        if scorable:
            idf = searcher.idf(fieldname, btext)
            avgfl = searcher.avg_field_length(fieldname) or 1
            b = self.field_B.get(fieldname, self.B)
            k1 = self.K1
            # bm25 = idf * tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * fl / avgfl))
            kk = idf * (k1 + 1)
            c1 = k1 * (1 - b)
            c2 = k1 * b / avgfl
        for leaf in self.leaves:
            reader = leaf.reader
            if (fieldname, btext) not in reader:
                continue
            ids, weights = _postings(leaf, fieldname, btext)
            off = leaf.offset
            if scorable:
                lengths = leaf.data.lengths[fieldname]
                if off:
                    part = {off + d: kk * w / (w + c1 + c2 * lengths[d])
                            for d, w in zip(ids, weights, strict=True)}
                else:
                    part = {d: kk * w / (w + c1 + c2 * lengths[d])
                            for d, w in zip(ids, weights, strict=True)}
            else:
                part = {off + d: float(w) for d, w in zip(ids, weights, strict=True)}
            if leaf.deleted:
                for d in leaf.deleted:
                    part.pop(off + d, None)
            if scores:
                scores.update(part)
            else:
                scores = part
        return scores

    def evaluate(self, q: wq.Query) -> dict[int, float]:
        """``{docnum: score}`` for a query of Term/And/Or/Require nodes."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Or):
            _unit_boost(q)
            subs = q.subqueries
            if subs and all(type(sub) is wq.Term for sub in subs):
                return self.terms_or(subs)
            acc: dict[int, float] = {}
            for sub in q.subqueries:
                try:
                    part = self.evaluate(sub)
                except Timeout:
                    break  # what the earlier alternatives found is still a fair answer
                if len(part) > len(acc):  # add the smaller dict into the larger (both are new)
                    acc, part = part, acc
                get = acc.get
                for d, sc in part.items():
                    acc[d] = get(d, 0.0) + sc
            return acc
        if isinstance(q, wq.And):
            _unit_boost(q)
            parts = []
            for s in q.subqueries:
                part = self.evaluate(s)
                if not part:
                    return {}
                parts.append(part)
            if not parts:
                return {}
            parts.sort(key=len)
            acc = parts[0]
            for part in parts[1:]:
                acc = {d: sc + part[d] for d, sc in acc.items() if d in part}
                if not acc:
                    break
            return acc
        if isinstance(q, wq.Require):
            scored = self.evaluate(q.a)
            allowed = self.docs(q.b, candidates=scored.keys())
            return {d: s for d, s in scored.items() if d in allowed}
        if isinstance(q, wq.Every):
            return dict.fromkeys(self.all_docs(), 1.0)
        raise Unsupported(type(q).__name__)

    def docs(self, q: wq.Query, candidates=None) -> set[int]:
        """The docnums matching a filter query (from the columns, so no scoring)."""
        pred = self.predicate(q)
        base = self.all_docs() if candidates is None else candidates
        return set(filter(pred, base))

    def predicate(self, q: wq.Query) -> Callable[[int], bool]:
        """A function of a docnum, true when the filter query matches it."""
        if isinstance(q, wq.Term) and q.fieldname in COLUMN_FIELDS:
            get, value = self.column(q.fieldname), q.text
            return lambda d: get(d) == value
        if isinstance(q, wq.NumericRange) and q.fieldname in SORT_FIELDS:
            get = self.column(q.fieldname)
            # Numeric columns hold Whoosh's order-preserving encoding: encode the bounds.
            encode = self.searcher.schema[q.fieldname].to_column_value
            lo = None if q.start is None else encode(q.start)
            hi = None if q.end is None else encode(q.end)
            if not (q.startexcl or q.endexcl):
                if hi is None and lo is not None:
                    return lambda d: get(d) >= lo
                if lo is None and hi is not None:
                    return lambda d: get(d) <= hi
                if lo is not None and hi is not None:
                    return lambda d: lo <= get(d) <= hi
            raise Unsupported("range")
        if isinstance(q, wq.Or) and all(
            isinstance(s, wq.Term) and s.fieldname == q.subqueries[0].fieldname
            and s.fieldname in COLUMN_FIELDS for s in q.subqueries
        ):
            get = self.column(q.subqueries[0].fieldname)
            values = frozenset(s.text for s in q.subqueries)
            return lambda d: get(d) in values
        if isinstance(q, wq.And):
            preds = [self.predicate(s) for s in q.subqueries]
            if len(preds) == 2:
                p1, p2 = preds
                return lambda d: p1(d) and p2(d)
            if len(preds) == 3:
                p1, p2, p3 = preds
                return lambda d: p1(d) and p2(d) and p3(d)
            return lambda d: all(p(d) for p in preds)
        if isinstance(q, wq.Or):  # mixed alternatives, e.g. the "closed" status filter
            preds = [self.predicate(s) for s in q.subqueries]
            return lambda d: any(p(d) for p in preds)
        if isinstance(q, wq.Every):
            return lambda d: True
        raise Unsupported(type(q).__name__)


def _unit_boost(q: wq.Query) -> None:
    if q.boost != 1.0 or getattr(q, "scale", None):
        raise Unsupported("boosted or scaled compound")


def _read_postings(m) -> tuple[list[int], list[float]]:
    """All ids and weights of a leaf matcher, a block at a time (what ``_read_ids`` and
    ``_read_weights`` do, with the delta decoding in C instead of a generator)."""
    if not hasattr(m, "_read_data") or not hasattr(m, "_byteids"):
        raise Unsupported(type(m).__name__)
    ids: list[int] = []
    weights: list[float] = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw_ids, raw_weights = m._data[0], m._data[1]
        ids.extend(raw_ids if m._byteids else accumulate(raw_ids))
        if raw_weights is None:
            weights.extend(repeat(1.0, m._blocklength))
        elif isinstance(raw_weights, float):
            weights.extend(repeat(raw_weights, m._blocklength))
        else:
            weights.extend(raw_weights)
        m._next_block()
    return ids, weights


class PostingsCache:
    """Decoded postings (ids and weights, without positions) of recently used terms, by
    segment, up to ``limit`` postings in all (8 bytes each), least recently used out.

    Whoosh stores each block of postings as one pickle holding the positions too, so
    reading a common term costs ~2 µs per posting; the board's queries keep reading the
    same common words (检测, 系统, 回收 ...), through covers and synonyms. This caches
    what the index holds, never results: every search still evaluates its whole query.
    Segments never change after they are written, so entries are never stale; deletions
    are applied per search. ``limit = 0`` turns it off.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[tuple[str, str, bytes], tuple[array, array]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[str, str, bytes]) -> tuple[array, array] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return item

    def put(self, key: tuple[str, str, bytes], item: tuple[array, array]) -> None:
        n = len(item[0])
        if n > self.limit // 4:  # never let one term flush the rest
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = item
            self.size += n
            while self.size > self.limit and self._items:
                _, (old_ids, _) = self._items.popitem(last=False)
                self.size -= len(old_ids)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


# 6 million postings: ~48 MB per process, enough for the common words of 100,000 needs.
postings_cache = PostingsCache(6_000_000)


def _postings(leaf: Leaf, fieldname: str, btext: bytes) -> tuple[Sequence[int], Sequence[float]]:
    key = (leaf.key, fieldname, btext)
    cache = postings_cache
    if cache.limit:
        item = cache.get(key)
        if item is not None:
            return item
    m = leaf.reader.postings(fieldname, btext)  # type: ignore[attr-defined]
    if isinstance(m, FilterMatcher):
        m = m.child  # deletions are applied by the caller, so the entry stays valid
    ids, weights = _read_postings(m)
    if not cache.limit:
        return ids, weights
    item = (array("i", ids), array("f", weights))
    cache.put(key, item)
    return item


__all__ = [
    "Evaluator",
    "PostingsCache",
    "SegmentData",
    "Timeout",
    "Unsupported",
    "postings_cache",
    "segment_data",
]
