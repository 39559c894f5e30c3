"""Bids (揭榜申报) and clarifying questions on a need."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaking.accounts.models import Organization, User, _enum
from matchmaking.extensions import db
from matchmaking.needs.models import Need
from matchmaking.timeutil import UTCDateTime, utcnow


class BidStatus(enum.StrEnum):
    submitted = "submitted"
    shortlisted = "shortlisted"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "submitted": "已提交",
            "shortlisted": "入围",
            "accepted": "已选中",
            "declined": "未选中",
            "withdrawn": "已撤回",
        }[self.value]


# A bid is "live" while it can still become or is the chosen one.
LIVE_BID_STATUSES = (BidStatus.submitted, BidStatus.shortlisted, BidStatus.accepted)
_LIVE_SQL = "status IN ('submitted', 'shortlisted', 'accepted')"
# Waiting for the enterprise's decision: may still be edited (before the deadline) or withdrawn.
PENDING_BID_STATUSES = (BidStatus.submitted, BidStatus.shortlisted)


class Bid(db.Model):
    __tablename__ = "bids"
    __table_args__ = (
        # One live bid per solver organization per need, enforced by the database.
        # For the dashboard (migration 0004): "has a bid" and "first bid" per need.
        Index("ix_bids_stats_need_status_created", "need_id", "status", "created_at"),
        Index(
            "uq_bids_live_per_org",
            "need_id",
            "organization_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        CheckConstraint("duration_months > 0 AND duration_months <= 120", name="duration_range"),
        CheckConstraint("price_wan IS NULL OR price_wan >= 0", name="price_nonneg"),
        CheckConstraint("status <> 'declined' OR decided_at IS NOT NULL", name="declined_has_time"),
        CheckConstraint("status <> 'accepted' OR decided_at IS NOT NULL", name="accepted_has_time"),
        CheckConstraint(
            "status <> 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approach: Mapped[str] = mapped_column(Text)
    team_lead: Mapped[str] = mapped_column(String(50))
    team_members: Mapped[str] = mapped_column(Text, default="")
    duration_months: Mapped[int] = mapped_column(Integer)
    price_wan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # None = 面议
    prior_results: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(200))  # the uploader's name
    attachment_key: Mapped[str | None] = mapped_column(String(64))  # random stored name
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[BidStatus] = mapped_column(
        _enum(BidStatus, "bid_status"), default=BidStatus.submitted
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need] = relationship()
    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_BID_STATUSES

    @property
    def is_pending(self) -> bool:
        """Still waiting for the enterprise's decision."""
        return self.status in PENDING_BID_STATUSES

    @property
    def price_label(self) -> str:
        if self.price_wan is None:
            return "面议"
        return f"{self.price_wan.normalize():f} 万元"

    # -- object permissions (deny by default), used by views and templates alike
    def is_authored_by(self, user: User | None) -> bool:
        return bool(
            user
            and user.is_authenticated
            and user.is_solver
            and user.organization_id == self.organization_id
        )

    def can_view(self, user: User | None) -> bool:
        """Only the author organization, the need's enterprise and the bureau see a bid."""
        if not (user and user.is_authenticated):
            return False
        return self.is_authored_by(user) or self.need.is_owned_by(user) or user.is_bureau

    def can_edit(self, user: User | None) -> bool:
        return self.is_authored_by(user) and self.is_pending and self.need.is_open_for_bids

    def can_withdraw(self, user: User | None) -> bool:
        return self.is_authored_by(user) and self.is_pending

    def can_decide(self, user: User | None) -> bool:
        return self.need.is_owned_by(user) and self.is_pending


class Question(db.Model):
    """A solver's clarifying question; once answered it is shown publicly, without the asker."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need] = relationship()
    organization: Mapped[Organization] = relationship()

    @property
    def is_answered(self) -> bool:
        return self.answer is not None

    def can_view(self, user: User | None) -> bool:
        """Answered questions are public (without the asker); open ones are seen by the asker's
        organization, the need's enterprise and the bureau."""
        if self.is_answered and self.need.is_public:
            return True
        if not (user and user.is_authenticated):
            return False
        return (
            user.organization_id == self.organization_id
            or self.need.is_owned_by(user)
            or user.is_bureau
        )

    def can_answer(self, user: User | None) -> bool:
        return self.need.is_owned_by(user) and not self.is_answered
