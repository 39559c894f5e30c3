"""The board's Whoosh index on disk: one writer, reused searchers, atomic rebuilds.

Layout of the configured directory::

    <dir>/current          symlink to the live version folder (replaced with os.replace)
    <dir>/v-<stamp>/       Whoosh index folders; the live one and the one before it are kept
    <dir>/build-<stamp>/   a rebuild in progress (renamed to v-... when complete)
    <dir>/.swap.lock       serialises creating and swapping versions between processes

Storage never memory-maps (``FileStorage(..., supports_mmap=False)``): with mmap a reader
copies the postings into memory (~850 MB per searcher at 100,000 needs).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, clean_files
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

from .analysis import warm_up
from .engine import Evaluator, Timeout, Unsupported
from .highlight import highlight_all, snippet
from .query import (
    MAX_GROUPS,
    clean_query,
    filter_query,
    group_query,
    group_terms,
    min_should_match,
)
from .schema import FACET_FIELDS, NeedDocument, build_schema, to_fields
from .thesaurus import TermGroup, analyze_query

POINTER = "current"
SORTS = ("relevance", "newest", "deadline", "budget")
MAX_PER_PAGE = 100
# Deep pages cost a full sort of everything before them; nobody reads page 500.
MAX_OFFSET = 10_000
# Posting pool per rebuild process before it spills a sorted run to disk. Whoosh merges
# the runs in Python at the end: at 128 MB a 100,000-need rebuild wrote ~1.5 GB of runs;
# 10,000 needs built in 17 s at 512 MB against 29 s at 128 MB.
REBUILD_MB = 512
# A leftover build folder older than this belongs to a dead rebuild.
_STALE_BUILD_SECONDS = 24 * 3600


class IndexLockTimeoutError(RuntimeError):
    """Another writer held the index lock for longer than the timeout."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. The highlights are safe HTML: escaped text plus ``<mark>`` tags only."""

    id: int
    score: float
    highlight_title: str
    highlight_snippet: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of results with totals and facet counts over every match.

    Sorted by relevance, a query that fully matched some needs also lists "related" needs
    that miss one more concept, after all full matches (``full_matches`` tells where the
    UI may draw a line); sorted by a field, only full matches are listed.

    ``total_is_estimate`` is True when the count is incomplete (the time limit cut the
    search short, ``partial``). ``expanded_terms`` maps each typed concept to the synonyms
    that were also searched, so the page can say so.
    """

    hits: list[Hit]  # Hit.score is 0.0 unless sorted by relevance with a query
    total: int
    total_is_estimate: bool
    full_matches: int  # the first full_matches of total hold every required concept
    facets: dict[str, dict[str, int]]
    partial: bool
    expanded_terms: dict[str, list[str]]
    page: int
    per_page: int

    @property
    def ids(self) -> list[int]:
        """The ids of this page, in result order."""
        return [h.id for h in self.hits]

    @property
    def scores(self) -> dict[int, float]:
        """Score by id for this page."""
        return {h.id: h.score for h in self.hits}


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    documents: int
    seconds: float
    folder: Path
    procs: int
    extra: dict[str, object] = field(default_factory=dict)


@contextlib.contextmanager
def _swap_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".swap.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _stamp() -> str:
    return f"{time.time_ns():x}-{uuid.uuid4().hex[:6]}"


def _storage(folder: Path) -> FileStorage:
    return FileStorage(str(folder), supports_mmap=False)


def _codec() -> W3Codec:
    """Whoosh's codec with 1,024 postings per block (default 128), lightly compressed.

    Every search reads whole posting lists (:mod:`search_index.engine`), so Whoosh's small
    blocks, made for skipping, only add a pickle and a decompression per 128 postings. At
    100,000 needs, searches reading cold: p95 99 ms with the default codec, 59 ms with this
    one, and the index is 8 % smaller (``bench/search_format.py``; without compression it
    was 50 ms but 1.9 times larger). Any block size reads back: an older index stays
    searchable.
    """
    return W3Codec(blocklimit=1024, compression=1)


def _point_to(root: Path, folder: Path) -> Path | None:
    """Atomically make ``root/current`` point to ``folder``; return the previous target."""
    pointer = root / POINTER
    previous = root / os.readlink(pointer) if pointer.is_symlink() else None
    tmp = root / f".{POINTER}-{uuid.uuid4().hex}"
    os.symlink(folder.name, tmp)  # relative, so the whole directory can be moved
    os.replace(tmp, pointer)
    return previous


def _prune(root: Path, keep: set[Path]) -> None:
    # The folder just replaced is kept: another process may still be reading it until
    # its next search notices the new pointer.
    now = time.time()
    for child in root.iterdir():
        if child in keep or not child.is_dir() or child.is_symlink():
            continue
        if child.name.startswith("v-") or (
            child.name.startswith("build-") and now - child.stat().st_mtime > _STALE_BUILD_SECONDS
        ):
            shutil.rmtree(child, ignore_errors=True)


class SearchIndex:
    """The board's index at ``path``: safe for several threads and processes.

    Writes go through :meth:`apply` (one writer at a time, across processes). Searches use
    one reusable searcher per thread, reopened when the index changed; a searcher is never
    shared between threads because, without mmap, Whoosh reads through one shared file
    handle (``SubFile`` seeks without a lock).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, jieba_cache_dir: str | os.PathLike[str] | None = None
    ) -> None:
        self.root = Path(path)
        self._jieba_cache_dir = jieba_cache_dir
        self._local = threading.local()
        # Every open searcher, so close() can release all threads' file handles.
        self._open_searchers: set[Searcher] = set()
        self._registry_lock = threading.Lock()

    # -- locating and opening -------------------------------------------------------------

    def _current(self) -> Path | None:
        pointer = self.root / POINTER
        try:
            return self.root / os.readlink(pointer)
        except (FileNotFoundError, OSError):
            return None

    def _open(self) -> FileIndex:
        folder = self._current()
        if folder is None:
            self.ensure()
            folder = self._current()
            assert folder is not None
        return FileIndex(_storage(folder))

    def ensure(self) -> None:
        """Create an empty index if there is none; never touches an existing one."""
        warm_up(self._jieba_cache_dir)
        if self._current() is not None:
            return
        with _swap_lock(self.root):
            if self._current() is not None:
                return
            folder = self.root / f"v-{_stamp()}"
            folder.mkdir(mode=0o700)
            FileIndex.create(_storage(folder), build_schema())
            _point_to(self.root, folder)

    def exists(self) -> bool:
        """True if the pointer names an index folder."""
        return self._current() is not None

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writer(self, lock_timeout: float) -> Iterator[SegmentWriter]:
        ix = self._open()
        lock = ix.lock("WRITELOCK")
        # fcntl lock: a writer killed with SIGKILL loses its lock with its process, so a
        # lock file left behind is never "stale" by itself; only a live writer blocks us.
        if not try_for(lock.acquire, timeout=max(0.0, lock_timeout), delay=0.05):
            raise IndexLockTimeoutError(
                f"search index {self.root} is locked by another writer "
                f"(waited {lock_timeout:.1f} s)"
            )
        try:
            _clean_orphans(ix)
            writer = SegmentWriter(ix, _lk=False, codec=_codec())
        except BaseException:
            lock.release()
            raise
        writer.writelock = lock  # released by commit() or cancel()
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise

    def apply(
        self, upserts: list[NeedDocument], deletes: list[int], lock_timeout: float = 5.0
    ) -> None:
        """Add or replace ``upserts`` and remove ``deletes`` in one commit, without merging.

        An id in both lists ends up deleted. Raises :class:`IndexLockTimeoutError` if another
        writer holds the lock longer than ``lock_timeout`` seconds; nothing is written then.
        """
        if not upserts and not deletes:
            return
        deleted = set(deletes)
        with self._writer(lock_timeout) as w:
            for need_id in deleted:
                w.delete_by_term("id", str(need_id))
            # A delete only reaches committed segments, so skip upserts it should undo.
            for doc in upserts:
                if doc.id not in deleted:
                    w.update_document(**to_fields(doc))
            # A merge can take seconds on a large index; small commits must stay fast, and
            # the extra segments are merged by the maintenance step (merge()/optimize()).
            w.commit(merge=False)

    def merge(self, lock_timeout: float = 30.0) -> None:
        """Maintenance: merge small segments (Whoosh's default policy)."""
        with self._writer(lock_timeout) as w:
            w.commit(merge=True)

    def optimize(self, lock_timeout: float = 30.0) -> None:
        """Maintenance: merge everything into one segment (slow on a large index)."""
        with self._writer(lock_timeout) as w:
            w.commit(optimize=True)

    # -- reading ---------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """This thread's searcher, reopened if the index changed or was rebuilt.

        Callers must not close it, nor pass it to another thread.
        """
        local = self._local
        folder = self._current()
        if folder is None:
            self.ensure()
            folder = self._current()
        current: Searcher | None = getattr(local, "searcher", None)
        if current is not None and local.folder == folder and current.up_to_date():
            return current
        # Never Searcher.refresh(): in whoosh-reloaded 2.7.5 it returns duplicates of
        # updated documents. A fresh searcher is cheap without mmap (~0.3 ms).
        fresh = FileIndex(_storage(folder)).searcher()  # type: ignore[arg-type]
        local.searcher, local.folder = fresh, folder
        with self._registry_lock:
            self._open_searchers.add(fresh)
            if current is not None:
                self._open_searchers.discard(current)
        if current is not None:
            current.close()  # only this thread ever used it
        return fresh

    def close(self) -> None:
        """Close every thread's searcher; call when no search is running (shutdown, tests).

        The index stays usable: the next search opens a new searcher.
        """
        with self._registry_lock:
            searchers, self._open_searchers = self._open_searchers, set()
        for s in searchers:
            s.close()
        self._local = threading.local()

    def doc_count(self) -> int:
        """Number of live documents."""
        return self.searcher().doc_count()

    def segment_count(self) -> int:
        """Number of segments of the live index (grows by one per small commit)."""
        return len(self._open()._segments())

    def outdated_fields(self) -> list[str]:
        """Fields the live index stores differently from :func:`build_schema` (an index
        written by an earlier version, e.g. with token positions). It is still searched
        correctly, only slower, until ``flask search rebuild``."""
        stored = self._open().schema
        expected = build_schema()
        return [
            name
            for name in expected.names()
            if name not in stored or _signature(stored[name]) != _signature(expected[name])
        ]

    def stored_versions(self) -> dict[int, str]:
        """The version stamp of every indexed need, by id (for the drift check)."""
        return {
            int(fields["id"]): fields.get("version", "")
            for fields in self.searcher().reader().all_stored_fields()
        }

    def search(
        self,
        query: object,
        *,
        filters: dict[str, object] | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        time_limit: float = 0.5,
    ) -> SearchResult:
        """Search the board; never raises on any user input.

        An empty query (or one of filler words only) matches every need passing the
        filters, so the same call serves the plain board and its facet counts; with
        ``sort="relevance"`` such a result is ordered newest first. See :func:`search_with`.
        """
        return search_with(
            self.searcher(),
            query,
            filters=filters,
            sort=sort,
            page=page,
            per_page=per_page,
            time_limit=time_limit,
        )

    def rebuild(
        self,
        docs: Iterable[NeedDocument],
        total: int | None = None,
        procs: int = 2,
        progress: bool = False,
    ) -> RebuildReport:
        """Build a fresh index from ``docs`` and swap it in; see :func:`rebuild`."""
        return rebuild(self.root, docs, total=total, procs=procs, progress=progress)


# -- maintenance helpers --------------------------------------------------------------------


def _signature(field: object) -> tuple[object, ...]:
    """What decides how a field is written (Whoosh's field equality ignores the numeric
    tiers and compares column types by identity)."""
    fmt = getattr(field, "format", None)
    return (
        type(field),
        type(fmt),
        getattr(fmt, "__dict__", None),
        getattr(field, "shift_step", None),
        getattr(field, "bits", None),
        getattr(field, "scorable", None),
        getattr(field, "stored", None),
    )


def _clean_orphans(ix: FileIndex) -> None:
    """Delete files a killed writer left behind. Only call while holding the write lock."""
    storage = ix.storage
    toc = ix._read_toc()
    clean_files(storage, ix.indexname, toc.generation, toc.segments)
    # A TOC is written to "<name>.<time>" and renamed; a kill in between leaves the temp file.
    prefix = f"_{ix.indexname}_"
    for name in storage.list():
        if name.startswith(prefix) and ".toc." in name:
            with contextlib.suppress(OSError):
                storage.delete_file(name)


# -- searching ------------------------------------------------------------------------------


def _sort_facet(sort: str, has_query: bool) -> sorting.FacetType | None:
    if sort == "newest" or (sort == "relevance" and not has_query):
        return sorting.FieldFacet("published", reverse=True)
    if sort == "deadline":
        return sorting.MultiFacet(
            [sorting.FieldFacet("deadline"), sorting.FieldFacet("published", reverse=True)]
        )
    if sort == "budget":
        return sorting.MultiFacet(
            [
                sorting.FieldFacet("budget", reverse=True),
                sorting.FieldFacet("published", reverse=True),
            ]
        )
    return None


class _AllowedWithinTime(collectors.TimeLimitCollector):
    """A time limit plus an allow-set of docnums, checked in the same loop.

    Whoosh applies a ``filter`` only in ``FilterCollector.collect_matches``, which a
    wrapping TimeLimitCollector bypasses (the filter was silently lost), and a
    TimeLimitCollector wrapped by the filter never checks its clock. No SIGALRM either:
    signals only work in the main thread, and servers search from others.
    """

    def __init__(self, child: collectors.Collector, timelimit: float, allow: set[int] | None):
        super().__init__(child, timelimit, greedy=False, use_alarm=False)
        self.allow = allow

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self.allow, self.child.offset
        for sub_docnum in child.matches():
            if self.timedout:
                raise collectors.TimeLimit
            if allow is None or offset + sub_docnum in allow:
                child.collect(sub_docnum)


def _tiers(
    searcher: Searcher, queries: list[wq.Query], need: int, related: bool
) -> tuple[set[int], set[int]]:
    """(full, allowed) docnums: ``full`` match at least ``need`` of ``queries``.

    Whoosh's ``Or(minmatch=...)`` is a stub, so the rule is applied with docnum sets. With
    ``related`` and at least one full match, needs missing one more concept are allowed
    too (ranked after all full matches): a query that found its topic also shows near
    misses (MES 排产 → an MES need without 排产), while a query that matches nothing in
    full (咖啡店 装修 设计) still finds nothing.
    """
    counts: Counter[int] = Counter()
    for q in queries:
        counts.update(set(q.docs(searcher)))
    full = {doc for doc, n in counts.items() if n >= need}
    if not related or not full or need <= 1:
        return full, full
    return full, {doc for doc, n in counts.items() if n >= need - 1}


def _safe_int(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        number = default
    return max(low, min(high, number))


def _facet_counts(searcher: Searcher, docnums: Iterable[int]) -> dict[str, dict[str, int]]:
    """Counts of each facet value over ``docnums``.

    Whoosh's FieldFacet re-reads the whole column from disk on every search (~30 ms at
    6,000 needs without mmap); the values are read once per searcher instead, which is
    replaced whenever the index changes.
    """
    values: dict[str, list[str]] | None = getattr(searcher, "_board_facet_values", None)
    if values is None:
        reader = searcher.reader()
        if reader.doc_count_all() == 0:  # an empty index's reader has no columns at all
            values = {name: [] for name in FACET_FIELDS}
        else:
            values = {
                name: list(reader.column_reader(name, translate=True)) for name in FACET_FIELDS
            }
        searcher._board_facet_values = values  # type: ignore[attr-defined]
    docs = list(docnums)
    counts: dict[str, dict[str, int]] = {}
    for name, column in values.items():
        counter = Counter(column[d] for d in docs)
        counter.pop("", None)
        counts[name] = dict(counter.most_common())
    return counts


def _expanded(groups: list[TermGroup]) -> dict[str, list[str]]:
    return {g.label: list(g.expansion_labels) for g in groups if g.expansions}


def score_of(value: object) -> float:
    """A hit's relevance score as a float (0.0 when results were sorted by a field)."""
    return float(value) if isinstance(value, (int, float)) else 0.0


