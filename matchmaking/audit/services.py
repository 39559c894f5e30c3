"""Writing and verifying the audit log.

``record`` adds an event to the current transaction, so the event and the action it
describes commit or roll back together: if auditing fails, the action fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import Select, delete, func, select, text

from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from matchmaking.timeutil import LOCAL_TZ, utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_414_211


def _request_facts() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, getattr(g, "request_id", None) if g else None
    return request.remote_addr, getattr(g, "request_id", None)


def _last_hash() -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = db.session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    return last or GENESIS_HASH


_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_personal(value: str) -> str:
    """Mobile numbers 138****1234 and ID numbers 110101********1234: never raw in the log."""
    value = _MOBILE.sub(r"\1****\2", value)
    return _ID_NUMBER.sub(r"\1********\2", value)


def _clean(value: str | None, limit: int = 2000) -> str | None:
    # CR/LF and other control characters are encoded so one event is one line in any export.
    if value is None:
        return None
    value = mask_personal(value[:limit])
    return "".join(c if c >= " " or c == "\t" else f"\\x{ord(c):02x}" for c in value)


def _details(details: dict[str, Any] | None) -> str | None:
    if not details:
        return None
    body = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
    return mask_personal(body)


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction (not committed here)."""
    ip, request_id = _request_facts()
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor.id if actor_ok else None,
        actor_email=actor.email if actor_ok else None,
        actor_org_id=actor.organization_id if actor_ok else None,
        actor_role=str(actor.role) if actor_ok else None,
        ip=ip,
        request_id=request_id,
        action=action,
        object_type=object_type or (obj.__class__.__name__.lower() if obj is not None else None),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        from_state=str(from_state) if from_state is not None else None,
        to_state=str(to_state) if to_state is not None else None,
        reason=_clean(reason),
        outcome=outcome,
        details=_details(details),
    )
    event.prev_hash = _last_hash()
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush([event])
    return event


@dataclass
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(events: Iterable[AuditEvent] | None = None) -> Iterator[ChainProblem]:
    """Yield every place where the chain is broken (edited, deleted or reordered rows).

    After a purge the first remaining row points at a deleted one; that is accepted only if
    an ``audit.purge`` event recorded exactly that hash as its anchor, so removing the oldest
    rows any other way is still detected.
    """
    anchors = _purge_anchors()
    if events is None:
        events = db.session.execute(
            select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
        ).scalars()
    prev = None
    for event in events:
        if prev is None:
            if event.prev_hash != GENESIS_HASH and event.prev_hash not in anchors:
                yield ChainProblem(event.id, "第一条记录之前的记录被删除（且不是经审批的清理）")
        elif event.prev_hash != prev:
            yield ChainProblem(event.id, "前一条记录的哈希不符（记录被删除或篡改）")
        if event.compute_hash() != event.hash:
            yield ChainProblem(event.id, "记录内容与哈希不符（记录被篡改）")
        prev = event.hash


def _purge_anchors() -> set[str]:
    rows = db.session.execute(
        select(AuditEvent.details).where(AuditEvent.action == "audit.purge")
    ).scalars()
    anchors = set()
    for raw in rows:
        try:
            anchor = json.loads(raw or "{}").get("anchor")
        except ValueError:
            continue
        if anchor:
            anchors.add(anchor)
    return anchors


class RetentionError(Exception):
    """A purge would delete rows younger than the retention period."""


def purge(older_than_days: int, *, retention_days: int) -> int:
    """Delete events older than ``older_than_days`` (never fewer than ``retention_days``).

    Runs in the caller's transaction and records an ``audit.purge`` event whose anchor is the
    hash of the last deleted row, so ``verify_chain`` still checks the rest of the chain. On
    PostgreSQL the append-only trigger lets the DELETE through only inside this transaction
    (``matchmaking.audit_purge``) and only for rows older than 184 days. Returns the count.
    """
    if older_than_days < retention_days:
        raise RetentionError(
            f"审计日志至少保留 {retention_days} 天，不能清理 {older_than_days} 天以内的记录"
        )
    cutoff = utcnow() - timedelta(days=older_than_days)
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash)
        .where(AuditEvent.created_at < cutoff)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL matchmaking.audit_purge = 'on'"))
    # By id, not by time alone: the chain is ordered by id, and a gap in the middle would break it.
    count = db.session.execute(delete(AuditEvent).where(AuditEvent.id <= last.id)).rowcount
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL matchmaking.audit_purge = 'off'"))
    record(
        "audit.purge",
        details={
            "deleted": count,
            "up_to_id": last.id,
            "anchor": last.hash,
            "older_than_days": older_than_days,
        },
    )
    return count


