"""Quality floor on the labelled set (measured with bench/search_quality.py)."""

from __future__ import annotations

from bench import search_quality
from search_index import SearchIndex

# Measured: nDCG@10 0.943, recall@10 0.916, 1 zero-result query, no noise. Floors sit a
# little below, so a regression fails while harmless ranking shuffles do not.
NDCG_FLOOR = 0.89
RECALL_FLOOR = 0.86


def test_labelled_set_is_large_enough() -> None:
    queries = search_quality.load_queries()
    assert len(search_quality.load_needs()) >= 150
    assert sum(1 for q in queries if not q.is_noise) >= 30
    assert any(q.is_noise for q in queries)


def test_quality_floor(labelled_index: SearchIndex) -> None:
    metrics = search_quality.ours_metrics(labelled_index)
    assert metrics["ndcg@10"] >= NDCG_FLOOR
    assert metrics["recall@10"] >= RECALL_FLOOR
    assert metrics["zero_result_queries"] <= 2
    assert metrics["noise_hits"] == 0
