"""Writing and verifying the audit log.

``record`` adds an event to the current transaction, so the event and the action it
describes commit or roll back together: if auditing fails, the action fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select, text

from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from matchmaking.timeutil import utcnow

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


def _clean(value: str | None, limit: int = 2000) -> str | None:
    # CR/LF and other control characters are encoded so one event is one line in any export.
    if value is None:
        return None
    value = value[:limit]
    return "".join(c if c >= " " or c == "\t" else f"\\x{ord(c):02x}" for c in value)


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
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
        if details
        else None,
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
    """Yield every place where the chain is broken (edited, deleted or reordered rows)."""
    if events is None:
        events = db.session.execute(
            select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
        ).scalars()
    prev = None
    for event in events:
        if prev is not None and event.prev_hash != prev:
            yield ChainProblem(event.id, "前一条记录的哈希不符（记录被删除或篡改）")
        if event.compute_hash() != event.hash:
            yield ChainProblem(event.id, "记录内容与哈希不符（记录被篡改）")
        prev = event.hash


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
            created_at=now, actor_id=actor.id if actor_ok else None,
            actor_email=actor.email if actor_ok else None,
            actor_org_id=actor.organization_id if actor_ok else None,
            actor_role=str(actor.role) if actor_ok else None, ip=ip, request_id=request_id,
            action=row["action"], object_type=row.get("object_type"),
            object_id=row.get("object_id"), from_state=row.get("from_state"),
            to_state=row.get("to_state"), reason=_clean(row.get("reason")),
            outcome=row.get("outcome", "success"),
            details=json.dumps(row["details"], ensure_ascii=False, sort_keys=True, default=str)
            if row.get("details") else None,
            prev_hash=prev,
        )
        event.hash = event.compute_hash()
        prev = event.hash
        batch.append({c: getattr(event, c) for c in AuditEvent.HASHED_FIELDS}
                     | {"prev_hash": event.prev_hash, "hash": event.hash})
        if len(batch) >= 5000:
            db.session.execute(AuditEvent.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(AuditEvent.__table__.insert(), batch)
