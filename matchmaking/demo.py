"""`flask demo seed`: a living Tongxiang site for newcomers (never for production)."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from matchmaking.accounts import services as accounts
from matchmaking.accounts import uscc
from matchmaking.accounts.models import Organization, OrgKind, OrgStatus, Role, User
from matchmaking.demo_data import ENTERPRISES, NEEDS, SOLVERS
from matchmaking.extensions import db
from matchmaking.matches import demo as demo_matches
from matchmaking.needs import services as needs
from matchmaking.needs.models import Need, NeedStatus, Transformation
from matchmaking.reference import services as reference
from matchmaking.reference.models import Industry, Town
from matchmaking.timeutil import today

PEOPLE = [
    "陈科长",
    "王经理",
    "李经理",
    "张经理",
    "刘经理",
    "赵经理",
    "周经理",
    "吴经理",
    "郑经理",
    "孙经理",
    "钱经理",
    "沈教授",
    "朱教授",
    "徐老师",
    "马研究员",
    "胡研究员",
    "高经理",
]

demo_cli = AppGroup("demo", help="Demo data.")


def random_password() -> str:
    """A random 16-character password meeting the policy (all four character classes)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(14))
        pw = body + secrets.choice("!@#%&*") + secrets.choice(string.digits)
        if any(c.islower() for c in pw) and any(c.isupper() for c in pw):
            return pw


def _code(n: int) -> str:
    return uscc.make(f"91330483MA2B{n:05d}")


def seed() -> list[tuple[str, str, str]]:
    """Create the demo set; returns (role label, e-mail, password) for each account."""
    reference.seed()
    db.session.flush()
    towns = {t.name: t for t in db.session.execute(select(Town)).scalars()}
    industries = {i.name: i for i in db.session.execute(select(Industry)).scalars()}
    accounts_made: list[tuple[str, str, str]] = []

    def account(email: str, role: Role, org_name: str, kind: OrgKind, label: str) -> User:
        pw = random_password()
        # The person's name shown in the navigation: short, unlike the printed label.
        person = PEOPLE[len(accounts_made) % len(PEOPLE)]
        user = accounts.create_user(
            email=email, password=pw, role=role, org_name=org_name, kind=kind, name=person
        )
        accounts_made.append((label, email, pw))
        return user

    bureau = account(
        "bureau@demo.tongxiang", Role.bureau, "桐乡市科学技术局", OrgKind.bureau, "科技局管理员"
    )
    owners: list[User] = []
    for n, (name, town, industry) in enumerate(ENTERPRISES):
        user = account(
            f"enterprise{n + 1}@demo.tongxiang",
            Role.enterprise,
            name,
            OrgKind.enterprise,
            f"企业用户（{name}）",
        )
        org = user.organization
        org.uscc, org.town, org.industries = _code(n), towns[town], [industries[industry]]
        org.contact_name, org.contact_phone = "张经理", f"1380573{n:04d}"
        owners.append(user)
    solvers: list[User] = []
    for n, (name, kind) in enumerate(SOLVERS):
        user = account(
            f"solver{n + 1}@demo.tongxiang",
            Role.solver,
            name,
            OrgKind(kind),
            f"揭榜方用户（{name}）",
        )
        user.organization.uscc = _code(100 + n)
        solvers.append(user)
    # One self-registered enterprise waiting for verification.
    pending = Organization(
        name="桐乡市河山机械有限公司",
        kind=OrgKind.enterprise,
        uscc=_code(200),
        town=towns["河山镇"],
        contact_name="李工",
        contact_phone="13905730001",
        status=OrgStatus.unverified,
    )
    db.session.add(pending)
    db.session.flush()

    # Walk every need through the real services, then spread the history over 2022–2026 so
    # the board and the bureau's numbers look like a programme that has been running.
    start = datetime(2022, 3, 1, 2, 0, tzinfo=UTC)
    plan = _state_plan(len(NEEDS))
    made_needs: list[Need] = []
    for n, (
        owner_index,
        title,
        trans,
        keywords,
        background,
        difficulty,
        indicators,
        budget,
    ) in enumerate(NEEDS):
        owner = owners[owner_index]
        data = needs.NeedData(
            title=title,
            background=background,
            difficulty=difficulty,
            indicators=indicators,
            expected_outcome="形成可在本企业产线稳定运行的技术方案，并完成中试验证。",
            budget_wan=Decimal(budget) if budget is not None else None,
            deadline=today() + timedelta(days=30 + n * 3),
            industry_id=industries[ENTERPRISES[owner_index][2]].id,
            transformation=Transformation(trans),
            keywords=keywords,
            ip_terms="合作产生的知识产权归双方共有，企业享有优先实施权。",
            confidential=f"（保密）现有工艺参数与供应商报价，仅供科技局审核参考。编号 {n + 1}。",
        )
        need = needs.create_need(owner, data)
        made_needs.append(need)
        target = plan[n]
        if target is NeedStatus.draft:
            continue
        needs.submit_need(need, owner)
        if target is NeedStatus.submitted:
            continue
        if target is NeedStatus.returned:
            needs.return_need(need, bureau, "技术指标不够具体，请补充可量化的验收指标。")
            continue
        needs.publish_need(need, bureau)
        when = start + timedelta(days=n * 37)
        if target is NeedStatus.withdrawn:
            needs.withdraw_need(need, owner, "企业已自行解决")
        elif target in (NeedStatus.closed, NeedStatus.lapsed):
            need.deadline = (when + timedelta(days=60)).date()
            needs.ensure_current(need)
            if target is NeedStatus.lapsed:
                needs.lapse_need(need, bureau)
        need.first_published_at = min(when, need.first_published_at)
    db.session.flush()
    demo_matches.seed({"bureau": bureau, "owners": owners, "solvers": solvers, "needs": made_needs})
    # Needs still open on the board were published a few weeks ago (before their demo bids,
    # which are at most 40 days old); the history above keeps its 2022–2026 dates.
    for n, need in enumerate(made_needs):
        if need.status is NeedStatus.published:
            need.first_published_at = datetime.now(UTC) - timedelta(days=45 + n % 40)
    return accounts_made


def _state_plan(count: int) -> list[NeedStatus]:
    pattern = [NeedStatus.published] * 5 + [
        NeedStatus.closed,
        NeedStatus.submitted,
        NeedStatus.published,
        NeedStatus.draft,
        NeedStatus.returned,
        NeedStatus.withdrawn,
        NeedStatus.lapsed,
        NeedStatus.closed,
    ]
    return [pattern[i % len(pattern)] for i in range(count)]


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any user.")
def seed_command(if_empty: bool) -> None:
    """Load the demo data and print the demo accounts with their one-time passwords."""
    if if_empty and db.session.execute(select(func.count(User.id))).scalar():
        click.echo("数据库中已有数据，跳过演示数据。")
        return
    made = seed()
    db.session.commit()
    count = db.session.execute(select(func.count(Need.id))).scalar()
    click.echo(f"已载入演示数据：{count} 条需求。以下演示账号的密码随机生成，只显示这一次：")
    for label, email, pw in made:
        click.echo(f"  {label:<24} {email:<32} {pw}")
