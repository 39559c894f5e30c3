"""Reference data: industries and towns, seeded from the policy and edited by the bureau."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaking.extensions import db


class Industry(db.Model):
    __tablename__ = "industries"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Industry {self.name}>"


class Town(db.Model):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Town {self.name}>"


# The local industries named in the policy (桐政办发〔2022〕63号) and DESIGN.md.
SEED_INDUSTRIES = [
    "毛衫服装",
    "化纤",
    "玻纤",
    "纺织印染",
    "汽车汽配",
    "新材料",
    "化工",
    "建材",
    "装备制造",
    "电子信息",
    "生物医药",
    "其他",
]
# Tongxiang's towns and sub-districts (镇、街道).
SEED_TOWNS = [
    "梧桐街道",
    "凤鸣街道",
    "龙翔街道",
    "高桥街道",
    "濮院镇",
    "屠甸镇",
    "洲泉镇",
    "大麻镇",
    "崇福镇",
    "河山镇",
    "乌镇镇",
    "石门镇",
]
