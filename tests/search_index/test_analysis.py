"""The Chinese analyzer: segmentation, sub-terms, ASCII words, positions and offsets."""

from __future__ import annotations

import pickle

import pytest

from search_index.analysis import ChineseAnalyzer, query_units, segment
from search_index.thesaurus import analyze_query


def terms(text: str) -> set[str]:
    return {p.text for p in segment(text)}


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("电脑横机", "横机"),
        ("玻纤池窑", "玻纤"),
        ("玻纤池窑", "池窑"),
        ("拉丝漏板", "漏板"),
        ("涤纶长丝", "长丝"),
        ("熔体直纺", "直纺"),
        ("中水回用", "回用"),
    ],
)
def test_long_dictionary_entry_never_hides_a_shorter_term(text: str, short: str) -> None:
    assert short in terms(text)


def test_long_entries_stay_whole_tokens_too() -> None:
    mains = [p.text for p in segment("电脑横机织片断头检测") if p.main]
    assert mains[0] == "电脑横机"
    assert "断头" in mains


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MES系统", "mes"),
        ("VOCs治理", "vocs"),
        ("AGV小车", "agv"),
        ("5G专网", "5g"),
        ("PLC", "plc"),
        ("\uff2d\uff25\uff33", "mes"),
    ],
)
def test_ascii_words_are_lowercased_and_never_stemmed(text: str, expected: str) -> None:
    found = terms(text)
    assert expected in found
    assert "me" not in found and "voc" not in found


def test_model_numbers_kept_whole_with_their_parts() -> None:
    found = terms("进口E6-2400型卷绕头")
    assert {"e6-2400", "e6", "2400"} <= found


def test_positions_count_tokens_and_sub_terms_share_them() -> None:
    pieces = list(segment("电脑横机 断头"))
    by_text = {p.text: p for p in pieces}
    assert by_text["电脑横机"].pos == by_text["横机"].pos == 0
    assert by_text["断头"].pos == 1


def test_offsets_point_into_the_original_text() -> None:
    text = "\u2460号\uff2d\uff25\uff33排产"  # characters NFKC expands or folds
    for p in segment(text):
        if p.text == "mes":
            assert text[p.start : p.end] == "\uff2d\uff25\uff33"
        if p.text == "排产":
            assert text[p.start : p.end] == "排产"


def test_index_stores_frequencies_without_positions(index, make_doc) -> None:
    # Positions are not needed by any query the board builds and made every posting list
    # slower to read; term frequencies (BM25F's input) are kept.
    from whoosh.formats import Frequency

    index.apply([make_doc(id=1, title="断头检测 断头")], [])
    s = index.searcher()
    for name in ("title", "keywords", "description", "meta"):
        assert type(s.schema[name].format) is Frequency, name
    assert not s.schema["title"].supports("positions")
    postings = s.reader().postings("title", "断头")
    assert postings.weight() == 2.0


def test_query_is_segmented_like_the_text() -> None:
    (unit,) = query_units("电脑横机")
    assert unit.text == "电脑横机"
    assert set(unit.cover) == {"电脑", "横机"}
    assert set(unit.cover) <= terms("电脑横机")


def test_question_filler_words_are_dropped() -> None:
    labels = [g.label for g in analyze_query("有没有企业需要印染废水回用的技术")]
    assert labels == ["印染废水", "回用"]


def test_analyzer_pickles_as_configuration_only() -> None:
    # Whoosh stores the schema (with the analyzer) in every index's table of contents.
    data = pickle.dumps(ChineseAnalyzer())
    assert len(data) < 200
    assert pickle.loads(data) == ChineseAnalyzer()
