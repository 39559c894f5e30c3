"""Evaluating the board's queries as numpy vectors over whole posting lists.

Whoosh scores one document at a time through a tree of matcher objects: several Python
method calls per document per node. The board needs every match anyway (the totals and the
facet counts cover all of them), so here each term's posting list is read whole, scored in
one vector expression, and the query tree is evaluated on dense score vectors (one float
per document of the searcher; 0.0 means "does not match"). The scores are Whoosh's own
BM25F (same formula, same global statistics, same byte-quantised field lengths), so the
ranking is unchanged; only the work per match moved from Python into numpy.

Only the query shapes that :mod:`search_index.query` builds are supported (``Term``,
``And``, ``Or``, ``Require``, ``Every``, ``NumericRange`` in filters); anything else raises
:class:`Unsupported` and the caller falls back to Whoosh.

What a search needs of each document (field lengths, facet, status and sort columns, the
deletions) is read once per searcher into a :class:`View`; segments never change after
they are written, so their part is cached by segment id, and after a small commit only
the new segment is read.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from whoosh import columns
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield, byte_to_length
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .schema import FACET_FIELDS, TEXT_FIELDS

SORT_FIELDS = ("published", "deadline", "budget")
CODED_FIELDS = (*FACET_FIELDS, "status")  # ID columns, held as codes into a value table
_BYTE_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_CACHE_SEGMENTS = 64
_EMPTY_IDS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=np.float64)


class Unsupported(Exception):
    """The query holds a node this evaluator does not know; use Whoosh instead."""


class Timeout(Exception):
    """The time limit passed while evaluating."""


# -- per-segment and per-searcher data ----------------------------------------------------


@dataclass(slots=True)
class SegmentData:
    """What a search needs of one segment, read once, by local docnum.

    ``codes[name]`` indexes ``values[name]`` (an ID column's distinct values); ``numbers``
    holds the sort columns in Whoosh's order-preserving unsigned encoding.
    """

    doc_count_all: int
    lengths: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    numbers: dict[str, np.ndarray]


_cache: OrderedDict[str, SegmentData] = OrderedDict()
_cache_lock = threading.Lock()


def _numeric_column(raw, n: int) -> np.ndarray:
    """A fixed-width numeric column as an array, in one read (Whoosh reads a value per
    file access)."""
    count = min(raw._count, n)
    data = raw._dbfile.get(raw._basepos, count * raw._fixedlen) if count else b""
    dtype = np.dtype(raw._typecode).newbyteorder(">")
    out = np.full(n, raw._default, dtype=np.uint64)
    out[:count] = np.frombuffer(data, dtype=dtype, count=count)
    return out


def _id_column(reader, name: str, n: int) -> tuple[np.ndarray, list[str]]:
    raw = reader.column_reader(name, translate=False)
    field = reader.schema[name]
    if isinstance(raw, columns.VarBytesColumn.Reader):
        total = sum(raw._lengths)
        blob = raw._dbfile.get(raw._basepos, total) if total else b""
        cells = [blob[o : o + ln] for o, ln in zip(raw._offsets, raw._lengths, strict=True)]
        cells += [b""] * (n - len(cells))
    else:  # any other column type: slower, still correct
        cells = [raw[d] for d in range(n)]
    distinct = sorted(set(cells))
    code = {v: i for i, v in enumerate(distinct)}
    codes = np.fromiter(map(code.__getitem__, cells), dtype=np.int32, count=n)
    return codes, [field.from_column_value(v) if v else "" for v in distinct]


def _read_segment(reader) -> SegmentData:
    n = reader.doc_count_all()
    perdoc = reader._perdoc
    lengths: dict[str, np.ndarray] = {}
    for name in TEXT_FIELDS:
        if n and perdoc.has_column(_lenfield(name)):
            col = perdoc.column_reader(_lenfield(name), LENGTHS_COLUMN)
            if isinstance(col, columns.NumericColumn.Reader) and col._typecode == "B":
                raw = _numeric_column(col, n).astype(np.intp)
            else:
                raw = np.fromiter(col, dtype=np.intp, count=n)
            lengths[name] = _BYTE_LENGTH[raw]
        else:
            lengths[name] = np.zeros(n, dtype=np.float64)
    codes: dict[str, np.ndarray] = {}
    values: dict[str, list[str]] = {}
    for name in CODED_FIELDS:
        if n and reader.has_column(name):
            codes[name], values[name] = _id_column(reader, name, n)
        else:
            codes[name], values[name] = np.zeros(n, dtype=np.int32), [""]
    numbers: dict[str, np.ndarray] = {}
    for name in SORT_FIELDS:
        raw = reader.column_reader(name, translate=False) if n and reader.has_column(name) else None
        if isinstance(raw, columns.NumericColumn.Reader):
            numbers[name] = _numeric_column(raw, n)
        elif raw is not None:
            numbers[name] = np.fromiter((int(v) for v in raw), dtype=np.uint64, count=n)
        else:
            numbers[name] = np.zeros(n, dtype=np.uint64)
    return SegmentData(n, lengths, codes, values, numbers)


def _segment_key(reader) -> str:
    return f"{reader.segment().segment_id()}:{reader.doc_count_all()}"


def segment_data(reader) -> SegmentData:
    """The cached data of a segment reader (read on first use).

    Keyed by the segment's id (random per segment) and size: a segment never changes
    after it is written, except for its deletions, which belong to the searcher's view.
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
    key: str
    deleted: bool


@dataclass(slots=True)
class View:
    """Every document of one searcher, by global docnum: what filters, sorts, facets and
    scoring read. Built once per searcher (a searcher sees a fixed state of the index)."""

    n: int
    leaves: list[Leaf]
    live: np.ndarray  # bool: not deleted
    lengths: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    code_of: dict[str, dict[str, int]]
    numbers: dict[str, np.ndarray]


def _build_view(searcher: Searcher) -> View:
    leaves: list[Leaf] = []
    parts: list[SegmentData] = []
    live_parts: list[np.ndarray] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        data = segment_data(reader)
        live = np.ones(data.doc_count_all, dtype=bool)
        deleted = bool(reader.has_deletions())
        if deleted:
            gone = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
            live[gone[gone < data.doc_count_all]] = False
        leaves.append(Leaf(reader, offset, _segment_key(reader), deleted))
        parts.append(data)
        live_parts.append(live)

    def joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)

    values: dict[str, list[str]] = {}
    code_of: dict[str, dict[str, int]] = {}
    codes: dict[str, np.ndarray] = {}
    for name in CODED_FIELDS:
        table = sorted({v for p in parts for v in p.values[name]} | {""})
        index = {v: i for i, v in enumerate(table)}
        remapped = [
            np.array([index[v] for v in p.values[name]], dtype=np.int32)[p.codes[name]]
            for p in parts
        ]
        values[name], code_of[name] = table, index
        codes[name] = joined(remapped, np.int32)
    return View(
        n=sum(p.doc_count_all for p in parts),
        leaves=leaves,
        live=joined(live_parts, bool),
        lengths={f: joined([p.lengths[f] for p in parts], np.float64) for f in TEXT_FIELDS},
        codes=codes,
        values=values,
        code_of=code_of,
        numbers={f: joined([p.numbers[f] for p in parts], np.uint64) for f in SORT_FIELDS},
    )


