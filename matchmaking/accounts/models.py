"""Organizations (单位), users and API tokens."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaking.extensions import db
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    enterprise = "enterprise"
    university = "university"
    institute = "institute"
    bureau = "bureau"

    @property
    def label(self) -> str:
        return {
            "enterprise": "企业",
            "university": "高校",
            "institute": "科研院所",
            "bureau": "科技局",
        }[self.value]

    @property
    def is_solver(self) -> bool:
        return self in (OrgKind.university, OrgKind.institute)


class OrgStatus(enum.StrEnum):
    unverified = "unverified"
    verified = "verified"
    rejected = "rejected"

    @property
    def label(self) -> str:
        return {"unverified": "待审核", "verified": "已认证", "rejected": "已驳回"}[self.value]


class Role(enum.StrEnum):
    enterprise = "enterprise"
    solver = "solver"
    bureau = "bureau"

    @property
    def label(self) -> str:
        return {"enterprise": "企业用户", "solver": "揭榜方用户", "bureau": "科技局用户"}[
            self.value
        ]

    @classmethod
    def for_kind(cls, kind: OrgKind) -> Role:
        if kind is OrgKind.enterprise:
            return cls.enterprise
        if kind is OrgKind.bureau:
            return cls.bureau
        return cls.solver


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Stored as strings with a CHECK constraint: portable between SQLite and PostgreSQL.
    return Enum(
        e,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda x: [m.value for m in x],
    )


organization_industries = Table(
    "organization_industries",
    db.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("industry_id", ForeignKey("industries.id"), primary_key=True),
)


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    status: Mapped[OrgStatus] = mapped_column(
        _enum(OrgStatus, "org_status"), default=OrgStatus.unverified
    )
    reject_reason: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town | None] = relationship()
    industries: Mapped[list[Industry]] = relationship(secondary=organization_industries)
    users: Mapped[list[User]] = relationship(back_populates="organization")

    @property
    def is_verified(self) -> bool:
        return self.status is OrgStatus.verified

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("failed_logins >= 0", name="failed_logins_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Security state shared by every worker (lockout, session invalidation, second factor).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    organization: Mapped[Organization] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The session version makes logout and password changes revoke every old cookie.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_bureau(self) -> bool:
        return self.role is Role.bureau

    @property
    def is_enterprise(self) -> bool:
        return self.role is Role.enterprise

    @property
    def is_solver(self) -> bool:
        return self.role is Role.solver

    @property
    def org_verified(self) -> bool:
        return self.organization.is_verified

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for machine clients; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
