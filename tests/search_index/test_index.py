"""Writing, reading, rebuilding and locking the index on disk."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from pathlib import Path

import pytest

from bench import search_quality
from search_index import IndexLockTimeoutError, SearchIndex
from search_index import index as index_module
from search_index.engine import Evaluator


def test_ensure_creates_once(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "s")
    assert not ix.exists()
    ix.ensure()
    folder = index_module.folder_of(ix)
    ix.ensure()
    assert index_module.folder_of(ix) == folder
    assert (tmp_path / "s" / "current").is_symlink()
    ix.close()


def test_apply_upserts_and_deletes(index: SearchIndex, make_doc) -> None:
    index.apply([make_doc(id=1, title="余热回收"), make_doc(id=2, title="余热利用")], [])
    assert sorted(index.search("余热").ids) == [1, 2]
    index.apply([], [1])
    assert index.search("余热").ids == [2]
    index.apply([make_doc(id=2, title="余热回收"), make_doc(id=3, title="余热锅炉")], [2])
    assert index.search("余热").ids == [3]  # an id in both lists ends up deleted
    index.apply([], [])  # nothing to do: no commit, no new segment


def test_small_commits_do_not_merge(index: SearchIndex, make_doc) -> None:
    for i in range(1, 7):
        index.apply([make_doc(id=i, title=f"余热{i}")], [])
    assert index.segment_count() == 6
    index.merge()  # Whoosh's policy merges small segments once there are more than four
    assert index.segment_count() < 6
    index.optimize()
    assert index.segment_count() == 1
    assert index.doc_count() == 6


def test_updated_need_appears_exactly_once_with_a_reused_searcher(
    index: SearchIndex, make_doc
) -> None:
    index.apply([make_doc(id=1, title="定形机余热回收", version="v1")], [])
    first = index.searcher()
    assert index.search("余热").ids == [1]
    index.apply([make_doc(id=1, title="定形机余热回收改造", version="v2")], [])
    assert index.searcher() is not first  # replaced, not refresh()-ed
    result = index.search("余热")
    assert result.ids == [1] and result.total == 1
    assert index.searcher() is index.searcher()  # reused while nothing changed
    assert index.stored_versions() == {1: "v2"}


def test_cached_postings_and_columns_follow_updates_and_deletes(
    index: SearchIndex, make_doc
) -> None:
    # Postings and columns are cached by segment; an update deletes the old copy in its
    # segment and adds a new segment, and a search must see exactly the new state.
    index.apply([make_doc(id=i, title=f"余热回收 第{i}号", town="濮院镇") for i in (1, 2, 3)], [])
    assert sorted(index.search("余热").ids) == [1, 2, 3]  # fills the caches
    index.apply([make_doc(id=2, title="热泵烘干", town="洲泉镇")], [3])
    found = index.search("余热")
    assert found.ids == [1] and found.total == 1
    assert found.facets["town"] == {"濮院镇": 1}
    everything = index.search("", filters={"town": "洲泉镇"})
    assert everything.ids == [2] and everything.facets["town"] == {"洲泉镇": 1}
    assert index.search("热泵").ids == [2]


def test_results_are_the_same_without_the_postings_cache(labelled_index: SearchIndex) -> None:
    from search_index.engine import postings_cache

    queries = [q.text for q in search_quality.load_queries()]
    with_cache = [labelled_index.search(q).ids for q in queries]
    limit = postings_cache.limit
    postings_cache.limit = 0
    try:
        assert [labelled_index.search(q).ids for q in queries] == with_cache
    finally:
        postings_cache.limit = limit


def test_postings_cache_remembers_absent_terms_within_its_bound(
    labelled_index: SearchIndex,
) -> None:
    # Words found nowhere are cached too (a repeat costs no term lookup), and count
    # against the limit, so random public input cannot grow the cache without bound.
    import numpy as np

    from search_index.engine import PostingsCache

    cache = PostingsCache(32 * 100)
    empty = (np.empty(0, np.int32), np.empty(0, np.float32))
    for i in range(1000):
        cache.put(("seg", "title", f"nothing{i}".encode()), empty)
    assert len(cache._items) == 100 and cache.size <= cache.limit
    assert cache.get(("seg", "title", b"nothing999")) is not None
    assert cache.get(("seg", "title", b"nothing0")) is None  # least recently used: gone

    from search_index import engine

    engine.postings_cache.clear()
    first = labelled_index.search("咖啡店装修设计 余热")
    misses = engine.postings_cache.misses
    again = labelled_index.search("咖啡店装修设计 余热")
    assert engine.postings_cache.misses == misses  # absent words were remembered
    assert again.ids == first.ids


def test_stored_versions(index: SearchIndex, make_doc) -> None:
    index.apply([make_doc(id=i, version=f"h{i}") for i in (3, 7)], [])
    assert index.stored_versions() == {3: "h3", 7: "h7"}


def test_second_writer_times_out(index: SearchIndex, make_doc) -> None:
    holder = index._open().lock("WRITELOCK")
    assert holder.acquire()
    try:
        with pytest.raises(IndexLockTimeoutError):
            index.apply([make_doc(id=1)], [], lock_timeout=0.2)
    finally:
        holder.release()
    index.apply([make_doc(id=1, title="余热")], [], lock_timeout=0.2)
    assert index.search("余热").ids == [1]


def test_lock_file_of_a_killed_writer_does_not_block(index: SearchIndex, make_doc) -> None:
    folder = index_module.folder_of(index)
    assert folder is not None
    (folder / "MAIN_WRITELOCK").touch()  # what a SIGKILLed writer leaves behind
    (folder / "_MAIN_9.toc.1700000000.0").write_bytes(b"half")  # and a half-written TOC
    index.apply([make_doc(id=1, title="余热")], [], lock_timeout=0.2)
    assert not (folder / "_MAIN_9.toc.1700000000.0").exists()
    assert index.search("余热").ids == [1]


def test_rebuild_swaps_atomically_while_a_searcher_is_open(tmp_path: Path, make_doc) -> None:
    ix = SearchIndex(tmp_path / "s")
    ix.ensure()
    ix.apply([make_doc(id=1, title="余热回收")], [])
    old_searcher = ix.searcher()
    old_folder = index_module.folder_of(ix)
    report = ix.rebuild(
        (make_doc(id=i, title="余热锅炉") for i in (2, 3)), total=2, procs=1, progress=False
    )
    assert report.documents == 2
    # The open searcher still reads the old version...
    assert old_searcher.doc_count() == 1
    # ...and the next search uses the new one.
    assert sorted(ix.search("余热").ids) == [2, 3]
    assert ix.searcher() is not old_searcher
    ix.rebuild([make_doc(id=4, title="余热")], procs=1)
    versions = sorted(p.name for p in (tmp_path / "s").iterdir() if p.name.startswith("v-"))
    assert len(versions) == 2  # the live one and the one it replaced
    assert old_folder is not None and not old_folder.exists()
    assert ix.search("余热").ids == [4]
    ix.close()


def test_rebuild_with_two_processes(tmp_path: Path, make_doc) -> None:
    ix = SearchIndex(tmp_path / "s")
    docs = [make_doc(id=i, title=f"涤纶长丝断头检测{i}") for i in range(1, 301)]
    ix.rebuild(docs, total=len(docs), procs=2)
    assert ix.doc_count() == 300
    assert ix.search("断头", per_page=5).total == 300
    ix.close()


def test_failed_rebuild_leaves_the_live_index(tmp_path: Path, make_doc) -> None:
    ix = SearchIndex(tmp_path / "s")
    ix.ensure()
    ix.apply([make_doc(id=1, title="余热")], [])

    def broken():
        yield make_doc(id=2, title="余热")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        ix.rebuild(broken(), procs=1)
    assert ix.search("余热").ids == [1]
    assert not [p for p in (tmp_path / "s").iterdir() if p.name.startswith("build-")]
    ix.close()


def test_filters_sorts_and_facets(index: SearchIndex, make_doc) -> None:
    index.apply(
        [
            make_doc(
                id=1,
                title="余热回收",
                industry="化纤",
                town="洲泉镇",
                budget_wan=300.0,
                deadline=date(2030, 3, 1),
                published_at=datetime(2024, 1, 1),
            ),
            make_doc(
                id=2,
                title="余热利用",
                industry="玻纤",
                town="梧桐街道",
                budget_wan=None,
                deadline=date(2030, 1, 1),
                published_at=datetime(2024, 3, 1),
                transformation="green",
            ),
            make_doc(
                id=3,
                title="余热锅炉",
                industry="化纤",
                town="洲泉镇",
                budget_wan=80.0,
                deadline=date(2020, 1, 1),
                published_at=datetime(2024, 2, 1),
                status="closed",
            ),
        ],
        [],
    )
    result = index.search("余热")
    assert result.facets["industry"] == {"化纤": 2, "玻纤": 1}
    assert result.facets["town"] == {"洲泉镇": 2, "梧桐街道": 1}
    assert result.facets["transformation"] == {"digital": 2, "green": 1}
    assert index.search("余热", filters={"industry": "化纤"}).total == 2
    assert index.search("余热", filters={"town": ["梧桐街道", "洲泉镇"]}).total == 3
    open_needs = {"status": "published", "deadline_from": date(2025, 1, 1)}
    assert sorted(index.search("余热", filters=open_needs).ids) == [1, 2]
    assert index.search("余热", sort="newest").ids == [2, 3, 1]
    assert index.search("余热", sort="deadline").ids == [3, 2, 1]
    assert index.search("余热", sort="budget").ids == [1, 3, 2]  # 面议 last
    assert index.search("", sort="relevance").ids == [2, 3, 1]  # empty query: newest first
    page2 = index.search("余热", sort="newest", page=2, per_page=2)
    assert page2.ids == [1] and page2.total == 3


def test_time_limit_returns_partial_results(labelled_index: SearchIndex, monkeypatch) -> None:
    complete = labelled_index.search("玻纤", per_page=100)
    original = Evaluator._base

    def slow_term(self: Evaluator, *args: object) -> dict[int, float]:
        found = original(self, *args)  # type: ignore[arg-type]
        self.deadline = 0.0  # the clock runs out after the first term has been read
        return found

    monkeypatch.setattr(Evaluator, "_base", slow_term)
    result = labelled_index.search("玻纤")
    assert result.partial and result.total_is_estimate
    assert 0 < result.total < complete.total  # the best found so far, not nothing
    assert set(result.ids) <= set(complete.ids)


def test_whoosh_fallback_time_limit_returns_partial_results(
    labelled_index: SearchIndex, monkeypatch
) -> None:
    original = index_module._AllowedWithinTime.prepare

    def expired(self, *args):
        original(self, *args)
        self.timedout = True  # as if the timer fired before the first document

    monkeypatch.setattr(index_module._AllowedWithinTime, "prepare", expired)
    result = index_module._search_whoosh(labelled_index.searcher(), "玻纤")
    assert result.partial and result.total_is_estimate
    assert result.total < 20


def test_fast_path_matches_whoosh(labelled_index: SearchIndex) -> None:
    """The posting-list evaluator returns what Whoosh's collectors return: same order,
    scores, totals, tiers and facets, with filters and every sort."""
    searcher = labelled_index.searcher()
    cases: list[tuple[str, dict[str, object], str]] = [
        (q.text, {}, "relevance") for q in search_quality.load_queries()
    ]
    cases += [
        ("余热", {"industry": "化纤"}, "relevance"),
        ("废气 处理", {"transformation": "green", "status": "published"}, "relevance"),
        ("检测", {"deadline_from": date(2024, 1, 1)}, "deadline"),
        ("节能 降耗", {}, "budget"),
        ("", {"town": ["濮院镇", "洲泉镇"]}, "relevance"),
        ("", {}, "newest"),
        ("MES 排产", {}, "newest"),
    ]
    for text, filters, sort in cases:
        for page in (1, 2):
            fast = index_module.search_with(
                searcher, text, filters=filters, sort=sort, page=page, per_page=10, time_limit=30
            )
            slow = index_module._search_whoosh(
                searcher, text, filters=filters, sort=sort, page=page, per_page=10, time_limit=30
            )
            label = (text, filters, sort, page)
            assert fast.ids == slow.ids, label
            assert [round(h.score, 6) for h in fast.hits] == [
                round(h.score, 6) for h in slow.hits
            ], label
            assert (fast.total, fast.full_matches, fast.facets) == (
                slow.total,
                slow.full_matches,
                slow.facets,
            ), label
            assert not fast.partial and not fast.total_is_estimate


def test_fast_path_orders_ties_like_whoosh_across_pages_and_segments(
    index: SearchIndex, make_doc
) -> None:
    # Many equal sort keys and equal scores, spread over several segments with deletions:
    # the vector top-k must cut and order ties exactly as Whoosh's collectors do.
    from datetime import timedelta

    deadlines = [date(2030, 1, 1), date(2030, 6, 1), date(2031, 1, 1)]
    budgets = [None, 50.0, 50.0, 120.0]
    for batch in range(3):
        index.apply(
            [
                make_doc(
                    id=i,
                    title="余热回收 热泵" if i % 2 else "余热回收",
                    keywords="节能",
                    deadline=deadlines[i % 3],
                    budget_wan=budgets[i % 4],
                    published_at=datetime(2024, 1, 1) + timedelta(days=i % 5),
                    town=("濮院镇", "洲泉镇", "")[i % 3],
                )
                for i in range(1 + batch * 20, 21 + batch * 20)
            ],
            [batch * 20 + 3],
        )
    searcher = index.searcher()
    assert len(list(searcher.leaf_searchers())) == 3
    for text in ("余热", "余热 热泵 节能", ""):
        for sort in ("relevance", "newest", "deadline", "budget"):
            for page in (1, 2, 3, 4):
                fast = index_module.search_with(
                    searcher, text, sort=sort, page=page, per_page=7, time_limit=30
                )
                slow = index_module._search_whoosh(
                    searcher, text, sort=sort, page=page, per_page=7, time_limit=30
                )
                label = (text, sort, page)
                assert fast.ids == slow.ids, label
                assert (fast.total, fast.full_matches, fast.facets) == (
                    slow.total,
                    slow.full_matches,
                    slow.facets,
                ), label
    assert index.search("余热", per_page=100).total == 57


def test_unsupported_weighting_falls_back_to_whoosh(labelled_index: SearchIndex) -> None:
    from whoosh.scoring import TF_IDF
    from whoosh.searching import Searcher

    reader = labelled_index.searcher().reader()
    searcher = Searcher(reader, weighting=TF_IDF(), closereader=False)
    result = index_module.search_with(searcher, "玻纤")
    assert result.total > 0 and not result.partial


def test_searchers_are_per_thread_and_consistent(labelled_index: SearchIndex) -> None:
    expected = labelled_index.search("余热回收 热泵").ids
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                assert labelled_index.search("余热回收 热泵", time_limit=30).ids == expected
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_jieba_cache_directory_is_private(tmp_path: Path) -> None:
    from search_index.analysis import _private_dir

    path = _private_dir(tmp_path / "a" / "cache")
    assert os.stat(path).st_mode & 0o777 == 0o700
