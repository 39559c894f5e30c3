"""How fast the bureau's dashboard answers at 100,000 needs and 50,000 matches.

Generates the data with bulk inserts into a freshly migrated database, then times the stats
API and the dashboard pages through the Flask test client (so the figures include the
queries, the templates and the JSON, but not the network). Prints medians and writes
bench/results/stats_speed.json.

    .venv/bin/python bench/stats_speed.py                      # SQLite (a temporary file)
    .venv/bin/python bench/stats_speed.py --pg postgresql://postgres@127.0.0.1:5432/test_stats_bench
    .venv/bin/python bench/stats_speed.py --both --pg postgresql://...   # both, one JSON

Not part of the test suite. The PostgreSQL database is emptied (DROP SCHEMA public CASCADE).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaking import create_app
from matchmaking.accounts.models import Organization, Role, User
from matchmaking.bids.models import Bid
from matchmaking.extensions import db
from matchmaking.matches.models import Match
from matchmaking.needs.models import Need
from matchmaking.reference.models import Industry, Town

SECRET = "bench-secret-" + "x" * 40
PASSWORD = "Bench-2026-揭榜!"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # bureau sign-in may ask for a second factor
RESULTS = Path(__file__).resolve().parent / "results" / "stats_speed.json"

ENDPOINTS = [
    ("api progress", "/api/v1/stats/progress"),
    (
        "api breakdown industry/posted",
        "/api/v1/stats/breakdown?by=industry&metric=posted&from=2022-01-01&to=2025-12-31",
    ),
    (
        "api breakdown town/converted",
        "/api/v1/stats/breakdown?by=town&metric=converted&from=2022-01-01&to=2025-12-31",
    ),
    ("api breakdown solver/matched", "/api/v1/stats/breakdown?by=solver&metric=matched"),
    ("page dashboard", "/bureau/stats/"),
    ("page breakdown", "/bureau/stats/breakdown"),
    ("page response", "/bureau/stats/response"),
    ("page ranking", "/bureau/stats/ranking?from=2024-01-01&to=2024-12-31"),
    (
        "page drill",
        "/bureau/stats/drill?measure=converted&from=2024-01-01&to=2024-12-31&by=town&key=1&page=2",
    ),
    ("page report", "/bureau/stats/report"),
    ("export xlsx", "/bureau/stats/export.xlsx"),
]


def _app(url: str, instance: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "WTF_CSRF_ENABLED": False,
            "SEARCH_INDEX_DIR": os.path.join(instance, "search"),
            "UPLOAD_DIR": os.path.join(instance, "uploads"),
        }
    )


def migrate(url: str, instance: str) -> None:
    from flask_migrate import upgrade

    app = _app(url, instance)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


def _insert(table, rows: list[dict], batch: int = 5000) -> None:
    for i in range(0, len(rows), batch):
        db.session.execute(table.insert(), rows[i : i + batch])


def generate(n_needs: int, n_matches: int, seed: int = 7) -> dict:
    """Bulk-insert organizations, needs, bids and matches with a plausible spread of dates."""
    from werkzeug.security import generate_password_hash

    from matchmaking.reference import services as reference

    rnd = random.Random(seed)
    reference.seed()
    db.session.flush()
    towns = db.session.execute(sa.select(Town.id)).scalars().all()
    industries = db.session.execute(sa.select(Industry.id)).scalars().all()
    orgs = []
    for i in range(600):
        kind = "enterprise" if i < 500 else ("university" if i < 560 else "institute")
        orgs.append(
            {
                "id": i + 1,
                "name": f"单位{i:04d}",
                "kind": kind,
                "uscc": None,
                "town_id": rnd.choice(towns) if kind == "enterprise" else None,
                "status": "verified",
                "contact_name": "",
                "contact_phone": "",
                "created_at": datetime(2019, 1, 1, tzinfo=UTC),
            }
        )
    orgs.append(
        {
            "id": 601,
            "name": "桐乡市科学技术局",
            "kind": "bureau",
            "uscc": None,
            "town_id": None,
            "status": "verified",
            "contact_name": "",
            "contact_phone": "",
            "created_at": datetime(2019, 1, 1, tzinfo=UTC),
        }
    )
    _insert(Organization.__table__, orgs)
    bureau = User(
        email="bench-bureau@example.cn",
        name="科技局",
        role=Role.bureau,
        organization_id=601,
        password_hash=generate_password_hash(PASSWORD, method="scrypt"),
        totp_secret=TOTP_SECRET,
    )
    db.session.add(bureau)
    enterprise_towns = {o["id"]: o["town_id"] for o in orgs if o["kind"] == "enterprise"}
    solvers = [o["id"] for o in orgs if o["kind"] in ("university", "institute")]

    start = datetime(2019, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - start).total_seconds()
    needs, published = [], {}
    for i in range(1, n_needs + 1):
        org = rnd.randrange(1, 501)
        is_published = rnd.random() < 0.92
        at = start + timedelta(seconds=rnd.random() * span) if is_published else None
        status = (
            rnd.choice(["published", "closed", "matched", "converted", "lapsed", "withdrawn"])
            if is_published
            else rnd.choice(["draft", "submitted"])
        )
        needs.append(
            {
                "id": i,
                "ref": f"B{i:07d}",
                "organization_id": org,
                "title": f"需求{i}",
                "background": "",
                "difficulty": "",
                "indicators": "",
                "expected_outcome": "",
                "keywords": "",
                "ip_terms": "",
                "confidential": "",
                "deadline": date(2027, 1, 1),
                "industry_id": rnd.choice(industries),
                "town_id": enterprise_towns[org],
                "transformation": rnd.choice(["digital", "green"]),
                "status": status,
                "version": 1,
                "created_at": at or start,
                "updated_at": at or start,
                "first_published_at": at,
            }
        )
        if at:
            published[i] = at
    _insert(Need.__table__, needs)

    bids, bid_id = [], 0
    for need_id, at in published.items():
        for solver in rnd.sample(solvers, rnd.choice([0, 0, 1, 1, 2, 3])):
            bid_id += 1
            created = at + timedelta(days=rnd.expovariate(1 / 12))
            status = rnd.choice(["submitted", "declined", "withdrawn", "submitted"])
            bids.append(
                {
                    "id": bid_id,
                    "need_id": need_id,
                    "organization_id": solver,
                    "approach": "方案",
                    "team_lead": "张",
                    "team_members": "",
                    "duration_months": 6,
                    "prior_results": "",
                    "status": status,
                    "created_at": created,
                    "updated_at": created,
                    "decided_at": created if status == "declined" else None,
                    "withdrawn_at": created if status == "withdrawn" else None,
                }
            )
    _insert(Bid.__table__, bids)

    matches = []
    matched_needs = rnd.sample(sorted(published), min(len(published), int(n_matches * 0.8)))
    targets = matched_needs + rnd.sample(matched_needs, n_matches - len(matched_needs))
    for i, need_id in enumerate(targets, start=1):
        at = published[need_id]
        signed = (at + timedelta(days=20 + rnd.expovariate(1 / 40))).date()
        roll = rnd.random()
        status = (
            "negotiating"
            if roll < 0.15
            else "signed"
            if roll < 0.55
            else "converted"
            if roll < 0.85
            else "terminated"
        )
        completed = (
            signed + timedelta(days=60 + int(rnd.expovariate(1 / 120)))
            if status == "converted"
            else None
        )
        matches.append(
            {
                "id": i,
                "need_id": need_id,
                "solver_org_id": rnd.choice(solvers),
                "status": status,
                "accepted_at": at + timedelta(days=15),
                "signed_on": None if status == "negotiating" else signed,
                "completed_on": completed,
                "conversion_recorded_at": datetime(2026, 1, 1, tzinfo=UTC) if completed else None,
                "confirmed_at": datetime(2026, 1, 2, tzinfo=UTC) if completed else None,
                "terminated_at": datetime(2026, 1, 3, tzinfo=UTC)
                if status == "terminated"
                else None,
                "created_at": at + timedelta(days=15),
            }
        )
    _insert(Match.__table__, matches)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('organizations_id_seq', 1000)"))
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return {
        "needs": len(needs),
        "published": len(published),
        "bids": len(bids),
        "matches": len(matches),
    }


def time_endpoints(app, repeat: int) -> dict:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "bench-bureau@example.cn", "password": PASSWORD}
    )
    if response.status_code == 302 and "/login/totp" in response.headers["Location"]:
        import pyotp

        response = client.post("/login/totp", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 302, response.status_code
    out = {}
    for name, path in ENDPOINTS:
        client.get(path)  # warm-up (template compilation, caches)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, (path, response.status_code)
        out[name] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
        }
        print(
            f"  {name:<34} median {out[name]['median_ms']:>8.1f} ms   "
            f"max {out[name]['max_ms']:>8.1f} ms",
            flush=True,
        )
    return out


def run(backend: str, url: str, n_needs: int, n_matches: int, repeat: int) -> dict:
    instance = tempfile.mkdtemp(prefix="stats-bench-")
    print(
        f"\n== {backend}: migrating and generating {n_needs} needs, {n_matches} matches", flush=True
    )
    migrate(url, instance)
    app = _app(url, instance)
    with app.app_context():
        t0 = time.perf_counter()
        counts = generate(n_needs, n_matches)
        print(f"  generated {counts} in {time.perf_counter() - t0:.1f} s", flush=True)
        timings = time_endpoints(app, repeat)
        db.session.remove()
        db.engine.dispose()
    return {"backend": backend, "rows": counts, "repeat": repeat, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL URL (its public schema is dropped!)")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL")
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--matches", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    runs = []
    if args.both or not args.pg:
        path = Path(tempfile.mkdtemp(prefix="stats-bench-")) / "bench.db"
        runs.append(run("sqlite", f"sqlite:///{path}", args.needs, args.matches, args.repeat))
    if args.pg:
        runs.append(run("postgresql", args.pg, args.needs, args.matches, args.repeat))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
