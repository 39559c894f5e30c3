"""Speed of the board's search at scale, next to simpler engines on the same data.

Usage::

    python bench/search_speed.py [--sizes 10000,100000] [--quick]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_speed]
        [--engines ours,fts5_trigram,fts5_bigram,whoosh_jieba] [--rounds 5]
        [--json bench/results/search_speed.json]

For each size: generates that many needs by recombining the labelled set
(``tests/data/search/needs.jsonl``: titles with prefixes and suffixes, keywords and
description sentences mixed within an industry, numbers, towns, dates, budgets and
statuses varied), imports them through the real importer (``flask needs import``'s code)
into a database (a SQLite file in a temporary folder unless ``--database-url``), builds the
index with the app's rebuild (``flask search rebuild``'s code, two processes), then times a
fixed query mix of every style through the JSON API (``GET /api/v1/needs?q=...``, Flask
test client, warm, no result cache, facet counts computed), and the same mix on
(a) SQLite FTS5 trigram, (b) SQLite FTS5 over CJK bigrams with jieba splitting the query and
(c) plain Whoosh with jieba's ChineseAnalyzer. The peers are timed as engines (no web
layer): top 20 plus the total and the three facet counts over every match ("full"), and
top 20 alone ("top"). Finally it times how long a need's update and a new need's
publication take to become findable (service call, commit, ``apply_pending``, API search).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.search_quality import bigrams  # noqa: E402  (one splitter for both benchmarks)
from search_index import NeedDocument  # noqa: E402
from search_index.analysis import warm_up  # noqa: E402

DATA = ROOT / "tests" / "data" / "search" / "needs.jsonl"
RESULTS = ROOT / "bench" / "results" / "search_speed.json"
PER_PAGE = 20
SECRET = "bench-secret-key-" + "x" * 32

# -- generating needs -------------------------------------------------------------------------

TITLE_PREFIXES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "面向多品种小批量的",
    "基于机器视觉的",
    "低成本",
    "高速",
    "智能化",
    "全流程",
    "年产5万吨线",
    "老旧产线",
    "中小企业",
    "绿色低碳",
    "出口订单",
    "车间级",
)
TITLE_SUFFIXES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "（二期）",
    "技术攻关",
    "改造项目",
    "关键技术研究",
    "示范应用",
    "系统集成",
    "工艺优化",
    "联合攻关",
)
FILLER_SENTENCES = (
    "企业年产值约{n}亿元，现有员工{m}人。",
    "项目拟在{y}年内完成中试并推广到全部{m}条产线。",
    "企业已与本地高校开展过初步交流，希望揭榜方具备工程化经验。",
    "要求揭榜方提供现场调研、方案设计、设备选型和人员培训。",
    "现有设备运行{m}年以上，改造需兼容原有控制系统。",
    "验收以第三方检测报告为准，连续运行{n}个月无重大故障。",
    "成果知识产权归属双方协商确定，企业享有优先使用权。",
    "希望方案投资回收期不超过{n}年。",
)
ENTERPRISE_WORDS = (
    "新凤",
    "恒盛",
    "振石",
    "华锦",
    "濮丰",
    "申达",
    "嘉欣",
    "永通",
    "宏达",
    "金利",
    "同辉",
    "瑞丰",
    "天成",
    "桐星",
    "凤鸣",
    "运河",
    "梧桐",
    "崇德",
    "南方",
    "东升",
    "远大",
    "恒力",
)
ENTERPRISE_KINDS = (
    "化纤",
    "纺织",
    "毛衫",
    "玻纤",
    "汽配",
    "新材料",
    "化工",
    "建材",
    "机械",
    "印染",
    "科技",
)
STATUS_MIX = (("published", 85), ("closed", 5), ("matched", 7), ("converted", 3))
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _load_labelled() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def _sentences(text: str) -> list[str]:
    return [s + "。" for s in text.replace("\n", "").split("。") if s.strip()]


def _vary_numbers(text: str, rng: random.Random) -> str:
    def repl(m: re.Match[str]) -> str:
        raw = m.group()
        if "." in raw:
            return f"{float(raw) * rng.uniform(0.6, 1.6):.1f}"
        value = int(raw)
        if value <= 3 or (len(raw) == 4 and raw.startswith("20")):  # counts like 1 针, years
            return raw
        return str(max(1, round(value * rng.uniform(0.5, 2.0))))

    return _NUMBER.sub(repl, text)


def generate(n: int, seed: int = 20240601, today: date | None = None) -> Iterator[dict]:
    """``n`` import rows (the importer's columns), recombined from the labelled needs."""
    rng = random.Random(seed)
    base = _load_labelled()
    by_industry: dict[str, list[dict]] = {}
    for r in base:
        by_industry.setdefault(r["industry"], []).append(r)
    towns = [r["town"] for r in base]
    today = today or date.today()
    start = date(2023, 1, 1)
    span = max(1, (today - start).days - 2)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    enterprises = max(20, n // 8)
    for i in range(n):
        r = rng.choice(base)
        peers = by_industry[r["industry"]]
        other = rng.choice(peers)
        title = rng.choice(TITLE_PREFIXES) + r["title"] + rng.choice(TITLE_SUFFIXES)
        words = r["keywords"].split()
        rng.shuffle(words)
        extra = [w for w in other["keywords"].split() if w not in words]
        words += rng.sample(extra, min(len(extra), rng.randint(0, 2)))
        sentences = _sentences(r["description"])
        head, rest = sentences[:1], sentences[1:]
        rng.shuffle(rest)
        mix = _sentences(other["description"])
        if mix and rng.random() < 0.6:
            rest.insert(rng.randint(0, len(rest)), rng.choice(mix))
        for _ in range(rng.randint(0, 2)):
            rest.append(
                rng.choice(FILLER_SENTENCES).format(
                    n=rng.randint(2, 30), m=rng.randint(5, 400), y=rng.randint(1, 3)
                )
            )
        description = _vary_numbers("".join(head + rest), rng)
        published = start + timedelta(days=rng.randint(0, span))
        deadline = published + timedelta(days=rng.randint(60, 900))
        budget = (
            "面议"
            if rng.random() < 0.15
            else str(rng.choice((10, 20, 30, 50, 80, 100, 150, 200, 300, 500)))
        )
        company = (
            "桐乡市"
            + ENTERPRISE_WORDS[i % enterprises % len(ENTERPRISE_WORDS)]
            + ENTERPRISE_KINDS[(i % enterprises) // len(ENTERPRISE_WORDS) % len(ENTERPRISE_KINDS)]
            + f"{i % enterprises // (len(ENTERPRISE_WORDS) * len(ENTERPRISE_KINDS)) or ''}"
            + "有限公司"
        )
        yield {
            "ref": f"BX-{i + 1:07d}",
            "title": title[:100],
            "keywords": " ".join(words),
            "description": description,
            "industry": r["industry"],
            "transformation": r["transformation"],
            "town": rng.choice(towns),
            "budget_wan": budget,
            "deadline": deadline.isoformat(),
            "published_at": published.isoformat(),
            "status": rng.choice(statuses),
            "enterprise": company,
        }


# -- the query mix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One query of the mix: ``q`` plus board filters (names; ids are looked up for the API)."""

    style: str
    q: str
    industry: str | None = None
    town: str | None = None
    transformation: str | None = None
    status: str | None = None  # None: the API's default (published, deadline not passed)
    sort: str | None = None

    @property
    def label(self) -> str:
        parts = [self.q or "(empty)"]
        parts += [
            f"{k}={v}"
            for k, v in (
                ("industry", self.industry),
                ("town", self.town),
                ("transformation", self.transformation),
                ("status", self.status),
                ("sort", self.sort),
            )
            if v
        ]
        return " ".join(parts)


MIX: tuple[Case, ...] = (
    *(Case("two_char", q) for q in ("横机", "余热", "断头", "池窑", "污泥", "色差", "压铸")),
    *(
        Case("phrase", q)
        for q in (
            "涤纶长丝 断头 检测",
            "汽配 涂装 废气",
            "余热回收 热泵",
            "空压机 节能",
            "固废 资源化",
        )
    ),
    *(Case("mixed", q) for q in ("MES 排产", "AGV", "VOCs", "5G", "毛衫 质量追溯", "E6-2400")),
    *(
        Case("question", q)
        for q in (
            "有没有企业需要印染废水回用的技术",
            "怎么降低定形机天然气消耗",
            "哪些企业在做碳足迹核算",
        )
    ),
    *(Case("synonym", q) for q in ("废气处理", "节电", "瑕疵检测", "无人搬运")),
    *(Case("term", q) for q in ("电脑横机", "机器视觉", "数字孪生", "预测性维护", "智能仓储")),
    *(Case("broad", q) for q in ("检测", "节能", "智能 改造", "降低 成本")),
    Case("filters", "检测", industry="化纤"),
    Case("filters", "节能", town="洲泉镇"),
    Case("filters", "废水", transformation="green"),
    Case("filters", "机器视觉", industry="毛衫服装", status="all"),
    Case("filters", "自动化", sort="newest"),
    Case("filters", "节能 降耗", status="all", sort="deadline"),
    Case("noise", "咖啡店装修设计"),
    Case("noise", "奶茶 外卖 配送"),
    Case("empty_filters", "", industry="化纤"),
    Case("empty_filters", "", town="濮院镇", transformation="digital"),
    Case("empty_filters", "", status="all"),
)


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds (nearest-rank)."""
    data = sorted(ms)
    if not data:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "n": 0}

    def rank(p: float) -> float:
        return data[min(len(data) - 1, max(0, round(p * len(data) + 0.5) - 1))]

    return {
        "p50": round(rank(0.50), 1),
        "p95": round(rank(0.95), 1),
        "p99": round(rank(0.99), 1),
        "max": round(data[-1], 1),
        "n": len(data),
    }


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _open_today() -> date:
    from matchmaking.timeutil import today

    return today()


# -- peers: SQLite FTS5 ---------------------------------------------------------------------


class FtsEngine:
    """FTS5 over title/keywords/description, with the facet columns in an indexed table."""

    def __init__(self, docs: list[NeedDocument], path: Path, kind: str) -> None:
        self.kind = kind
        self.path = path
        transform: Callable[[str], str] = bigrams if kind == "bigram" else (lambda s: s)
        tokenizer = "unicode61" if kind == "bigram" else "trigram"
        started = time.perf_counter()
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(
            f"CREATE VIRTUAL TABLE needs USING fts5(title, keywords, description, "
            f"tokenize='{tokenizer}')"
        )
        con.execute(
            "CREATE TABLE meta (id INTEGER PRIMARY KEY, industry TEXT, transformation "
            "TEXT, town TEXT, status TEXT, deadline INTEGER, published INTEGER)"
        )
        for start in range(0, len(docs), 5000):
            chunk = docs[start : start + 5000]
            con.executemany(
                "INSERT INTO needs(rowid, title, keywords, description) VALUES (?, ?, ?, ?)",
                [
                    (d.id, transform(d.title), transform(d.keywords), transform(d.description))
                    for d in chunk
                ],
            )
            con.executemany(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.id,
                        d.industry,
                        d.transformation,
                        d.town,
                        d.status,
                        d.deadline.toordinal(),
                        int(d.published_at.timestamp()),
                    )
                    for d in chunk
                ],
            )
        for col in ("industry", "town", "published"):
            con.execute(f"CREATE INDEX meta_{col} ON meta({col})")
        con.commit()
        con.execute("INSERT INTO needs(needs) VALUES ('optimize')")
        con.commit()
        self.seconds = time.perf_counter() - started
        self.con = con
        self.tok = warm_up() if kind == "bigram" else None

    def size(self) -> int:
        return sum(_du(p) for p in self.path.parent.glob(self.path.name + "*"))

    def _match(self, q: str) -> tuple[str | None, list[str]]:
        if self.kind == "bigram":
            assert self.tok is not None
            phrases = []
            for word in self.tok.cut(q):
                grams = bigrams(word)
                if grams:
                    phrases.append('"' + grams + '"')
            return " AND ".join(phrases) or None, []
        words = q.split()
        long_words = ['"' + w.replace('"', '""') + '"' for w in words if len(w) >= 3]
        return " AND ".join(long_words) or None, [w for w in words if len(w) < 3]

    def search(self, case: Case, full: bool, today_ord: int) -> tuple[list[int], int]:
        match, likes = self._match(case.q)
        where: list[str] = []
        params: list[object] = []
        if match:
            where.append("needs MATCH ?")
            params.append(match)
        for term in likes:
            where.append(
                "(needs.title LIKE ? OR needs.keywords LIKE ? OR needs.description LIKE ?)"
            )
            params += [f"%{term}%"] * 3
        for col in ("industry", "town", "transformation"):
            value = getattr(case, col)
            if value:
                where.append(f"meta.{col} = ?")
                params.append(value)
        if case.status is None:
            where.append("meta.status = 'published' AND meta.deadline >= ?")
            params.append(today_ord)
        if case.q and not (match or likes):
            return [], 0
        order = {"newest": "meta.published DESC", "deadline": "meta.deadline"}.get(
            case.sort or "", "bm25(needs, 3.0, 2.0, 1.0)" if match else "meta.published DESC"
        )
        cond = " AND ".join(where) or "1"
        source = "needs JOIN meta ON meta.id = needs.rowid" if case.q else "meta"
        top_sql = f"SELECT meta.id FROM {source} WHERE {cond} ORDER BY {order} LIMIT {PER_PAGE}"
        try:
            top = [r[0] for r in self.con.execute(top_sql, params)]
            if not full:
                return top, len(top)
            rows = self.con.execute(
                f"SELECT meta.industry, meta.transformation, meta.town FROM {source} WHERE {cond}",
                params,
            ).fetchall()
        except sqlite3.OperationalError:
            return [], 0
        self.facets = [Counter(r[i] for r in rows) for i in range(3)]
        return top, len(rows)


# -- peer: plain Whoosh with jieba's ChineseAnalyzer ------------------------------------------


class PlainWhooshEngine:
    """Whoosh out of the box with jieba.analyse.ChineseAnalyzer on the text fields."""

    def __init__(self, docs: list[NeedDocument], folder: Path) -> None:
        from jieba.analyse import ChineseAnalyzer
        from whoosh import index
        from whoosh.fields import ID, NUMERIC, TEXT, Schema
        from whoosh.qparser import MultifieldParser

        warm_up()
        analyzer = ChineseAnalyzer()
        schema = Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(analyzer=analyzer),
            keywords=TEXT(analyzer=analyzer),
            description=TEXT(analyzer=analyzer),
            industry=ID(sortable=True),
            transformation=ID(sortable=True),
            town=ID(sortable=True),
            status=ID,
            deadline=NUMERIC(int, bits=32, sortable=True),
            published=NUMERIC(int, bits=64, sortable=True),
        )
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        ix = index.create_in(str(folder), schema)
        # Two processes, as our rebuild (one process builds ~135 needs/s here).
        writer = ix.writer(procs=2, multisegment=True, limitmb=128)
        for d in docs:
            writer.add_document(
                id=str(d.id),
                title=d.title,
                keywords=d.keywords,
                description=d.description,
                industry=d.industry,
                transformation=d.transformation,
                town=d.town,
                status=d.status,
                deadline=d.deadline.toordinal(),
                published=int(d.published_at.timestamp()),
            )
        writer.commit()
        self.seconds = time.perf_counter() - started
        self.folder = folder
        self.ix = ix
        self.parser = MultifieldParser(
            ["title", "keywords", "description"],
            schema,
            fieldboosts={"title": 3.0, "keywords": 2.0},
        )
        self.searcher = ix.searcher()

    def search(self, case: Case, full: bool, today_ord: int) -> tuple[list[int], int]:
        from whoosh import query as wq
        from whoosh import sorting

        s = self.searcher
        q = self.parser.parse(case.q) if case.q else wq.Every()
        parts: list[wq.Query] = []
        for col in ("industry", "town", "transformation"):
            value = getattr(case, col)
            if value:
                parts.append(wq.Term(col, value))
        if case.status is None:
            parts += [wq.Term("status", "published"), wq.NumericRange("deadline", today_ord, None)]
        flt = wq.And(parts) if parts else None
        sortedby = None
        if case.sort == "newest" or not case.q:
            sortedby = sorting.FieldFacet("published", reverse=True)
        elif case.sort == "deadline":
            sortedby = sorting.FieldFacet("deadline")
        groupedby = ["industry", "transformation", "town"] if full else None
        results = s.search(q, filter=flt, limit=PER_PAGE, sortedby=sortedby, groupedby=groupedby)
        ids = [int(s.stored_fields(d)["id"]) for d in results.docs()]
        return ids, len(results) if full else results.scored_length()


# -- the application side ---------------------------------------------------------------------


def make_app(database_url: str, work: Path):
    from matchmaking import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(work / "instance"),
            "SEARCH_INDEX_DIR": str(work / "search"),
            "UPLOAD_DIR": str(work / "uploads"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # The bench applies the outbox itself (a 100,000-row import is indexed by rebuild).
            "SEARCH_SYNC_AFTER_COMMIT": False,
        }
    )


def migrate_fresh(app) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from matchmaking.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        with contextlib.redirect_stderr(
            sys.stdout if os.environ.get("BENCH_VERBOSE") else open(os.devnull, "w")
        ):
            upgrade()
        db.engine.dispose()


@dataclass
class Timed:
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    by_style: dict[str, list[float]] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def add(self, case: Case, ms: float, cpu_ms: float) -> None:
        self.ms.append(ms)
        self.cpu_ms.append(cpu_ms)
        self.by_style.setdefault(case.style, []).append(ms)
        self.slowest.append((ms, case.label))

    def summary(self) -> dict[str, object]:
        worst: dict[str, float] = {}
        for ms, label in self.slowest:
            worst[label] = max(ms, worst.get(label, 0.0))
        return percentiles(self.ms) | {
            "cpu": percentiles(self.cpu_ms),
            "by_style": {s: percentiles(v) for s, v in sorted(self.by_style.items())},
            "slowest": [
                {"query": k, "ms": round(v, 1)}
                for k, v in sorted(worst.items(), key=lambda kv: -kv[1])[:5]
            ],
        }


def run_mix(run: Callable[[Case], object], rounds: int, cases: tuple[Case, ...] = MIX) -> Timed:
    """Warm once over the mix, then time ``rounds`` passes in a shuffled fixed order.

    Wall-clock milliseconds, and this process's CPU milliseconds (which other load on
    the machine inflates much less; the PostgreSQL server's CPU is not in it)."""
    for case in cases:
        run(case)
    order = list(cases) * rounds
    random.Random(7).shuffle(order)
    timed = Timed()
    for case in order:
        cpu = time.process_time()
        started = time.perf_counter()
        run(case)
        timed.add(case, (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
    return timed


def api_params(case: Case, ids: dict[str, dict[str, int]]) -> str:
    params: dict[str, object] = {"q": case.q, "per_page": PER_PAGE}
    if case.industry:
        params["industry"] = ids["industry"][case.industry]
    if case.town:
        params["town"] = ids["town"][case.town]
    if case.transformation:
        params["transformation"] = case.transformation
    if case.status:
        params["status"] = case.status
    if case.sort:
        params["sort"] = case.sort
    return urlencode(params)


def _users(app):
    """An enterprise user of one imported enterprise, and a bureau user."""
    from sqlalchemy import select

    from matchmaking.accounts.models import Organization, OrgKind, OrgStatus, Role, User
    from matchmaking.extensions import db
    from matchmaking.needs.models import Need

    need = db.session.execute(
        select(Need).where(Need.status == "published").order_by(Need.deadline.desc()).limit(1)
    ).scalar_one()
    owner = User(
        email="bench-owner@example.cn",
        name="压测企业",
        password_hash="x",
        role=Role.enterprise,
        organization_id=need.organization_id,
    )
    bureau_org = Organization(
        name="桐乡市科技局（压测）",
        kind=OrgKind.bureau,
        status=OrgStatus.verified,
        contact_name="",
        contact_phone="",
    )
    db.session.add(bureau_org)
    db.session.flush()
    bureau = User(
        email="bench-bureau@example.cn",
        name="压测科技局",
        password_hash="x",
        role=Role.bureau,
        organization_id=bureau_org.id,
    )
    db.session.add_all([owner, bureau])
    db.session.commit()
    return need, owner, bureau


def visibility(app, client) -> dict[str, object]:
    """Seconds from the service call to the need being found through the API."""
    from decimal import Decimal

    from matchmaking.extensions import db
    from matchmaking.needs import services
    from matchmaking.search.services import apply_pending

    out: dict[str, object] = {}
    with app.app_context():
        need, owner, bureau = _users(app)
        need_id, owner_id, bureau_id = need.id, owner.id, bureau.id

    def wait_for(token: str, want_id: int, started: float) -> float:
        deadline = started + 10
        while time.perf_counter() < deadline:
            body = client.get(f"/api/v1/needs?q={token}&status=all").get_json()
            if any(item["id"] == want_id for item in body["items"]):
                return time.perf_counter() - started
            time.sleep(0.005)
        return float("inf")

    token = f"QZX{random.randint(10000, 99999)}"
    with app.app_context():
        from matchmaking.accounts.models import User
        from matchmaking.needs.models import Need

        need = db.session.get(Need, need_id)
        owner = db.session.get(User, owner_id)
        data = services.NeedData(
            title=need.title,
            background=need.background,
            difficulty=need.difficulty,
            indicators=need.indicators,
            expected_outcome=need.expected_outcome,
            budget_wan=need.budget_wan,
            deadline=need.deadline,
            industry_id=need.industry_id,
            transformation=need.transformation,
            keywords=f"{need.keywords} {token}",
            ip_terms=need.ip_terms,
            confidential=need.confidential,
        )
        started = time.perf_counter()
        services.update_need(need, owner, data)  # keywords: not essential, stays published
        db.session.commit()
        t_apply = time.perf_counter()
        apply_pending()
        apply_ms = (time.perf_counter() - t_apply) * 1000
    seconds = wait_for(token, need_id, started)
    out["update_seconds"] = round(seconds, 3)
    out["update_apply_pending_ms"] = round(apply_ms, 1)

    token = f"QZY{random.randint(10000, 99999)}"
    with app.app_context():
        from matchmaking.accounts.models import User

        owner = db.session.get(User, owner_id)
        bureau = db.session.get(User, bureau_id)
        base = db.session.get(Need, need_id)
        data = services.NeedData(
            title=f"压测新需求 {token} 定形机废气余热回收",
            background="压测用新需求。",
            difficulty="",
            indicators="",
            expected_outcome="",
            budget_wan=Decimal("30"),
            deadline=_open_today() + timedelta(days=60),
            industry_id=base.industry_id,
            transformation=base.transformation,
            keywords=token,
        )
        started = time.perf_counter()
        new = services.create_need(owner, data)
        services.submit_need(new, owner)
        services.publish_need(new, bureau)
        db.session.commit()
        new_id = new.id
        t_apply = time.perf_counter()
        apply_pending()
        apply_ms = (time.perf_counter() - t_apply) * 1000
    seconds = wait_for(token, new_id, started)
    out["publish_seconds"] = round(seconds, 3)
    out["publish_apply_pending_ms"] = round(apply_ms, 1)
    return out


def bench_size(n: int, args: argparse.Namespace, work: Path) -> dict[str, object]:
    from sqlalchemy import select

    from matchmaking.extensions import db
    from matchmaking.needs.importer import import_needs
    from matchmaking.reference.models import Industry, Town
    from matchmaking.search import services

    report: dict[str, object] = {"needs": n, "load_average_before": os.getloadavg()}
    db_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    app = make_app(db_url, work)
    migrate_fresh(app)
    client = app.test_client()

    started = time.perf_counter()
    rows_path = work / "needs.jsonl"
    with rows_path.open("w", encoding="utf-8") as fh:
        for row in generate(n, today=_open_today()):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    report["generate_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with app.app_context():
        imported = import_needs(str(rows_path), publish=True, show_progress=False)
        if not imported.ok:
            raise SystemExit("import failed: " + "; ".join(map(str, imported.errors[:5])))
        db.session.commit()
    report["import_seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"  {n}: generated in {report['generate_seconds']} s, imported "
        f"{imported.created} in {report['import_seconds']} s",
        flush=True,
    )

    with app.app_context():
        ids = {
            "industry": dict(db.session.execute(select(Industry.name, Industry.id)).all()),
            "town": dict(db.session.execute(select(Town.name, Town.id)).all()),
        }
        docs = list(services.public_documents())
        db.session.rollback()
    today_ord = _open_today().toordinal()
    engines: dict[str, dict[str, object]] = {}

    if "ours" in args.engines:
        with app.app_context():
            rebuilt = services.rebuild(procs=2)
            index = services.get_index()
            folder = index._current()
            assert folder is not None
            segments = index.segment_count()
        size = _du(folder)
        print(f"  ours: rebuilt {rebuilt.documents} in {rebuilt.seconds:.1f} s", flush=True)

        def api(case: Case) -> object:
            resp = client.get("/api/v1/needs?" + api_params(case, ids))
            assert resp.status_code == 200, resp.status_code
            body = resp.get_json()
            if case.q:
                assert "total_is_estimate" in body
            return body

        # The API sends an empty q to the database (the board), so the index's empty-query
        # path (the /search page's) is timed through services.search_needs as well.
        from matchmaking.needs.queries import BoardFilters

        def page_call(case: Case) -> object:
            with app.test_request_context("/search?" + api_params(case, ids)):
                from flask import request

                filters = BoardFilters.from_args(request.args)
                if request.args.get("status") == "all":
                    filters.status = None
                return services.search_needs(case.q, filters, case.sort or "relevance", 1, PER_PAGE)

        api_timed = run_mix(api, args.rounds)
        page_timed = run_mix(page_call, args.rounds)
        # The same through the API with the decoded-postings cache off: every term of
        # every search is read from the index files.
        from search_index.engine import postings_cache

        limit = postings_cache.limit
        postings_cache.limit = 0
        postings_cache.clear()
        cold_timed = run_mix(api, args.rounds)
        postings_cache.limit = limit
        totals = {}
        for case in MIX:
            body = api(case)
            totals[case.label] = {
                "total": body["total"],
                "estimate": body.get("total_is_estimate", False),
                "partial": body.get("partial", False),
            }
        engines["ours"] = {
            "build_seconds": round(rebuilt.seconds, 1),
            "needs_per_second": round(rebuilt.documents / rebuilt.seconds, 1),
            "size_mb": round(size / 1e6, 1),
            "segments": segments,
            "latency_ms": api_timed.summary(),
            "search_page_latency_ms": page_timed.summary(),
            "no_postings_cache_latency_ms": cold_timed.summary(),
            "totals": totals,
        }
        if not args.skip_visibility:
            engines["ours"]["visibility"] = visibility(app, client)
        with app.app_context():
            services.get_index().close()

    peer_factories: dict[str, Callable[[], object]] = {
        "fts5_trigram": lambda: FtsEngine(docs, work / "fts_trigram.db", "trigram"),
        "fts5_bigram": lambda: FtsEngine(docs, work / "fts_bigram.db", "bigram"),
        "whoosh_jieba": lambda: PlainWhooshEngine(docs, work / "whoosh_jieba"),
    }
    for name, make in peer_factories.items():
        if name not in args.engines:
            continue
        engine = make()
        build = engine.seconds  # type: ignore[attr-defined]
        size = engine.size() if isinstance(engine, FtsEngine) else _du(engine.folder)  # type: ignore[attr-defined]
        print(f"  {name}: built in {build:.1f} s", flush=True)
        full = run_mix(lambda c, e=engine: e.search(c, True, today_ord), args.rounds)  # type: ignore[attr-defined]
        top = run_mix(lambda c, e=engine: e.search(c, False, today_ord), args.rounds)  # type: ignore[attr-defined]
        engines[name] = {
            "build_seconds": round(build, 1),
            "needs_per_second": round(len(docs) / build, 1),
            "size_mb": round(size / 1e6, 1),
            "latency_ms": full.summary(),
            "top_only_latency_ms": top.summary(),
        }
        del engine
    report["engines"] = engines
    report["load_average_after"] = os.getloadavg()
    return report


def print_table(results: list[dict[str, object]]) -> None:
    header = (
        f"{'needs':>7} {'engine':<14} {'build s':>8} {'needs/s':>8} {'MB':>7} "
        f"{'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  {'top p95':>7} "
        f"{'cpu p50':>7} {'cpu p95':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        for name, e in r["engines"].items():  # type: ignore[attr-defined]
            lat = e["latency_ms"]
            top = e.get("top_only_latency_ms", {}).get("p95", "")
            print(
                f"{r['needs']:>7} {name:<14} {e['build_seconds']:>8} "
                f"{e['needs_per_second']:>8} {e['size_mb']:>7} {lat['p50']:>7} "
                f"{lat['p95']:>7} {lat['p99']:>7} {lat['max']:>7}  {top!s:>7} "
                f"{lat['cpu']['p50']:>7} {lat['cpu']['p95']:>7}"
            )
            if name == "ours":
                cold = e["no_postings_cache_latency_ms"]
                print(
                    f"{'':>7} {'  no pcache':<14} {'':>8} {'':>8} {'':>7} "
                    f"{cold['p50']:>7} {cold['p95']:>7} {cold['p99']:>7} {cold['max']:>7}  "
                    f"{'':>7} {cold['cpu']['p50']:>7} {cold['cpu']['p95']:>7}"
                )
                page = e["search_page_latency_ms"]
                print(
                    f"{'':>7} {'  /search call':<14} {'':>8} {'':>8} {'':>7} "
                    f"{page['p50']:>7} {page['p95']:>7} {page['p99']:>7} {page['max']:>7}  "
                    f"{'':>7} {page['cpu']['p50']:>7} {page['cpu']['p95']:>7}"
                )
                for style, s in lat["by_style"].items():
                    print(
                        f"{'':>7}   {style:<12} {'':>8} {'':>8} {'':>7} {s['p50']:>7} "
                        f"{s['p95']:>7} {s['p99']:>7} {s['max']:>7}"
                    )
                if "visibility" in e:
                    v = e["visibility"]
                    print(
                        f"{'':>7}   update visible after {v['update_seconds']} s "
                        f"(apply_pending {v['update_apply_pending_ms']} ms); new need "
                        f"after {v['publish_seconds']} s"
                    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated numbers of needs (default 10000,100000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="try things: 2,000 needs, one round (unless given)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="timed passes over the mix")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a database that may be wiped (default: SQLite in a temp folder)",
    )
    parser.add_argument("--engines", default="ours,fts5_trigram,fts5_bigram,whoosh_jieba")
    parser.add_argument("--skip-visibility", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="work in this folder and keep it (default: a temp folder)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help=f"where to write the JSON (default {RESULTS.relative_to(ROOT)}, "
        "not written in quick mode unless given)",
    )
    args = parser.parse_args(argv)
    sizes = (
        [2000]
        if args.quick and args.sizes == parser.get_default("sizes")
        else [int(s) for s in args.sizes.split(",") if s.strip()]
    )
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.engines = {e.strip() for e in args.engines.split(",") if e.strip()}
    warm_up()
    results = []
    for n in sizes:
        print(f"== {n} needs", flush=True)
        if args.keep:
            work = args.keep / str(n)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            results.append(bench_size(n, args, work))
        else:
            with tempfile.TemporaryDirectory(prefix="search-speed-") as tmp:
                results.append(bench_size(n, args, Path(tmp)))
    print()
    print_table(results)
    out = args.json or (None if args.quick else RESULTS)
    if out is not None:
        payload = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "postgresql"
            if (args.database_url or "").startswith("postgres")
            else "sqlite",
            "per_page": PER_PAGE,
            "rounds": args.rounds,
            "mix": [{"style": c.style, "query": c.label} for c in MIX],
            "results": results,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
