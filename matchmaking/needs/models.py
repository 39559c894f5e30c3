"""Technology needs (技术需求 / 榜) and their life cycle."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    case,
    literal,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaking.accounts.models import Organization, User, _enum
from matchmaking.extensions import db
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import UTCDateTime, today, utcnow


class NeedStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    published = "published"
    closed = "closed"
    matched = "matched"
    converted = "converted"
    lapsed = "lapsed"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_public(self) -> bool:
        return self in PUBLIC_STATUSES


STATUS_LABELS = {
    NeedStatus.draft: "草稿",
    NeedStatus.submitted: "待审核",
    NeedStatus.returned: "已退回",
    NeedStatus.published: "征集中",
    NeedStatus.closed: "已截止",
    NeedStatus.matched: "已对接",
    NeedStatus.converted: "已转化",
    NeedStatus.lapsed: "流榜",
    NeedStatus.withdrawn: "已撤回",
}

# States in which a need stands on the public board (its public fields only).
PUBLIC_STATUSES = frozenset(
    {
        NeedStatus.published,
        NeedStatus.closed,
        NeedStatus.matched,
        NeedStatus.converted,
        NeedStatus.lapsed,
    }
)


class Transformation(enum.StrEnum):
    digital = "digital"
    green = "green"

    @property
    def label(self) -> str:
        return {"digital": "数字化", "green": "绿色化"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Transformation | None:
        text = (text or "").strip()
        for member in cls:
            if text in (member.value, member.label, member.label[:2]):
                return member
        return None


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint("budget_wan IS NULL OR budget_wan >= 0", name="budget_nonneg"),
        # A need that was ever on the board has the time it was first published.
        CheckConstraint(
            "status IN ('draft','submitted','returned','withdrawn') "
            "OR first_published_at IS NOT NULL",
            name="public_has_published_at",
        ),
        CheckConstraint(
            "status <> 'returned' OR return_reason IS NOT NULL", name="returned_has_reason"
        ),
        Index("ix_needs_status_deadline", "status", "deadline"),
        Index("ix_needs_first_published_at", "first_published_at"),
        # For the bureau's dashboard (migration 0004): counts by publication and breakdowns
        # answered from the index alone, and the 流榜-risk list.
        Index(
            "ix_needs_stats_published",
            "first_published_at",
            "industry_id",
            "town_id",
            "transformation",
        ),
        Index("ix_needs_stats_status_published", "status", "first_published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    background: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[str] = mapped_column(Text, default="")
    expected_outcome: Mapped[str] = mapped_column(Text, default="")
    budget_wan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # None = 面议
    deadline: Mapped[date] = mapped_column(Date)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    transformation: Mapped[Transformation] = mapped_column(_enum(Transformation, "transformation"))
    keywords: Mapped[str] = mapped_column(String(200), default="")
    ip_terms: Mapped[str] = mapped_column(Text, default="")
    confidential: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NeedStatus] = mapped_column(
        _enum(NeedStatus, "need_status"), default=NeedStatus.draft
    )
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    industry: Mapped[Industry] = relationship()
    town: Mapped[Town | None] = relationship()

    # -- the deadline is enforced on every read: a published need past its deadline is closed,
    # whether or not the closing job has run yet.
    @hybrid_method
    def effective_status_on(self, day: date) -> NeedStatus:
        if self.status is NeedStatus.published and self.deadline < day:
            return NeedStatus.closed
        return self.status

    @effective_status_on.expression
    def effective_status_on(cls, day: date):  # noqa: N805
        return case(
            (
                and_(cls.status == NeedStatus.published, cls.deadline < day),
                literal(NeedStatus.closed.value),
            ),
            else_=cls.status,
        )

    @property
    def effective_status(self) -> NeedStatus:
        return NeedStatus(self.effective_status_on(today()))

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_open_for_bids(self) -> bool:
        return self.effective_status is NeedStatus.published

    @property
    def budget_label(self) -> str:
        if self.budget_wan is None:
            return "面议"
        return f"{self.budget_wan.normalize():f} 万元"

    # -- object permissions, used by views and templates alike (deny by default)
    def is_owned_by(self, user: User | None) -> bool:
        return bool(
            user
            and user.is_authenticated
            and user.organization_id == self.organization_id
            and user.is_enterprise
        )

    def can_view(self, user: User | None) -> bool:
        """Whether the user may see the need at all (public part or more)."""
        if self.is_public:
            return True
        return self.is_owned_by(user) or bool(user and user.is_authenticated and user.is_bureau)

    def can_view_confidential(self, user: User | None) -> bool:
        return self.is_owned_by(user) or bool(user and user.is_authenticated and user.is_bureau)

    def can_edit(self, user: User | None) -> bool:
        return self.is_owned_by(user) and self.status in EDITABLE_STATUSES

    def __repr__(self) -> str:
        return f"<Need {self.ref} {self.status}>"


EDITABLE_STATUSES = frozenset({NeedStatus.draft, NeedStatus.returned, NeedStatus.published})
