"""Factories as plain callables. They go through the services where a rule applies, and
commit, so tests see what a real request would."""

from __future__ import annotations

import functools
import itertools
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy import update as sa_update
from werkzeug.security import generate_password_hash

from matchmaking.accounts import uscc
from matchmaking.accounts.models import Organization, OrgKind, OrgStatus, Role, User
from matchmaking.extensions import db
from matchmaking.needs import services as need_services
from matchmaking.needs.models import Need, NeedStatus, Transformation
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import today

PASSWORD = "Tongxiang-2026-揭榜!"
# Bureau users sign in with a second factor; test users share this TOTP secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # Hash once per session: scrypt is deliberately slow.
    return generate_password_hash(PASSWORD, method="scrypt")


def industry(name: str = "化纤") -> Industry:
    return db.session.execute(select(Industry).where(Industry.name == name)).scalar_one()


def town(name: str = "洲泉镇") -> Town:
    return db.session.execute(select(Town).where(Town.name == name)).scalar_one()


def organization(
    kind: str = "enterprise",
    *,
    name: str | None = None,
    verified: bool = True,
    town_name: str = "洲泉镇",
) -> Organization:
    n = next(_counter)
    org = Organization(
        name=name or f"测试单位{n}",
        kind=OrgKind(kind),
        uscc=uscc.make(f"91330483MA2C{n:05d}"),
        town=town(town_name) if kind == "enterprise" else None,
        contact_name="王工",
        contact_phone="13800001234",
        status=OrgStatus.verified if verified else OrgStatus.unverified,
    )
    db.session.add(org)
    db.session.commit()
    return org


def user(
    kind: str = "enterprise",
    *,
    org: Organization | None = None,
    verified: bool = True,
    org_name: str | None = None,
    email: str | None = None,
) -> User:
    org = org or organization(kind, name=org_name, verified=verified)
    n = next(_counter)
    u = User(
        email=email or f"user{n}@example.cn",
        name=f"用户{n}",
        role=Role.for_kind(org.kind),
        organization=org,
        password_hash=_password_hash(),
        totp_secret=TOTP_SECRET if org.kind is OrgKind.bureau else None,
    )
    db.session.add(u)
    db.session.commit()
    return u


def need_data(**overrides) -> need_services.NeedData:
    values = dict(
        title="涤纶长丝断头在线检测",
        background="熔体直纺生产线断头依靠人工巡检。",
        difficulty="高速丝束断头瞬间难以捕捉。",
        indicators="识别准确率≥98%。",
        expected_outcome="形成可推广的检测系统。",
        budget_wan=Decimal("50"),
        deadline=today() + timedelta(days=30),
        industry_id=industry().id,
        transformation=Transformation.digital,
        keywords="断头 检测",
        ip_terms="双方共有",
        confidential="CANARY-机密-7f3a 工艺参数",
    )
    values.update(overrides)
    return need_services.NeedData(**values)


def need(owner: User, status: str = "draft", *, bureau: User | None = None, **overrides) -> Need:
    """A need brought to ``status`` through the real services."""
    n = need_services.create_need(owner, need_data(**overrides))
    target = NeedStatus(status)
    if target is not NeedStatus.draft:
        need_services.submit_need(n, owner)
    if target in (NeedStatus.returned, NeedStatus.published, NeedStatus.closed, NeedStatus.lapsed):
        reviewer = bureau or user("bureau")
        if target is NeedStatus.returned:
            need_services.return_need(n, reviewer, "请补充指标")
        else:
            need_services.publish_need(n, reviewer)
    if target in (NeedStatus.closed, NeedStatus.lapsed):
        n.deadline = today() - timedelta(days=1)
        need_services.ensure_current(n)
        if target is NeedStatus.lapsed:
            need_services.lapse_need(n)
    if target is NeedStatus.withdrawn:
        need_services.withdraw_need(n, owner)
    db.session.commit()
    return n


def sign_in(client, user, password: str = PASSWORD):
    """Sign ``client`` in as ``user`` through the real pages (password, then TOTP if any)."""
    import pyotp

    response = client.post("/login", data={"email": user.email, "password": password})
    if response.status_code == 302 and "/login/totp" in response.headers["Location"]:
        # A new code step for each sign-in: the same code is accepted only once.
        db.session.execute(sa_update(User).where(User.id == user.id).values(totp_last_step=None))
        db.session.commit()
        response = client.post(
            "/login/totp", data={"code": pyotp.TOTP(user.totp_secret or TOTP_SECRET).now()}
        )
    return response
