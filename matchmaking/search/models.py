"""The search outbox: index changes recorded in the same transaction as the data change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from matchmaking.extensions import db
from matchmaking.timeutil import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_pending", "applied_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
