"""Chinese full-text search over the board of needs (Whoosh + jieba).

A pure layer: it takes plain :class:`NeedDocument` objects and returns ids with scores and
safe highlights; it knows nothing of the database or the web framework.
"""

from .analysis import ChineseAnalyzer, segment, warm_up
from .index import Hit, IndexLockTimeoutError, RebuildReport, SearchIndex, SearchResult, rebuild
from .schema import NeedDocument
from .thesaurus import analyze_query

__all__ = [
    "ChineseAnalyzer",
    "Hit",
    "IndexLockTimeoutError",
    "NeedDocument",
    "RebuildReport",
    "SearchIndex",
    "SearchResult",
    "analyze_query",
    "rebuild",
    "segment",
    "warm_up",
]