_view_lock = threading.Lock()


def view_of(searcher: Searcher) -> View:
    """The searcher's :class:`View`, built on first use and kept on the searcher."""
    view: View | None = getattr(searcher, "_board_view", None)
    if view is None:
        with _view_lock:
            view = getattr(searcher, "_board_view", None)
            if view is None:
                view = _build_view(searcher)
                searcher._board_view = view  # type: ignore[attr-defined]
    return view


# -- evaluation ------------------------------------------------------------------------------


class Evaluator:
    """Evaluates queries on one searcher: a query becomes a float64 vector of scores by
    global docnum, 0.0 where the document does not match (BM25F scores of a match are
    always positive: Whoosh's idf is above zero and every boost here is positive)."""

    def __init__(self, searcher: Searcher, deadline: float | None = None) -> None:
        self.searcher = searcher
        self.deadline = deadline
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise Unsupported(f"weighting {type(weighting).__name__}")
        self.B, self.K1 = weighting.B, weighting.K1
        self.field_B = dict(weighting._field_B)
        self.view = view_of(searcher)
        self.n = self.view.n
        self.timed_out = False
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _check_time(self) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.timed_out = True
            raise Timeout

    # -- terms -----------------------------------------------------------------------------

    def _base(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, BM25F scores) of the live documents holding ``text`` in
        ``fieldname``; read once per search (the same term recurs: in a word, inside the
        cover of a longer word and of its synonyms)."""
        self._check_time()
        key = (fieldname, text)
        base = self._terms.get(key)
        if base is None:
            base = self._terms[key] = self._term_scores(fieldname, text)
        return base

    def _term_scores(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        searcher = self.searcher
        schema = searcher.schema
        if fieldname not in schema:
            return _EMPTY_IDS, _EMPTY_SCORES
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return _EMPTY_IDS, _EMPTY_SCORES
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
            lengths = self.view.lengths[fieldname]
        id_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        live = self.view.live
        for leaf in self.view.leaves:
            ids, weights = _postings(leaf, fieldname, btext)
            if not len(ids):
                continue
            g = ids.astype(np.int64)
            if leaf.offset:
                g += leaf.offset
            w = weights.astype(np.float64)
            s = kk * w / (w + c1 + c2 * lengths[g]) if scorable else w
            if leaf.deleted:
                keep = live[g]
                g, s = g[keep], s[keep]
            id_parts.append(g)
            score_parts.append(s)
        if not id_parts:
            return _EMPTY_IDS, _EMPTY_SCORES
        if len(id_parts) == 1:
            return id_parts[0], score_parts[0]
        return np.concatenate(id_parts), np.concatenate(score_parts)

    def term(self, fieldname: str, text: str, boost: float) -> np.ndarray:
        _positive(boost)
        ids, scores = self._base(fieldname, text)
        acc = np.zeros(self.n)
        acc[ids] = scores * boost if boost != 1.0 else scores
        return acc

    def terms_or(self, terms: Sequence[wq.Term]) -> np.ndarray:
        """An Or of terms (one word in several fields) summed into one vector."""
        acc = np.zeros(self.n)
        for read, t in enumerate(terms):
            _positive(t.boost)
            try:
                ids, scores = self._base(t.fieldname, t.text)
            except Timeout:
                if not read:
                    raise
                break  # the fields read in time still count
            # A term's docnums are distinct, so a fancy-indexed add is exact.
            acc[ids] += scores * t.boost if t.boost != 1.0 else scores
        return acc

    # -- the query tree --------------------------------------------------------------------

    def evaluate(self, q: wq.Query) -> np.ndarray:
        """Scores by global docnum for a query of Term/And/Or/Require/Every nodes."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Or):
            _unit_boost(q)
            subs = q.subqueries
            if subs and all(type(sub) is wq.Term for sub in subs):
                return self.terms_or(subs)
            acc = np.zeros(self.n)
            for sub in subs:
                try:
                    acc += self.evaluate(sub)
                except Timeout:
                    break  # what the earlier alternatives found is still a fair answer
            return acc
        if isinstance(q, wq.And):
            _unit_boost(q)
            if not q.subqueries:
                return np.zeros(self.n)
            acc = None
            mask = None
            for sub in q.subqueries:
                part = self.evaluate(sub)
                hit = part > 0
                mask = hit if mask is None else mask & hit
                if not mask.any():
                    return np.zeros(self.n)
                acc = part if acc is None else acc + part
            return np.where(mask, acc, 0.0)
        if isinstance(q, wq.Require):
            scored = self.evaluate(q.a)
            return np.where(self.mask(q.b), scored, 0.0)
        if isinstance(q, wq.Every):
            return self.view.live.astype(np.float64)
        raise Unsupported(type(q).__name__)

    def mask(self, q: wq.Query) -> np.ndarray:
        """The live documents matching a filter query (from the columns, no scoring)."""
        return self._mask(q) & self.view.live

    def _mask(self, q: wq.Query) -> np.ndarray:
        view = self.view
        if isinstance(q, wq.Term) and q.fieldname in CODED_FIELDS:
            code = view.code_of[q.fieldname].get(q.text)
            if code is None:
                return np.zeros(self.n, dtype=bool)
            return view.codes[q.fieldname] == code
        if isinstance(q, wq.NumericRange) and q.fieldname in SORT_FIELDS:
            if q.startexcl or q.endexcl:
                raise Unsupported("exclusive range")
            numbers = view.numbers[q.fieldname]
            # The columns hold Whoosh's order-preserving encoding: encode the bounds.
            encode = self.searcher.schema[q.fieldname].to_column_value
            out = np.ones(self.n, dtype=bool)
            if q.start is not None:
                out &= numbers >= np.uint64(encode(q.start))
            if q.end is not None:
                out &= numbers <= np.uint64(encode(q.end))
            return out
        if isinstance(q, wq.And):
            out = np.ones(self.n, dtype=bool)
            for sub in q.subqueries:
                out &= self._mask(sub)
            return out
        if isinstance(q, wq.Or):
            out = np.zeros(self.n, dtype=bool)
            for sub in q.subqueries:
                out |= self._mask(sub)
            return out
        if isinstance(q, wq.Every):
            return np.ones(self.n, dtype=bool)
        raise Unsupported(type(q).__name__)


