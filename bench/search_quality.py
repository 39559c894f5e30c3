"""Relevance of the board's search against simpler engines, on the labelled set.

Usage: ``python bench/search_quality.py [--json bench/results/search_quality.json]``

Builds, in a temporary directory, (a) our index (search_index), (b) plain Whoosh with its
StandardAnalyzer and query parser, (c) SQLite FTS5 with the trigram tokenizer and (d)
SQLite FTS5 over text pre-split into CJK bigrams with jieba splitting the query. Runs every
query of ``tests/data/search/queries.jsonl`` and prints nDCG@10, recall@10, zero-result
queries and the noise returned for queries that should find nothing.

Metrics: gain 2^grade - 1, nDCG@10 against the ideal ordering of the judged needs;
recall@10 = relevant (grade >= 1) found in the top 10 / min(number relevant, 10); noise =
matches returned for the should-find-nothing queries (all matches, not only the top 10).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from anywhere
    sys.path.insert(0, str(ROOT))

from search_index import NeedDocument, SearchIndex  # noqa: E402
from search_index.analysis import warm_up  # noqa: E402

DATA_DIR = ROOT / "tests" / "data" / "search"
RESULTS = ROOT / "bench" / "results" / "search_quality.json"
K = 10

# An engine takes a query and returns (ranked ids, number of matches).
Engine = Callable[[str], tuple[list[int], int]]


@dataclass(frozen=True)
class Query:
    """A labelled query: graded judgments 1-3 by need id (unlisted ids are 0)."""

    qid: str
    text: str
    style: str
    judgments: dict[int, int]

    @property
    def is_noise(self) -> bool:
        return not self.judgments


def load_needs(path: Path = DATA_DIR / "needs.jsonl") -> list[NeedDocument]:
    """The labelled needs as documents (version: the ref, as the set never changes)."""
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.append(
            NeedDocument(
                id=r["id"],
                ref=r["ref"],
                title=r["title"],
                keywords=r["keywords"],
                description=r["description"],
                industry=r["industry"],
                transformation=r["transformation"],
                town=r["town"],
                budget_wan=r["budget_wan"],
                deadline=date.fromisoformat(r["deadline"]),
                published_at=datetime.fromisoformat(r["published_at"]),
                status=r["status"],
                version=r["ref"],
            )
        )
    return docs


def load_queries(path: Path = DATA_DIR / "queries.jsonl") -> list[Query]:
    """The labelled queries."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        judged = {int(k): int(v) for k, v in r["judgments"].items()}
        out.append(Query(r["qid"], r["query"], r["style"], judged))
    return out


