"""`flask matches import`: load the history of matches (the 2022–2025 records).

Columns: need_ref, solver, solver_kind, accepted_at, signed_at, contract_amount_wan,
converted_at, terminated_at (dates YYYY-MM-DD). ``need_ref`` names an existing Need.ref.

All or nothing: every row is validated first; if any row is bad the report names each bad
row (line and field) and nothing is written. Imported matches have no bid (``bid_id`` NULL);
their state follows from the dates:

- converted_at → ``converted`` with ``completed_on`` = that date and ``confirmed_at`` = the
  import time (the bureau loading its own records is the confirmation);
- terminated_at → ``terminated`` (``signed_on`` kept if there was a signing);
- signed_at → ``signed``; otherwise ``negotiating``.

The need follows (matched when signed, converted when converted), so the counting rules
count the imported history exactly like live records. Re-importing the same need and solver
updates that imported match instead of adding another. Solvers unknown so far are created
as verified organizations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from matchmaking.accounts.models import Organization, OrgKind, OrgStatus
from matchmaking.audit.services import record
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs import services as need_services
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.tabular import RowError, checked_rows, read_rows
from matchmaking.timeutil import LOCAL_TZ, local, today, utcnow

REQUIRED = ("need_ref", "solver", "solver_kind")
KNOWN = (
    *REQUIRED,
    "accepted_at",
    "signed_at",
    "contract_amount_wan",
    "converted_at",
    "terminated_at",
)
KINDS = {
    "university": OrgKind.university,
    "高校": OrgKind.university,
    "institute": OrgKind.institute,
    "科研院所": OrgKind.institute,
    "研究院": OrgKind.institute,
}
IMPORTABLE_NEED_STATUSES = frozenset(
    {
        NeedStatus.published,
        NeedStatus.closed,
        NeedStatus.matched,
        NeedStatus.converted,
        NeedStatus.lapsed,
    }
)


@dataclass
class MatchRow:
    line: int
    need_id: int
    solver: str
    kind: OrgKind
    accepted_on: date | None
    signed_on: date | None
    amount: Decimal | None
    converted_on: date | None
    terminated_on: date | None

    @property
    def status(self) -> MatchStatus:
        if self.converted_on:
            return MatchStatus.converted
        if self.terminated_on:
            return MatchStatus.terminated
        if self.signed_on:
            return MatchStatus.signed
        return MatchStatus.negotiating


@dataclass
class MatchImportReport:
    created: int = 0
    updated: int = 0
    organizations_created: int = 0
    needs_matched: int = 0
    needs_converted: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _at(day: date) -> datetime:
    """A calendar date of the history as a UTC time (09:00 Beijing)."""
    return datetime.combine(day, time(9, 0), LOCAL_TZ).astimezone(UTC)


def validate(rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[list[MatchRow], list[RowError]]:
    needs = {
        ref: (nid, status, published)
        for ref, nid, status, published in db.session.execute(
            select(Need.ref, Need.id, Need.status, Need.first_published_at)
        )
    }
    orgs = {
        name: kind
        for name, kind in db.session.execute(select(Organization.name, Organization.kind))
    }
    on = today()
    clean: list[MatchRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    any_rows = False
    for line, row, bad in checked_rows(rows, REQUIRED, errors):
        any_rows = True
        fail = bad.add
        ref = row.get("need_ref", "")
        need = needs.get(ref)
        if not ref:
            fail("need_ref", "需求编号不能为空")
        elif need is None:
            fail("need_ref", f"未知需求编号“{ref}”")
        elif need[1] not in IMPORTABLE_NEED_STATUSES:
            fail("need_ref", f"需求“{ref}”状态为{need[1].label}，不能导入对接记录")
        solver = row.get("solver", "")
        if not solver:
            fail("solver", "揭榜单位不能为空")
        elif len(solver) > 100:
            fail("solver", "揭榜单位名称超过 100 个字符")
        kind = KINDS.get(row.get("solver_kind", ""))
        if kind is None:
            fail("solver_kind", "单位类型须为 university/institute（高校/科研院所）")
        elif solver in orgs and not orgs[solver].is_solver:
            fail("solver", f"“{solver}”已登记为{orgs[solver].label}，不是高校或科研院所")
        if ref and solver:
            if (ref, solver) in seen:
                fail("solver", f"与第 {seen[(ref, solver)]} 行重复（同一需求、同一揭榜单位）")
            else:
                seen[(ref, solver)] = line

        dates: dict[str, date | None] = {}
        for name in ("accepted_at", "signed_at", "converted_at", "terminated_at"):
            raw = row.get(name, "")
            dates[name] = None
            if raw:
                try:
                    dates[name] = date.fromisoformat(raw[:10])
                except ValueError:
                    fail(name, f"日期“{raw}”无效，应为 YYYY-MM-DD")
                    continue
                if dates[name] > on:
                    fail(name, "日期不能晚于今天")
        accepted, signed = dates["accepted_at"], dates["signed_at"]
        converted, terminated = dates["converted_at"], dates["terminated_at"]
        if converted and not signed:
            fail("converted_at", "有转化日期的记录须同时提供签约日期 signed_at")
        if converted and terminated:
            fail("terminated_at", "同一记录不能既已转化又已终止")
        if accepted and signed and signed < accepted:
            fail("signed_at", "签约日期早于选中日期 accepted_at")
        if signed and converted and converted < signed:
            fail("converted_at", "转化日期早于签约日期")
        if terminated and (signed or accepted) and terminated < (signed or accepted):
            fail("terminated_at", "终止日期早于签约（或选中）日期")
        if need is not None and need[2] is not None and (accepted or signed):
            published = local(need[2]).date()
            if (accepted or signed) < published:
                fail(
                    "accepted_at" if accepted else "signed_at",
                    f"早于需求发布日期 {published.isoformat()}",
                )
        amount: Decimal | None = None
        raw_amount = row.get("contract_amount_wan", "").replace(",", "")
        if raw_amount:
            try:
                amount = Decimal(raw_amount)
                if not amount.is_finite() or amount < 0 or amount > 1_000_000:
                    raise InvalidOperation
            except InvalidOperation:
                fail("contract_amount_wan", f"合同金额“{raw_amount}”不是有效的非负数字")
        elif signed:
            fail("contract_amount_wan", "已签约的记录须提供合同金额（万元）")
        if bad:
            errors.extend(bad)
            continue
        clean.append(
            MatchRow(line, need[0], solver, kind, accepted, signed, amount, converted, terminated)
        )
    if not any_rows and not errors:
        errors.append(RowError(1, "-", "文件中没有数据行"))
    return clean, errors


def _solvers(rows: list[MatchRow], report: MatchImportReport) -> dict[str, int]:
    names = {r.solver for r in rows}
    known = dict(
        db.session.execute(
            select(Organization.name, Organization.id).where(Organization.name.in_(names))
        ).all()
    )
    now = utcnow()
    for row in rows:
        if row.solver in known:
            continue
        org = Organization(
            name=row.solver,
            kind=row.kind,
            status=OrgStatus.verified,
            verified_at=now,
            contact_name="",
            contact_phone="",
        )
        db.session.add(org)
        db.session.flush([org])
        record(
            "organization.create", obj=org, to_state=org.status, details={"via": "matches import"}
        )
        known[row.solver] = org.id
        report.organizations_created += 1
    return known


def import_matches(path: str, *, actor: Any = None) -> MatchImportReport:
    """Validate the whole file, then write it; the caller commits (or rolls back)."""
    report = MatchImportReport()
    clean, errors = validate(read_rows(path))
    if errors:
        report.errors = errors
        return report
    orgs = _solvers(clean, report)
    now = utcnow()
    for row in clean:
        solver_id = orgs[row.solver]
        match = db.session.execute(
            select(Match).where(
                Match.need_id == row.need_id,
                Match.solver_org_id == solver_id,
                Match.bid_id.is_(None),
            )
        ).scalar_one_or_none()
        before = match.status if match else None
        if match is None:
            match = Match(need_id=row.need_id, solver_org_id=solver_id, bid_id=None)
            db.session.add(match)
            report.created += 1
        else:
            report.updated += 1
        status = row.status
        first = row.accepted_on or row.signed_on or row.terminated_on
        match.accepted_at = _at(first) if first else now
        match.created_at = match.created_at or now
        match.signed_on = row.signed_on
        match.contract_amount_wan = row.amount
        match.completed_on = row.converted_on
        match.result_summary = "历史记录导入" if row.converted_on else None
        match.conversion_recorded_at = now if row.converted_on else None
        match.confirmed_at = now if row.converted_on else None
        match.confirmed_by_id = actor.id if row.converted_on and actor is not None else None
        match.terminated_at = _at(row.terminated_on) if row.terminated_on else None
        match.termination_reason = "历史记录导入" if row.terminated_on else None
        match.status = status
        db.session.flush([match])
        record(
            "match.import",
            actor=actor,
            obj=match,
            from_state=before,
            to_state=status,
            details={"line": row.line, "path": path.rsplit("/", 1)[-1]},
        )
        need = db.session.get(Need, row.need_id)
        if status is MatchStatus.converted:
            was_matched = need.status in (NeedStatus.matched, NeedStatus.converted)
            if need_services.mark_converted(need, actor, match_id=match.id):
                report.needs_converted += 1
                report.needs_matched += 0 if was_matched else 1
        elif row.signed_on and need_services.mark_matched(need, actor, match_id=match.id):
            report.needs_matched += 1
    record(
        "matches.import",
        actor=actor,
        details={
            "path": path.rsplit("/", 1)[-1],
            "created": report.created,
            "updated": report.updated,
            "organizations_created": report.organizations_created,
        },
    )
    return report