def _unit_boost(q: wq.Query) -> None:
    if q.boost != 1.0 or getattr(q, "scale", None):
        raise Unsupported("boosted or scaled compound")


def _positive(boost: float) -> None:
    if not boost > 0:  # a zero or negative boost would break "0.0 means no match"
        raise Unsupported("non-positive boost")


# -- reading postings ------------------------------------------------------------------------


def _read_postings(m) -> tuple[np.ndarray, np.ndarray]:
    """All ids and weights of a leaf matcher, a block at a time (what ``_read_ids`` and
    ``_read_weights`` do, with the delta decoding in numpy)."""
    if not hasattr(m, "_read_data") or getattr(m, "_byteids", True):
        raise Unsupported(type(m).__name__)
    id_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw_ids, raw_weights = m._data[0], m._data[1]
        n = m._blocklength
        id_parts.append(np.cumsum(np.asarray(raw_ids, dtype=np.int64)))  # delta-coded
        if raw_weights is None:
            weight_parts.append(np.ones(n, dtype=np.float32))
        elif isinstance(raw_weights, float):
            weight_parts.append(np.full(n, raw_weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(raw_weights, dtype=np.float32))
        m._next_block()
    if len(id_parts) == 1:
        return id_parts[0].astype(np.int32), weight_parts[0]
    return (
        np.concatenate(id_parts).astype(np.int32) if id_parts else np.empty(0, np.int32),
        np.concatenate(weight_parts) if weight_parts else np.empty(0, np.float32),
    )


class PostingsCache:
    """Decoded postings (ids and weights) of recently used terms by segment, absent terms
    included, up to ``limit`` postings in all (8 bytes each), least recently used out.

    Reading a posting list means unpickling Whoosh's blocks; the board's queries keep
    reading the same common words (检测, 系统, 回收 ...), through covers and synonyms. This
    caches what the index holds, never results: every search still evaluates its whole
    query. Segments never change after they are written, so entries are never stale;
    deletions are applied per search. ``limit = 0`` turns it off.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[tuple[str, str, bytes], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[str, str, bytes]) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return item

    def put(self, key: tuple[str, str, bytes], item: tuple[np.ndarray, np.ndarray]) -> None:
        n = _charge(item)
        if n > self.limit // 4:  # never let one term flush the rest
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = item
            self.size += n
            while self.size > self.limit and self._items:
                _, old = self._items.popitem(last=False)
                self.size -= _charge(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


def _charge(item: tuple[np.ndarray, np.ndarray]) -> int:
    """An entry's size in postings; an absent term (no postings) still holds its key, so
    random words typed by the public cannot grow the cache without bound."""
    return max(len(item[0]), _KEY_CHARGE)


_KEY_CHARGE = 32  # postings (256 bytes), about what a cached key and its entry take

# 6 million postings: ~48 MB per process, enough for the common words of 100,000 needs.
postings_cache = PostingsCache(6_000_000)


_NO_POSTINGS = (np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32))
for _array in _NO_POSTINGS:
    _array.flags.writeable = False


def _postings(leaf: Leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The term's postings in one segment (empty arrays when the segment lacks the term).
    A cached entry, present or absent, costs no lookup in Whoosh's term table."""
    key = (leaf.key, fieldname, btext)
    cache = postings_cache
    if cache.limit:
        item = cache.get(key)
        if item is not None:
            return item
    try:
        m = leaf.reader.postings(fieldname, btext)  # type: ignore[attr-defined]
    except TermNotFound:
        item = _NO_POSTINGS
    else:
        if isinstance(m, FilterMatcher):
            m = m.child  # deletions are applied by the caller, so the entry stays valid
        item = _read_postings(m)
        item[0].flags.writeable = False  # shared between searches and threads
        item[1].flags.writeable = False
    if cache.limit:
        cache.put(key, item)
    return item


__all__ = [
    "Evaluator",
    "PostingsCache",
    "SegmentData",
    "Timeout",
    "Unsupported",
    "View",
    "postings_cache",
    "segment_data",
    "view_of",
]
