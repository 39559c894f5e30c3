"""How long `flask needs import` takes for N rows (default 100,000) on SQLite or PostgreSQL.

    .venv/bin/python bench/import_speed.py [--rows 100000] [--database-url URL]

Prints the seconds for validation + bulk write (without the search rebuild, which
bench/search_speed.py measures) and for a re-import of the same file (all updates), and
writes bench/results/import_speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaking import create_app
from matchmaking.extensions import db
from matchmaking.reference.models import SEED_INDUSTRIES, SEED_TOWNS

WORDS = [
    "涤纶长丝",
    "断头检测",
    "余热回收",
    "印染废水",
    "中水回用",
    "电脑横机",
    "MES 排产",
    "AGV",
    "VOCs治理",
    "拉丝漏板",
    "定形机",
    "能耗监测",
    "机器视觉",
    "数字孪生",
    "碳排放",
]


def make_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        for n in range(rows):
            words = rng.sample(WORDS, 3)
            year = rng.randint(2022, 2025)
            fh.write(
                json.dumps(
                    {
                        "ref": f"BENCH-{n:06d}",
                        "title": "".join(words[:2]) + f"技术需求{n}",
                        "description": "，".join(words) + "。企业希望与高校院所合作攻关。",
                        "industry": rng.choice(SEED_INDUSTRIES[:9]),
                        "transformation": rng.choice(["digital", "green"]),
                        "keywords": " ".join(words),
                        "budget_wan": rng.choice(["面议", "30", "120.5"]),
                        "deadline": f"{year}-12-31",
                        "town": rng.choice(SEED_TOWNS),
                        "enterprise": f"桐乡市第{n % 5000}号企业有限公司",
                        "published_at": f"{year}-0{rng.randint(1, 9)}-15",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "b" * 40,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(work),
            "SEARCH_SYNC_AFTER_COMMIT": False,
        }
    )
    data = work / "needs.jsonl"
    make_file(data, args.rows)
    from flask_migrate import upgrade

    from matchmaking.needs.importer import import_needs

    results = {"rows": args.rows, "backend": url.split(":", 1)[0]}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        for label in ("first_import_s", "reimport_s"):
            started = time.perf_counter()
            report = import_needs(str(data), show_progress=False)
            assert report.ok, report.errors[:3]
            db.session.commit()
            results[label] = round(time.perf_counter() - started, 1)
            print(
                f"{label}: {results[label]} s ({report.created} created, {report.updated} updated)"
            )
    out = Path(__file__).parent / "results" / "import_speed.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
