"""How the on-disk format of the index changes the speed of a search that reads cold.

Usage::

    python bench/search_format.py [--needs 100000] [--work /tmp/search-format]
        [--variants positions,frequencies,big_blocks_raw,big_blocks,big_blocks_loose]
        [--json bench/results/search_format.json]

Builds the same generated needs (``bench/search_speed.py``'s generator) into one index per
variant with the app's rebuild (two processes), then times the query mix of
``search_speed.py`` on each through :meth:`SearchIndex.search` with the decoded-postings
cache off, so every term is read from the files. Variants:

- ``positions``: text fields with token positions, Whoosh's default codec (128 postings
  per block, zlib level 3): the format before this benchmark;
- ``frequencies``: no positions, default codec;
- ``big_blocks_raw``: no positions, 1,024 postings per block, no compression;
- ``big_blocks``: no positions, 1,024 per block, zlib level 1 (the format in use);
- ``big_blocks_loose``: as ``big_blocks`` with every segment's files kept apart instead
  of in one compound file.

An index folder already in ``--work`` is reused (its build time is then not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from anywhere
    sys.path.insert(0, str(ROOT))

from whoosh import writing  # noqa: E402
from whoosh.codec.whoosh3 import W3Codec  # noqa: E402
from whoosh.fields import TEXT  # noqa: E402

import search_index.index as index_module  # noqa: E402
from bench.search_speed import MIX, generate, percentiles  # noqa: E402
from search_index import NeedDocument  # noqa: E402
from search_index.engine import postings_cache  # noqa: E402

VARIANTS = {  # name: (positions, postings per block, zlib level, compound files)
    "positions": (True, 128, 3, True),
    "frequencies": (False, 128, 3, True),
    "big_blocks_raw": (False, 1024, 0, True),
    "big_blocks": (False, 1024, 1, True),
    "big_blocks_loose": (False, 1024, 1, False),
}
RESULTS = ROOT / "bench" / "results" / "search_format.json"
TODAY = date(2026, 11, 27)  # fixed, so every run generates the same needs


def documents(n: int) -> list[NeedDocument]:
    docs = []
    for i, row in enumerate(generate(n, today=TODAY)):
        budget = None if row["budget_wan"] == "面议" else float(row["budget_wan"])
        status = "published" if i % 10 < 7 else ("closed", "matched", "converted")[i % 3]
        docs.append(
            NeedDocument(
                i + 1,
                row["ref"],
                row["title"],
                row["keywords"],
                row["description"],
                row["industry"],
                row["transformation"],
                row["town"],
                budget,
                date.fromisoformat(row["deadline"]),
                datetime.fromisoformat(row["published_at"]),
                status,
                "v1",
            )
        )
    return docs


def use_variant(positions: bool, blocklimit: int, compression: int, compound: bool) -> None:
    """Make the app's rebuild write this variant (process-wide; one variant per run)."""
    current_schema = index_module.build_schema

    def schema():
        built = current_schema()
        analyzer = built["title"].analyzer
        for name in ("title", "keywords", "description"):
            built.remove(name)
            built.add(name, TEXT(analyzer=analyzer, stored=True, phrase=positions))
        return built

    index_module.build_schema = schema
    index_module._codec = lambda: W3Codec(blocklimit=blocklimit, compression=compression)
    init = writing.SegmentWriter.__init__

    def segment_writer(self, ix, *args, **kwargs):
        kwargs["compound"] = compound
        init(self, ix, *args, **kwargs)

    writing.SegmentWriter.__init__ = segment_writer


def time_cold(root: Path, rounds: int) -> dict[str, object]:
    index = index_module.SearchIndex(root)
    postings_cache.limit = 0
    postings_cache.clear()
    index.search("余热")  # opens the searcher and reads the columns once
    latencies = []
    for _ in range(rounds):
        for case in MIX:
            if not case.q:
                continue
            filters: dict[str, object] = {
                k: v
                for k, v in (
                    ("industry", case.industry),
                    ("town", case.town),
                    ("transformation", case.transformation),
                )
                if v
            }
            if case.status != "all":
                filters["effective_status"] = ("published", TODAY)
            started = time.perf_counter()
            index.search(
                case.q, filters=filters, sort=case.sort or "relevance", per_page=20, time_limit=5
            )
            latencies.append((time.perf_counter() - started) * 1000)
    index.close()
    return percentiles(latencies)


def run_variant(name: str, n: int, work: Path, rounds: int) -> dict[str, object]:
    use_variant(*VARIANTS[name])
    root = work / f"{n}-{name}"
    built = None
    if not (root / "current").exists():
        report = index_module.rebuild(root, documents(n), total=n, procs=2)
        built = round(report.seconds, 1)
    folder = (root / "current").resolve()
    size = sum(f.stat().st_size for f in folder.iterdir())
    return {
        "variant": name,
        "needs": n,
        "build_seconds": built,
        "size_mb": round(size / 1e6, 1),
        "cold_latency_ms": time_cold(root, rounds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/search-format"))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        # One process per variant: the monkeypatched format must not leak into the next.
        pid = os.fork()
        if pid == 0:
            out = args.work / f"{name}.json"
            out.write_text(json.dumps(run_variant(name, args.needs, args.work, args.rounds)))
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status:
            raise SystemExit(f"variant {name} failed")
        result = json.loads((args.work / f"{name}.json").read_text())
        lat = result["cold_latency_ms"]
        print(
            f"{name:<18} build {result['build_seconds'] or '-':>6} s  "
            f"{result['size_mb']:>6} MB  p50 {lat['p50']:>6}  p95 {lat['p95']:>6}  "
            f"p99 {lat['p99']:>6} ms",
            flush=True,
        )
        results.append(result)
    best = min(results, key=lambda r: r["cold_latency_ms"]["p95"])
    payload = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "rounds": args.rounds,
        "results": results,
        "fastest_p95": best["variant"],
        "median_p95_ms": statistics.median(r["cold_latency_ms"]["p95"] for r in results),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
