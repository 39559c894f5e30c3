"""The audit log: append-only, each row chained to the previous by a SHA-256 hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matchmaking.extensions import db
from matchmaking.timeutil import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # The bureau searches the log by object (need 12, user 5, ...).
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: the log outlives
    actor_email: Mapped[str | None] = mapped_column(String(254))
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    details: Mapped[str | None] = mapped_column(Text)  # JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    HASHED_FIELDS = (
        "created_at",
        "actor_id",
        "actor_email",
        "actor_org_id",
        "actor_role",
        "ip",
        "request_id",
        "action",
        "object_type",
        "object_id",
        "from_state",
        "to_state",
        "reason",
        "outcome",
        "details",
    )

    def compute_hash(self) -> str:
        payload = {f: getattr(self, f) for f in self.HASHED_FIELDS}
        payload["created_at"] = self.created_at.isoformat(timespec="microseconds")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()
