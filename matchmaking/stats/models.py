"""Targets (目标任务): planned cumulative counts per plan, metric and year."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaking.accounts.models import _enum
from matchmaking.extensions import db


class Metric(enum.StrEnum):
    posted = "posted"
    matched = "matched"
    converted = "converted"

    @property
    def label(self) -> str:
        return {"posted": "发榜数", "matched": "对接数", "converted": "转化数"}[self.value]


class Target(db.Model):
    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("plan", "metric", "year", name="uq_targets_plan_metric_year"),
        CheckConstraint("value >= 0", name="value_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan: Mapped[str] = mapped_column(String(60))
    plan_start_year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[Metric] = mapped_column(_enum(Metric, "metric"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)  # cumulative from plan_start_year
