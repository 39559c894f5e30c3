"""Query-time synonyms: found, weighted below the original, and searched."""

from __future__ import annotations

from whoosh import query as wq

from search_index.query import group_query
from search_index.thesaurus import EXPANSION_BOOST, Thesaurus, analyze_query, default_thesaurus


def test_shipped_thesaurus_has_enough_groups() -> None:
    assert len(default_thesaurus()) >= 60


def test_phrase_and_mixed_members_are_matched() -> None:
    (group,) = analyze_query("废气处理")
    assert "VOCs治理" in group.expansion_labels
    assert "挥发性有机物" in group.expansion_labels
    (group,) = analyze_query("VOCs治理")
    assert "废气处理" in group.expansion_labels


def test_expansions_weigh_less_than_the_original() -> None:
    (group,) = analyze_query("节电")
    q = group_query(group)
    boosts: dict[str, float] = {}
    for leaf in q.leaves():
        if isinstance(leaf, wq.Term) and leaf.fieldname == "title":
            boosts[leaf.text] = max(boosts.get(leaf.text, 0.0), leaf.boost)
    assert boosts["节电"] == 3.0
    assert boosts["电机能效"] == 3.0 * EXPANSION_BOOST


def test_unknown_words_are_not_expanded() -> None:
    assert analyze_query("区块链")[0].expansions == ()


def test_custom_groups() -> None:
    th = Thesaurus([["瑕疵", "疵点", "缺陷"]])
    assert analyze_query("疵点", th)[0].expansion_labels == ("瑕疵", "缺陷")


def test_synonym_finds_the_enterprise_wording(index, make_doc) -> None:
    index.apply(
        [
            make_doc(id=1, title="定形机VOCs治理", description="非甲烷总烃去除率"),
            make_doc(id=2, title="空压站电机能效提升"),
            make_doc(id=3, title="毛衫套口自动化"),
        ],
        [],
    )
    assert index.search("废气处理").ids == [1]
    assert index.search("节电").ids == [2]
    assert index.search("废气处理").expanded_terms["废气处理"]


def test_original_term_outranks_a_synonym(index, make_doc) -> None:
    index.apply(
        [make_doc(id=1, title="印染污水站改造"), make_doc(id=2, title="印染废水站改造")], []
    )
    assert index.search("废水").ids == [2, 1]