def search_with(
    searcher: Searcher,
    query: object,
    *,
    filters: dict[str, object] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    time_limit: float = 0.5,
    groups: list[TermGroup] | None = None,
) -> SearchResult:
    """Run a board search on ``searcher``.

    The query string is cleaned (control characters dropped, 100 characters kept),
    segmented like the index, stripped of filler words and expanded with synonyms; a need
    must match enough of its concepts (:func:`~search_index.query.min_should_match`).
    ``per_page`` is capped at 100 and results beyond the 10,000th are not paged. After
    ``time_limit`` seconds the best results found so far are returned with ``partial``
    (and the total flagged as an estimate).
    """
    started = time.perf_counter()
    per_page = _safe_int(per_page, 20, 1, MAX_PER_PAGE)
    page = _safe_int(page, 1, 1, MAX_OFFSET // per_page + 1)
    sort = sort if sort in SORTS else "relevance"
    if groups is None:
        groups = analyze_query(clean_query(query))
    groups = groups[:MAX_GROUPS]
    try:
        return _search_fast(
            searcher,
            groups,
            filters=filters,
            sort=sort,
            page=page,
            per_page=per_page,
            deadline=started + time_limit,
        )
    except Unsupported:
        remaining = max(0.01, time_limit - (time.perf_counter() - started))
        return _search_whoosh(
            searcher,
            query,
            filters=filters,
            sort=sort,
            page=page,
            per_page=per_page,
            time_limit=remaining,
            groups=groups,
        )


def _empty_result(groups: list[TermGroup], page: int, per_page: int) -> SearchResult:
    return SearchResult(
        hits=[],
        total=0,
        total_is_estimate=False,
        full_matches=0,
        facets={name: {} for name in FACET_FIELDS},
        partial=False,
        expanded_terms=_expanded(groups),
        page=page,
        per_page=per_page,
    )


def _search_fast(
    searcher: Searcher,
    groups: list[TermGroup],
    *,
    filters: dict[str, object] | None,
    sort: str,
    page: int,
    per_page: int,
    deadline: float,
) -> SearchResult:
    """:func:`search_with` on whole posting lists (see :mod:`search_index.engine`)."""
    ev = Evaluator(searcher, deadline)
    view = ev.view
    fq = filter_query(filters)
    keep = _filter_mask(ev, fq) if fq is not None else None
    if not view.n:
        return _empty_result(groups, page, per_page)
    partial = False
    full: np.ndarray | None = None  # needs holding every required concept
    scores: np.ndarray | None = None
    if groups:
        group_scores: list[np.ndarray] = []
        for g in groups:
            try:
                group_scores.append(ev.evaluate(group_query(g)))
            except Timeout:
                group_scores.append(np.zeros(view.n))  # best found so far: no match
        partial = ev.timed_out
        if len(groups) > 1:
            need = min_should_match(len(groups))
            counts = np.zeros(view.n, dtype=np.int16)
            for part in group_scores:
                counts += part > 0
            full = counts >= need
            # Related needs, missing one more concept, are ranked after every full match.
            related = sort == "relevance" and need > 1 and bool(full.any())
            allow = counts >= need - 1 if related else full
            if not allow.any():
                return (
                    _empty_result(groups, page, per_page)
                    if not partial
                    else replace(
                        _empty_result(groups, page, per_page), partial=True, total_is_estimate=True
                    )
                )
            scores = np.where(allow, sum(group_scores), 0.0)
        else:
            scores = group_scores[0]
        matched = scores > 0
    else:
        matched = view.live
    if keep is not None:
        matched = matched & keep
    docs = np.flatnonzero(matched)

    offset = (page - 1) * per_page
    wanted = offset + per_page
    # Scores only rank (and are shown) when sorting by relevance with a query.
    ranking = scores if sort == "relevance" else None
    if ranking is not None:
        order = _top_by_score(docs, ranking, full, wanted)
    else:
        order = _top_by_field(docs, view, sort, wanted)
    page_docs = order[offset:]

    facets: dict[str, dict[str, int]] = {}
    for name in FACET_FIELDS:
        values = view.values[name]
        tally = np.bincount(view.codes[name][docs], minlength=len(values))
        found = [
            (values[i], int(c))
            for i in np.flatnonzero(tally)
            if values[i] != ""
            for c in (tally[i],)
        ]
        found.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = dict(found)

    terms = group_terms(groups)
    hits = []
    for docnum in page_docs:
        stored = searcher.stored_fields(int(docnum))
        text = stored.get("description") or stored.get("keywords") or ""
        hits.append(
            Hit(
                id=int(stored["id"]),
                score=float(ranking[docnum]) if ranking is not None else 0.0,
                highlight_title=highlight_all(stored.get("title", ""), terms),
                highlight_snippet=snippet(text, terms),
            )
        )
    total = len(docs)
    return SearchResult(
        hits=hits,
        total=total,
        total_is_estimate=partial,
        full_matches=total if full is None else int(np.count_nonzero(full[docs])),
        facets=facets,
        partial=partial,
        expanded_terms=_expanded(groups),
        page=page,
        per_page=per_page,
    )


def _filter_mask(ev: Evaluator, fq: wq.Query) -> np.ndarray:
    """The documents passing the filters, kept on the searcher (replaced whenever the index
    changes) for the few filter combinations in use: most searches share the board's
    default (open needs)."""
    cache: dict[str, np.ndarray] | None = getattr(ev.searcher, "_board_filter_masks", None)
    if cache is None:
        cache = {}
        ev.searcher._board_filter_masks = cache  # type: ignore[attr-defined]
    key = repr(fq)
    found = cache.get(key)
    if found is None:
        found = ev.mask(fq)
        found.flags.writeable = False
        if len(cache) >= 32:
            cache.clear()
        cache[key] = found
    return found


def _smallest(docs: np.ndarray, primary: np.ndarray, keys: list[np.ndarray], k: int) -> np.ndarray:
    """The ``k`` first of ``docs`` ordered by ``primary``, then by each of ``keys``, then by
    docnum (all ascending; arrays aligned with ``docs``). Only the candidates tied with
    the k-th primary value or before it are fully sorted."""
    if k <= 0 or not len(docs):
        return docs[:0]
    if k < len(docs):
        kth = np.partition(primary, k - 1)[k - 1]
        chosen = primary <= kth
        docs, primary = docs[chosen], primary[chosen]
        keys = [key[chosen] for key in keys]
    # np.lexsort sorts by its last key first.
    order = np.lexsort((docs, *reversed(keys), primary))
    return docs[order[:k]]


def _top_by_score(
    docs: np.ndarray, scores: np.ndarray, full: np.ndarray | None, k: int
) -> np.ndarray:
    """The first ``k`` docs by (full matches first, score descending, docnum)."""
    if full is None or bool(full[docs].all()):
        return _smallest(docs, -scores[docs], [], k)
    in_full = full[docs]
    first = _smallest(docs[in_full], -scores[docs[in_full]], [], k)
    rest = docs[~in_full]
    return np.concatenate([first, _smallest(rest, -scores[rest], [], k - len(first))])


def _top_by_field(docs: np.ndarray, view, sort: str, k: int) -> np.ndarray:
    """The first ``k`` docs of a field sort (newest first unless by deadline or budget)."""
    newest = _descending(view.numbers["published"][docs])
    if sort == "deadline":
        return _smallest(docs, view.numbers["deadline"][docs], [newest], k)
    if sort == "budget":
        return _smallest(docs, _descending(view.numbers["budget"][docs]), [newest], k)
    return _smallest(docs, newest, [], k)


def _descending(values: np.ndarray) -> np.ndarray:
    """An ascending key for unsigned ``values`` in descending order (no overflow)."""
    return np.iinfo(np.uint64).max - values


def _search_whoosh(
    searcher: Searcher,
    query: object,
    *,
    filters: dict[str, object] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    time_limit: float = 0.5,
    groups: list[TermGroup] | None = None,
) -> SearchResult:
    """The same search through Whoosh's collectors (the fallback of :func:`search_with`)."""
    started = time.perf_counter()
    per_page = _safe_int(per_page, 20, 1, MAX_PER_PAGE)
    page = _safe_int(page, 1, 1, MAX_OFFSET // per_page + 1)
    sort = sort if sort in SORTS else "relevance"
    if groups is None:
        groups = analyze_query(clean_query(query))
    groups = groups[:MAX_GROUPS]
    fq = filter_query(filters)

    allow: set[int] | None = None
    full: set[int] | None = None  # needs holding every required concept
    if groups:
        gqs = [group_query(g) for g in groups]
        q: wq.Query = wq.Or(gqs) if len(gqs) > 1 else gqs[0]
        if len(gqs) > 1:
            full, allow = _tiers(searcher, gqs, min_should_match(len(gqs)), sort == "relevance")
        if fq is not None:
            q = wq.Require(q, fq)  # filters restrict without adding to the score
    else:
        q = fq if fq is not None else wq.Every()

    offset = (page - 1) * per_page
    if allow is not None and not allow:
        # Whoosh reads an empty filter set as "no filter": answer "nothing" ourselves.
        return SearchResult(
            hits=[],
            total=0,
            total_is_estimate=False,
            full_matches=0,
            facets={name: {} for name in FACET_FIELDS},
            partial=False,
            expanded_terms=_expanded(groups),
            page=page,
            per_page=per_page,
        )
    sorted_by = _sort_facet(sort, bool(groups))
    # Every match is collected (limit=None): the facet counts and the total cover them all.
    collector = searcher.collector(limit=None, sortedby=sorted_by)
    remaining = max(0.01, time_limit - (time.perf_counter() - started))
    timed = _AllowedWithinTime(collector, remaining, allow)
    partial = False
    try:
        searcher.search_with_collector(q, timed)
    except collectors.TimeLimit:
        partial = True
    results = timed.results()
    if sorted_by is None and full is not None and full != allow:
        # Every match was collected (facets need them all): rank full matches first.
        ranked = sorted(results.top_n, key=lambda item: (item[1] not in full, -item[0], item[1]))
    else:
        ranked = list(results.top_n)

    terms = group_terms(groups)
    hits = []
    for score, docnum in ranked[offset : offset + per_page]:
        stored = searcher.stored_fields(docnum)
        text = stored.get("description") or stored.get("keywords") or ""
        hits.append(
            Hit(
                id=int(stored["id"]),
                score=score_of(score) if sorted_by is None else 0.0,
                highlight_title=highlight_all(stored.get("title", ""), terms),
                highlight_snippet=snippet(text, terms),
            )
        )
    return SearchResult(
        hits=hits,
        total=len(results),
        total_is_estimate=partial or not results.has_exact_length(),
        full_matches=len(results) if full is None else len(full & set(results.docs())),
        facets=_facet_counts(searcher, results.docs()),
        partial=partial,
        expanded_terms=_expanded(groups),
        page=page,
        per_page=per_page,
    )


# -- rebuilding -----------------------------------------------------------------------------


def rebuild(
    path: str | os.PathLike[str],
    docs: Iterable[NeedDocument],
    total: int | None = None,
    procs: int = 2,
    progress: bool = False,
) -> RebuildReport:
    """Build a complete index from ``docs`` in a new folder, then swap it in atomically.

    Readers keep using the old folder until their next search. Changes applied to the old
    index while the rebuild ran are not in the new one: record the outbox position before
    reading ``docs`` and apply the outbox again from there after the swap (apply is
    idempotent). With ``procs`` > 1 documents are analysed in that many processes.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    warm_up()  # loaded before forking, so worker processes do not each load jieba
    started = time.perf_counter()
    build = root / f"build-{_stamp()}"
    build.mkdir(mode=0o700)
    count = 0
    try:
        ix = FileIndex.create(_storage(build), build_schema())
        if procs > 1:
            # multisegment: keep one segment per process. Merging them at the end halved
            # throughput (6,200 needs: 239 docs/s merged, 508 not merged, 461 with one
            # process); the few extra segments cost little and maintenance can merge them.
            writer = ix.writer(
                procs=procs, multisegment=True, batchsize=256, limitmb=REBUILD_MB, codec=_codec()
            )
        else:
            writer = ix.writer(limitmb=REBUILD_MB, codec=_codec())
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="need", desc="search rebuild")
        try:
            for doc in docs:
                writer.add_document(**to_fields(doc))
                count += 1
                if bar is not None:
                    bar.update()
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()
        final = root / f"v-{_stamp()}"
        os.rename(build, final)
        with _swap_lock(root):
            previous = _point_to(root, final)
            _prune(root, keep={final} | ({previous} if previous else set()))
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return RebuildReport(
        documents=count, seconds=time.perf_counter() - started, folder=final, procs=procs
    )


def folder_of(index: SearchIndex) -> Path | None:
    """The live version folder (for diagnostics and tests)."""
    return index._current()


__all__ = [
    "Hit",
    "IndexLockTimeoutError",
    "RebuildReport",
    "SearchIndex",
    "SearchResult",
    "rebuild",
    "search_with",
]
