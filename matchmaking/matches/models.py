"""Matches (对接记录): the cooperation that follows an accepted bid, to its conversion."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaking.accounts.models import Organization, User, _enum
from matchmaking.bids.models import Bid
from matchmaking.extensions import db
from matchmaking.needs.models import Need
from matchmaking.timeutil import UTCDateTime, utcnow


class MatchStatus(enum.StrEnum):
    negotiating = "negotiating"
    signed = "signed"
    converted = "converted"
    terminated = "terminated"

    @property
    def label(self) -> str:
        return {
            "negotiating": "洽谈中",
            "signed": "已签约",
            "converted": "已转化",
            "terminated": "已终止",
        }[self.value]


class Match(db.Model):
    """Counting rules (DESIGN.md) read two dates from here:

    - ``signed_on``: the contract date; a need counts as *matched* by its first signing date
      (also when that match was later terminated);
    - ``completed_on`` of a match in state ``converted`` (recorded by the enterprise and
      confirmed by the bureau): a need counts as *converted* by its first such date.
    """

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint(
            "status NOT IN ('signed', 'converted') OR signed_on IS NOT NULL", name="signed_has_date"
        ),
        CheckConstraint(
            "status <> 'converted' OR (completed_on IS NOT NULL AND confirmed_at IS NOT NULL)",
            name="converted_is_confirmed",
        ),
        CheckConstraint(
            "status <> 'terminated' OR terminated_at IS NOT NULL", name="terminated_has_time"
        ),
        CheckConstraint(
            "conversion_recorded_at IS NULL OR completed_on IS NOT NULL",
            name="recorded_conversion_has_date",
        ),
        CheckConstraint(
            "contract_amount_wan IS NULL OR contract_amount_wan >= 0", name="amount_nonneg"
        ),
        Index("ix_matches_signed_on", "signed_on"),
        Index("ix_matches_status_completed_on", "status", "completed_on"),
        # For the dashboard (migration 0004): each need's first signing / conversion date.
        Index("ix_matches_stats_signed", "need_id", "signed_on", "status", "solver_org_id"),
        Index(
            "ix_matches_stats_completed",
            "need_id",
            "completed_on",
            "status",
            "confirmed_at",
            "solver_org_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"), unique=True)  # None: history
    solver_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[MatchStatus] = mapped_column(
        _enum(MatchStatus, "match_status"), default=MatchStatus.negotiating
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_on: Mapped[date | None] = mapped_column(Date)
    contract_amount_wan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    contract_reg_no: Mapped[str | None] = mapped_column(String(60))  # 技术合同登记号
    contract_file_name: Mapped[str | None] = mapped_column(String(200))
    contract_file_key: Mapped[str | None] = mapped_column(String(64))
    result_summary: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date | None] = mapped_column(Date)
    conversion_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The bureau's reason when it sent a recorded conversion back to the enterprise.
    conversion_return_reason: Mapped[str | None] = mapped_column(Text)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship()
    bid: Mapped[Bid | None] = relationship()
    solver: Mapped[Organization] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="match", order_by="Milestone.occurred_on", cascade="all, delete-orphan"
    )

    @property
    def is_in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def awaits_confirmation(self) -> bool:
        """The enterprise recorded the conversion; the bureau has not confirmed it yet."""
        return self.status is MatchStatus.signed and self.conversion_recorded_at is not None

    @property
    def amount_label(self) -> str:
        if self.contract_amount_wan is None:
            return "—"
        return f"{self.contract_amount_wan.normalize():f} 万元"

    # -- object permissions (deny by default), used by views and templates alike
    def is_party(self, user: User | None) -> bool:
        """The need's enterprise or the solver organization of this match."""
        if not (user and user.is_authenticated):
            return False
        return self.need.is_owned_by(user) or (
            user.is_solver and user.organization_id == self.solver_org_id
        )

    def can_view(self, user: User | None) -> bool:
        return self.is_party(user) or bool(user and user.is_authenticated and user.is_bureau)

    def can_manage(self, user: User | None) -> bool:
        """Signing and recording the conversion belong to the need's enterprise."""
        return self.need.is_owned_by(user)


# Milestones may be recorded and the match terminated while it is in one of these states.
IN_PROGRESS = frozenset({MatchStatus.negotiating, MatchStatus.signed})


class Milestone(db.Model):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    match: Mapped[Match] = relationship(back_populates="milestones")
