"""Ranking rules: field weights and minimum-should-match, on small and labelled data."""

from __future__ import annotations

from search_index import SearchIndex
from search_index.query import min_should_match
from search_index.thesaurus import analyze_query


def test_title_outranks_keywords_outranks_description(index: SearchIndex, make_doc) -> None:
    index.apply(
        [
            make_doc(id=1, title="一项需求", description="涉及横机改造"),
            make_doc(id=2, title="一项需求", keywords="横机"),
            make_doc(id=3, title="横机改造需求"),
        ],
        [],
    )
    assert index.search("横机").ids == [3, 2, 1]


def test_min_should_match_rule() -> None:
    assert [min_should_match(n) for n in range(1, 7)] == [1, 2, 2, 3, 3, 4]


def test_one_common_word_does_not_bring_unrelated_needs(labelled_index: SearchIndex) -> None:
    # 检测 and 设计 occur in many needs; the other words in none.
    assert labelled_index.search("婚纱 检测").total == 0
    assert labelled_index.search("咖啡店装修设计").total == 0
    assert labelled_index.search("奶茶 外卖 配送").total == 0


def test_full_matches_rank_before_related_needs(labelled_index: SearchIndex) -> None:
    result = labelled_index.search("MES 排产", per_page=20)
    assert 0 < result.full_matches < result.total
    full = set(result.ids[: result.full_matches])
    assert 5 in full  # 毛衫 MES, 扫码报工、自动排产
    # Sorted by a field, only needs with every concept are listed.
    assert labelled_index.search("MES 排产", sort="newest").total == result.full_matches


def test_whole_question_finds_the_need(labelled_index: SearchIndex) -> None:
    assert labelled_index.search("有没有企业需要印染废水回用的技术").ids[0] == 51


def test_two_character_and_mixed_queries(labelled_index: SearchIndex) -> None:
    assert {1, 10, 127, 121} <= set(labelled_index.search("横机").ids)
    assert {34, 41, 47} <= set(labelled_index.search("池窑").ids)
    assert labelled_index.search("E6-2400").ids == [135]
    assert labelled_index.search("5G").ids[0] == 133
    assert {23, 63, 80} == set(labelled_index.search("agv").ids)


def test_only_filler_words_means_everything(labelled_index: SearchIndex) -> None:
    assert analyze_query("有没有哪些企业需要") == []
    assert labelled_index.search("有没有哪些企业需要").total == labelled_index.doc_count()