def ndcg_at_k(ranked: list[int], judgments: dict[int, int], k: int = K) -> float:
    """nDCG@k with gain 2^grade - 1."""
    dcg = sum((2 ** judgments.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: list[int], judgments: dict[int, int], k: int = K) -> float:
    """Relevant needs in the top k over min(relevant, k)."""
    relevant = {d for d, g in judgments.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / min(len(relevant), k)


def evaluate(engine: Engine, queries: Iterable[Query]) -> dict[str, object]:
    """Metrics of ``engine`` over ``queries``: means, counts and per-query detail."""
    per_query = []
    for q in queries:
        started = time.perf_counter()
        ranked, total = engine(q.text)
        ms = (time.perf_counter() - started) * 1000
        row: dict[str, object] = {
            "qid": q.qid,
            "query": q.text,
            "style": q.style,
            "total": total,
            "top": ranked[:K],
            "ms": round(ms, 2),
        }
        if not q.is_noise:
            row["ndcg@10"] = round(ndcg_at_k(ranked, q.judgments), 4)
            row["recall@10"] = round(recall_at_k(ranked, q.judgments), 4)
        per_query.append(row)
    judged = [r for r in per_query if "ndcg@10" in r]
    noise = [r for r in per_query if "ndcg@10" not in r]
    styles: dict[str, list[float]] = {}
    for r in judged:
        styles.setdefault(str(r["style"]), []).append(float(r["ndcg@10"]))  # type: ignore[arg-type]
    return {
        "ndcg@10": round(sum(float(r["ndcg@10"]) for r in judged) / len(judged), 4),  # type: ignore[arg-type]
        "recall@10": round(sum(float(r["recall@10"]) for r in judged) / len(judged), 4),  # type: ignore[arg-type]
        "zero_result_queries": sum(1 for r in judged if r["total"] == 0),
        "judged_queries": len(judged),
        "noise_hits": sum(int(r["total"]) for r in noise),  # type: ignore[call-overload]
        "noise_queries_with_hits": sum(1 for r in noise if r["total"]),
        "noise_queries": len(noise),
        "ndcg@10_by_style": {s: round(sum(v) / len(v), 4) for s, v in sorted(styles.items())},
        "queries": per_query,
    }


# -- engines --------------------------------------------------------------------------------


def ours_engine(index: SearchIndex) -> Engine:
    """Our search: the board's search with default options, no filters."""

    def run(text: str) -> tuple[list[int], int]:
        result = index.search(text, per_page=K, time_limit=5.0)
        return result.ids, result.total

    return run


def build_ours(docs: list[NeedDocument], folder: Path) -> SearchIndex:
    """Our index over ``docs`` in ``folder`` (single process: the set is small)."""
    index = SearchIndex(folder)
    index.rebuild(docs, total=len(docs), procs=1)
    return index


def plain_whoosh_engine(docs: list[NeedDocument], folder: Path) -> Engine:
    """Whoosh out of the box: StandardAnalyzer, MultifieldParser, BM25F."""
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.index import create_in
    from whoosh.qparser import MultifieldParser

    schema = Schema(id=ID(stored=True, unique=True), title=TEXT, keywords=TEXT, description=TEXT)
    folder.mkdir(parents=True, exist_ok=True)
    ix = create_in(str(folder), schema)
    with ix.writer() as w:
        for d in docs:
            w.add_document(
                id=str(d.id), title=d.title, keywords=d.keywords, description=d.description
            )
    parser = MultifieldParser(["title", "keywords", "description"], schema)

    def run(text: str) -> tuple[list[int], int]:
        with ix.searcher() as s:
            results = s.search(parser.parse(text), limit=K)
            return [int(h["id"]) for h in results], len(results)

    return run


def _fts(
    docs: list[NeedDocument], transform: Callable[[str], str], tokenizer: str
) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    columns = f"title, keywords, description, tokenize='{tokenizer}'"
    con.execute(f"CREATE VIRTUAL TABLE needs USING fts5({columns})")
    con.executemany(
        "INSERT INTO needs(rowid, title, keywords, description) VALUES (?, ?, ?, ?)",
        [(d.id, transform(d.title), transform(d.keywords), transform(d.description)) for d in docs],
    )
    return con


def _fts_run(con: sqlite3.Connection, match: str | None, likes: list[str]) -> tuple[list[int], int]:
    where, params = [], []
    if match:
        where.append("needs MATCH ?")
        params.append(match)
    for term in likes:
        where.append("(title LIKE ? OR keywords LIKE ? OR description LIKE ?)")
        params += [f"%{term}%"] * 3
    if not where:
        return [], 0
    order = "bm25(needs, 3.0, 2.0, 1.0)" if match else "rowid"
    sql = f"SELECT rowid FROM needs WHERE {' AND '.join(where)} ORDER BY {order}"
    try:
        ids = [r[0] for r in con.execute(sql, params)]
    except sqlite3.OperationalError:
        return [], 0
    return ids[:K], len(ids)


def fts_trigram_engine(docs: list[NeedDocument]) -> Engine:
    """FTS5 trigram: whitespace words of 3+ characters as phrases (AND); shorter words,
    which a trigram index cannot match, as LIKE substrings."""
    con = _fts(docs, lambda s: s, "trigram")

    def run(text: str) -> tuple[list[int], int]:
        words = text.split()
        long_words = ['"' + w.replace('"', '""') + '"' for w in words if len(w) >= 3]
        short = [w for w in words if len(w) < 3]
        return _fts_run(con, " AND ".join(long_words) or None, short)

    return run


_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")


def bigrams(text: str) -> str:
    """CJK runs as overlapping bigrams, ASCII words lower-cased, separated by spaces."""
    out = []
    for m in _CJK_RUN.finditer(text):
        run = m.group()
        if run.isascii():
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(out)


def fts_bigram_engine(docs: list[NeedDocument]) -> Engine:
    """FTS5 over CJK bigrams; the query is cut by jieba, each word a bigram phrase (AND)."""
    con = _fts(docs, bigrams, "unicode61")
    tok = warm_up()

    def run(text: str) -> tuple[list[int], int]:
        phrases = []
        for word in tok.cut(text):
            grams = bigrams(word)
            if grams:
                phrases.append('"' + grams + '"')
        return _fts_run(con, " AND ".join(phrases) or None, [])

    return run


# -- entry points ---------------------------------------------------------------------------


def ours_metrics(index: SearchIndex | None = None) -> dict[str, object]:
    """Our metrics on the labelled set; builds a temporary index unless one is given."""
    queries = load_queries()
    if index is not None:
        return evaluate(ours_engine(index), queries)
    with tempfile.TemporaryDirectory() as tmp:
        built = build_ours(load_needs(), Path(tmp) / "ours")
        try:
            return evaluate(ours_engine(built), queries)
        finally:
            built.close()


def run_all() -> dict[str, dict[str, object]]:
    """Every engine's metrics on the labelled set."""
    docs, queries = load_needs(), load_queries()
    with tempfile.TemporaryDirectory() as tmp:
        ours = build_ours(docs, Path(tmp) / "ours")
        engines: dict[str, Engine] = {
            "ours": ours_engine(ours),
            "whoosh_standard": plain_whoosh_engine(docs, Path(tmp) / "plain"),
            "fts5_trigram": fts_trigram_engine(docs),
            "fts5_bigram_jieba": fts_bigram_engine(docs),
        }
        try:
            return {name: evaluate(engine, queries) for name, engine in engines.items()}
        finally:
            ours.close()


def print_table(results: dict[str, dict[str, object]]) -> None:
    """A side-by-side table of the headline metrics (and nDCG@10 by query style)."""
    names = list(results)
    rows = ["ndcg@10", "recall@10", "zero_result_queries", "noise_hits", "noise_queries_with_hits"]
    styles = sorted({s for r in results.values() for s in r["ndcg@10_by_style"]})  # type: ignore[attr-defined]
    width = max(len(n) for n in names) + 2
    print(f"{'metric':<26}" + "".join(f"{n:>{width}}" for n in names))
    for row in rows:
        print(f"{row:<26}" + "".join(f"{results[n][row]!s:>{width}}" for n in names))
    for s in styles:
        label = f"ndcg@10 [{s}]"
        print(
            f"{label:<26}"
            + "".join(
                f"{results[n]['ndcg@10_by_style'].get(s, '-')!s:>{width}}"
                for n in names  # type: ignore[attr-defined]
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    results = run_all()
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
