"""Any user input returns a result quickly; highlights are safe HTML."""

from __future__ import annotations

import time

import pytest

from search_index import SearchIndex
from search_index.query import MAX_QUERY_CHARS, clean_query

NASTY = [
    "",
    " ",
    "\x00\x01\x02\x1b[31m",
    "*a*" * 50,
    "a" * 10_000,
    "横" * 10_000,
    '"涤纶 长丝',
    "title:横机 OR description:*",
    "(横机 AND NOT 玻纤)",
    "[2020 TO 2030]",
    "横机~2 玻纤^100",
    "'; DROP TABLE needs; --",
    "<script>alert(1)</script>",
    "😀🔥横机🧵",
    "\u202e\u200b\u00ad横\u0301机",
    "%s%n{0}{{7*7}}",
    "\uff1f\uff01\uff0c\u3002\u3001\uff1b\uff1a",
    "\uff2d\uff25\uff33\u3000排产",
    "\ud800",
    "NOT",
    "AND OR NOT",
    "/" * 500,
    "E6-2400-" * 30,
    None,
    12345,
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_any_query_returns_a_result_quickly(labelled_index: SearchIndex, text) -> None:
    started = time.perf_counter()
    result = labelled_index.search(text)
    assert time.perf_counter() - started < 1.0
    assert result.total >= 0 and len(result.hits) <= 20


def test_query_syntax_is_not_interpreted(labelled_index: SearchIndex) -> None:
    # With syntax, "description:*" would match everything.
    assert labelled_index.search("description:*").total == 0


def test_queries_are_length_limited() -> None:
    assert len(clean_query("横" * 10_000)) == MAX_QUERY_CHARS
    assert clean_query("a\x00b\nc\u200bd") == "a b c d"


@pytest.mark.parametrize(
    ("page", "per_page", "expected"),
    [(0, 0, 1), (-5, 10_000, 100), ("x", "y", 20), (10**12, 10, 10)],
)
def test_paging_arguments_are_clamped(labelled_index, page, per_page, expected) -> None:
    result = labelled_index.search("玻纤", page=page, per_page=per_page)
    assert result.per_page == expected and result.page >= 1


def test_odd_filters_and_sorts_are_ignored(labelled_index: SearchIndex) -> None:
    result = labelled_index.search(
        "玻纤", filters={"industry": None, "town": [1, None], "bogus": "x"}, sort="; drop"
    )
    assert result.total == labelled_index.search("玻纤").total


def test_highlight_escapes_everything_but_marks(index: SearchIndex, make_doc) -> None:
    index.apply(
        [
            make_doc(
                id=1,
                title='<script>alert("横机")</script> & 电脑横机',
                description="<img src=x onerror=alert(1)> 横机说明",
            )
        ],
        [],
    )
    (hit,) = index.search("横机").hits
    assert "<script>" not in hit.highlight_title
    assert hit.highlight_title.startswith("&lt;script&gt;alert(&quot;<mark>横机</mark>")
    assert "&amp; <mark>电脑横机</mark>" in hit.highlight_title
    assert "<img" not in hit.highlight_snippet and "&lt;img" in hit.highlight_snippet
    stripped = hit.highlight_snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_highlight_spans_are_those_of_the_whole_text(labelled_docs) -> None:
    # Highlighting segments only the runs holding a term, through a cache; it must mark
    # exactly what segmenting the whole text would, also where NFKC changes lengths
    # (℃ → °c, ① → 1, full-width letters).
    from search_index.analysis import segment
    from search_index.highlight import _spans

    texts = [d.title for d in labelled_docs] + [d.description for d in labelled_docs]
    texts += ["定形机出口温度180℃，余热回收①号线ＭＥＳ排产", "①②③余热℃℃余热", "㎡级VOCs治理"]
    for text in texts:
        pieces = list(segment(text))
        terms = {p.text for p in pieces[::3]} or {"余热"}
        expected = sorted({(p.start, p.end) for p in pieces if p.text in terms})
        merged: list[tuple[int, int]] = []
        for a, b in expected:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        assert _spans(text, terms) == merged, text


def test_highlighting_a_text_that_nfkc_expands_reuses_segmented_runs() -> None:
    from search_index import highlight

    text = "定形机出口温度180℃，废气余热回收利用，年运行8000小时，节约天然气"
    assert highlight.highlight_all(text, {"余热"}) == (
        "定形机出口温度180℃，废气<mark>余热</mark>回收利用，年运行8000小时，节约天然气"
    )
    before = highlight._run_pieces.cache_info()
    for _ in range(3):
        highlight.highlight_all(text, {"余热"})
    after = highlight._run_pieces.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