@dataclass
class AuditFilters:
    """The bureau's search over the log; every field optional, all combined with AND."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    outcome: str = ""
    ip: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> AuditFilters:
        f = cls(
            actor=_arg(args, "actor", 254),
            action=_arg(args, "action", 60),
            object_type=_arg(args, "object_type", 30),
            outcome=_arg(args, "outcome", 20),
            ip=_arg(args, "ip", 45),
        )
        raw_id = _arg(args, "object_id", 10)
        if raw_id:
            if raw_id.isdigit():
                f.object_id = int(raw_id)
            else:
                f.errors.append("对象编号应为数字")
        for name in ("date_from", "date_to"):
            raw = _arg(args, name, 10)
            if raw:
                try:
                    setattr(f, name, date.fromisoformat(raw))
                except ValueError:
                    f.errors.append("日期格式应为 YYYY-MM-DD")
        return f

    def as_args(self) -> dict[str, str]:
        out = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "outcome": self.outcome,
            "ip": self.ip,
            "object_id": str(self.object_id) if self.object_id is not None else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in out.items() if v}


def _arg(args: Any, name: str, limit: int) -> str:
    return str(args.get(name, "") or "").strip()[:limit]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _local_midnight_utc(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=LOCAL_TZ)


def search_select(f: AuditFilters) -> Select:
    """Parameterised query for the filters (LIKE wildcards in the input are escaped)."""
    q = select(AuditEvent)
    if f.actor:
        q = q.where(
            func.lower(AuditEvent.actor_email).like(
                f"%{_escape_like(f.actor.lower())}%", escape="\\"
            )
        )
    if f.action:
        q = q.where(AuditEvent.action.like(f"{_escape_like(f.action)}%", escape="\\"))
    if f.object_type:
        q = q.where(AuditEvent.object_type == f.object_type)
    if f.object_id is not None:
        q = q.where(AuditEvent.object_id == f.object_id)
    if f.outcome:
        q = q.where(AuditEvent.outcome == f.outcome)
    if f.ip:
        q = q.where(AuditEvent.ip == f.ip)
    # Dates are Beijing calendar days, as the bureau reads them.
    if f.date_from:
        q = q.where(AuditEvent.created_at >= _local_midnight_utc(f.date_from))
    if f.date_to:
        q = q.where(AuditEvent.created_at < _local_midnight_utc(f.date_to + timedelta(days=1)))
    return q.order_by(AuditEvent.id.desc())


def distinct_values(column: Any) -> list[str]:
    return [
        v
        for v in db.session.execute(
            select(column).distinct().where(column.is_not(None)).order_by(column)
        ).scalars()
        if v
    ]


def record_many(rows: list[dict[str, Any]], *, actor: Any = None) -> None:
    """Append many events at once (imports): one chain, one bulk INSERT per batch.

    Each row gives action, object_type, object_id and optionally from_state, to_state,
    reason, details. The chain is computed here exactly as ``record`` would.
    """
    if not rows:
        return
    ip, request_id = _request_facts()
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    prev = _last_hash()
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for row in rows:
        event = AuditEvent(
            created_at=now,
            actor_id=actor.id if actor_ok else None,
            actor_email=actor.email if actor_ok else None,
            actor_org_id=actor.organization_id if actor_ok else None,
            actor_role=str(actor.role) if actor_ok else None,
            ip=ip,
            request_id=request_id,
            action=row["action"],
            object_type=row.get("object_type"),
            object_id=row.get("object_id"),
            from_state=row.get("from_state"),
            to_state=row.get("to_state"),
            reason=_clean(row.get("reason")),
            outcome=row.get("outcome", "success"),
            details=_details(row.get("details")),
            prev_hash=prev,
        )
        event.hash = event.compute_hash()
        prev = event.hash
        batch.append(
            {c: getattr(event, c) for c in AuditEvent.HASHED_FIELDS}
            | {"prev_hash": event.prev_hash, "hash": event.hash}
        )
        if len(batch) >= 5000:
            db.session.execute(AuditEvent.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(AuditEvent.__table__.insert(), batch)
