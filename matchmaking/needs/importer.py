"""`flask needs import`: load lists of needs (the 2022–2025 history, or a new batch).

All or nothing: every row is validated first; if any row is bad the command names each bad
row (line and field) and imports nothing. Re-importing a ``ref`` updates that need.
Written with bulk statements so 100,000 rows take minutes, not hours.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from tqdm import tqdm

from matchmaking.accounts.models import Organization, OrgKind, OrgStatus
from matchmaking.audit.services import record, record_many
from matchmaking.extensions import db
from matchmaking.needs.models import PUBLIC_STATUSES, Need, NeedStatus, Transformation
from matchmaking.reference.models import Industry, Town
from matchmaking.search.models import SearchOutbox
from matchmaking.search.sync import note_bulk_outbox
from matchmaking.tabular import RowError, checked_rows, read_rows
from matchmaking.timeutil import LOCAL_TZ, today, utcnow

REQUIRED = (
    "ref",
    "title",
    "description",
    "industry",
    "transformation",
    "keywords",
    "budget_wan",
    "deadline",
    "town",
    "enterprise",
)
OPTIONAL = ("published_at", "status")
LIMITS = {"ref": 40, "title": 100, "keywords": 200, "enterprise": 100, "description": 20000}
BUDGET_NEGOTIABLE = {"", "面议", "negotiable"}
BATCH = 2000


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    organizations_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class CleanRow:
    line: int
    ref: str
    title: str
    description: str
    industry_id: int
    transformation: Transformation
    keywords: str
    budget_wan: Decimal | None
    deadline: date
    town_id: int
    enterprise: str
    published_at: datetime | None
    status: NeedStatus


def _parse_date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _parse_published(text: str) -> datetime:
    """An ISO date (Beijing calendar) or datetime; returned in UTC."""
    if len(text) <= 10:
        return datetime.combine(date.fromisoformat(text), time(9, 0), LOCAL_TZ).astimezone(UTC)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def validate(
    rows: Iterable[tuple[int, dict[str, str]]], *, publish: bool, progress: tqdm | None = None
) -> tuple[list[CleanRow], list[RowError]]:
    industries = {i.name: i.id for i in db.session.execute(select(Industry)).scalars()}
    towns = {t.name: t.id for t in db.session.execute(select(Town)).scalars()}
    on = today()
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row, bad in checked_rows(rows, REQUIRED, errors):
        if progress is not None:
            progress.update(1)
        fail = bad.add
        for name, limit in LIMITS.items():
            if len(row.get(name, "")) > limit:
                fail(name, f"超过 {limit} 个字符")
        ref, title = row.get("ref", ""), row.get("title", "")
        if not ref:
            fail("ref", "编号不能为空")
        elif ref in seen:
            fail("ref", f"与第 {seen[ref]} 行编号重复")
        else:
            seen[ref] = line
        if not title:
            fail("title", "需求名称不能为空")
        industry_id = industries.get(row.get("industry", ""))
        if industry_id is None:
            fail("industry", f"未知行业“{row.get('industry', '')}”")
        town_id = towns.get(row.get("town", ""))
        if town_id is None:
            fail("town", f"未知镇（街道）“{row.get('town', '')}”")
        transformation = Transformation.parse(row.get("transformation", ""))
        if transformation is None:
            fail("transformation", "改造类型须为 数字化/绿色化（digital/green）")
        if not row.get("enterprise"):
            fail("enterprise", "企业名称不能为空")
        budget: Decimal | None = None
        raw_budget = row.get("budget_wan", "").replace(",", "")
        if raw_budget not in BUDGET_NEGOTIABLE:
            try:
                budget = Decimal(raw_budget)
                if not budget.is_finite() or budget < 0 or budget > 1_000_000:
                    raise InvalidOperation
            except InvalidOperation:
                fail("budget_wan", f"榜额“{raw_budget}”不是有效的非负数字（或“面议”）")
        published_at = None
        if row.get("published_at"):
            try:
                published_at = _parse_published(row["published_at"])
            except ValueError:
                fail("published_at", f"日期“{row['published_at']}”无效，应为 YYYY-MM-DD")
        status = NeedStatus.published if (publish or published_at) else NeedStatus.submitted
        if row.get("status"):
            try:
                status = NeedStatus(row["status"])
            except ValueError:
                fail("status", f"未知状态“{row['status']}”")
        deadline = None
        try:
            deadline = _parse_date(row.get("deadline", ""))
        except ValueError:
            fail("deadline", f"日期“{row.get('deadline', '')}”无效，应为 YYYY-MM-DD")
        if (
            deadline
            and published_at is None
            and status in (NeedStatus.published, NeedStatus.submitted, NeedStatus.draft)
            and deadline <= on
        ):
            fail("deadline", "截止日期已过（历史记录请同时提供 published_at）")
        if published_at and deadline and deadline < published_at.astimezone(LOCAL_TZ).date():
            fail("deadline", "截止日期早于发布日期")
        if bad:
            errors.extend(bad)
            continue
        clean.append(
            CleanRow(
                line,
                ref,
                title,
                row.get("description", ""),
                industry_id,
                transformation,
                " ".join(row.get("keywords", "").replace(",", " ").replace("，", " ").split()),
                budget,
                deadline,
                town_id,
                row["enterprise"],
                published_at,
                status,
            )
        )
    return clean, errors


def _enterprises(rows: list[CleanRow], report: ImportReport) -> dict[str, int]:
    names = {r.enterprise for r in rows}
    known = (
        dict(
            db.session.execute(
                select(Organization.name, Organization.id).where(Organization.name.in_(names))
            ).all()
        )
        if len(names) < 30000
        else dict(db.session.execute(select(Organization.name, Organization.id)).all())
    )
    town_of: dict[str, int] = {}
    for r in rows:  # a new enterprise takes the town of its first row
        town_of.setdefault(r.enterprise, r.town_id)
    new = [n for n in names if n not in known]
    if new:
        now = utcnow()
        db.session.execute(
            insert(Organization),
            [
                {
                    "name": n,
                    "kind": OrgKind.enterprise,
                    "status": OrgStatus.verified,
                    "town_id": town_of[n],
                    "verified_at": now,
                    "created_at": now,
                    "contact_name": "",
                    "contact_phone": "",
                }
                for n in new
            ],
        )
        known.update(
            db.session.execute(
                select(Organization.name, Organization.id).where(Organization.name.in_(new))
            ).all()
        )
        record_many(
            [
                {
                    "action": "organization.create",
                    "object_type": "organization",
                    "object_id": known[n],
                    "to_state": "verified",
                    "details": {"via": "import"},
                }
                for n in new
            ]
        )
        report.organizations_created = len(new)
    return known


def import_needs(
    path: str, *, publish: bool = False, actor: Any = None, show_progress: bool = True
) -> ImportReport:
    """Validate the whole file, then write it in bulk; the caller commits."""
    report = ImportReport()
    from matchmaking.tabular import count_rows

    total = count_rows(path)
    bar = tqdm(
        total=total,
        desc="校验",
        unit="行",
        file=sys.stderr,
        disable=not show_progress or (total is not None and total < 2000),
    )
    clean, errors = validate(read_rows(path), publish=publish, progress=bar)
    bar.close()
    if errors:
        report.errors = errors
        return report
    orgs = _enterprises(clean, report)
    existing = dict(db.session.execute(select(Need.ref, Need.id)).all()) if clean else {}
    now = utcnow()
    inserts, updates, audit_rows, touched = [], [], [], []
    bar = tqdm(
        total=len(clean),
        desc="导入",
        unit="条",
        file=sys.stderr,
        disable=not show_progress or len(clean) < 2000,
    )
    for row in clean:
        public = row.status in PUBLIC_STATUSES
        first_published = row.published_at or (now if public else None)
        values = {
            "title": row.title,
            "background": row.description,
            "industry_id": row.industry_id,
            "transformation": row.transformation,
            "keywords": row.keywords,
            "budget_wan": row.budget_wan,
            "deadline": row.deadline,
            "town_id": row.town_id,
            "organization_id": orgs[row.enterprise],
            "status": row.status,
            "updated_at": now,
        }
        if row.ref in existing:
            values |= {"b_id": existing[row.ref]}
            if row.published_at or public:
                values["first_published_at"] = first_published
            updates.append(values)
        else:
            inserts.append(
                values
                | {
                    "ref": row.ref,
                    "created_at": now,
                    "version": 1,
                    "first_published_at": first_published,
                    "submitted_at": now,
                    "difficulty": "",
                    "indicators": "",
                    "expected_outcome": "",
                    "ip_terms": "",
                    "confidential": "",
                }
            )
        bar.update(1)
    for start in range(0, len(inserts), BATCH):
        db.session.execute(insert(Need), inserts[start : start + BATCH])
    _bulk_update(updates)
    bar.close()
    ids = dict(db.session.execute(select(Need.ref, Need.id)).all())
    for row in clean:
        need_id = ids[row.ref]
        created = row.ref not in existing
        audit_rows.append(
            {
                "action": "need.import",
                "object_type": "need",
                "object_id": need_id,
                "to_state": row.status.value,
                "details": {"ref": row.ref, "created": created, "published_at": row.published_at},
            }
        )
        touched.append({"need_id": need_id, "created_at": now})
    record_many(audit_rows, actor=actor)
    for start in range(0, len(touched), BATCH):
        db.session.execute(insert(SearchOutbox), touched[start : start + BATCH])
    note_bulk_outbox(db.session())
    report.created = len(inserts)
    report.updated = len(updates)
    record(
        "needs.import",
        actor=actor,
        details={
            "path": path.rsplit("/", 1)[-1],
            "created": report.created,
            "updated": report.updated,
            "publish": publish,
        },
    )
    return report


def _bulk_update(updates: list[dict[str, Any]]) -> None:
    # Group by the set of columns so one executemany covers each shape.
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        shapes.setdefault(tuple(sorted(u)), []).append(u)
    table = Need.__table__
    for keys, group in shapes.items():
        cols: dict[str, Any] = {
            k: bindparam("b_" + k, type_=table.c[k].type) for k in keys if k != "b_id"
        }
        cols["version"] = table.c.version + 1
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(**cols)
        params = [{("b_" + k if k != "b_id" else k): v for k, v in u.items()} for u in group]
        for start in range(0, len(params), BATCH):
            db.session.execute(stmt, params[start : start + BATCH])
