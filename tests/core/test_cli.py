from sqlalchemy import select

from matchmaking.accounts.models import Organization, OrgStatus, Role, User
from matchmaking.extensions import db
from matchmaking.needs.models import Need, NeedStatus
from tests import factories


def test_create_user_prompts_twice_and_creates_a_verified_organization(runner):
    result = runner.invoke(
        args=[
            "accounts",
            "create-user",
            "--email",
            "chief@kjj.tongxiang.gov.cn",
            "--role",
            "bureau",
            "--org",
            "桐乡市科学技术局",
        ],
        input=f"{factories.PASSWORD}\n{factories.PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert user.role is Role.bureau and user.check_password(factories.PASSWORD)
    assert user.organization.status is OrgStatus.verified


def test_create_user_refuses_mismatched_or_weak_passwords(runner):
    result = runner.invoke(
        args=["accounts", "create-user", "--email", "a@b.cn", "--role", "bureau", "--org", "局"],
        input="Aa1!aaaaaaaaaaaa\nsomething-else\nweak\nweak\n",
    )
    assert result.exit_code != 0
    assert db.session.execute(select(User)).first() is None


def test_create_user_with_existing_organization_of_another_kind(runner):
    factories.organization("enterprise", name="某企业")
    result = runner.invoke(
        args=[
            "accounts",
            "create-user",
            "--email",
            "x@y.cn",
            "--role",
            "bureau",
            "--org",
            "某企业",
        ],
        input=f"{factories.PASSWORD}\n{factories.PASSWORD}\n",
    )
    assert result.exit_code != 0 and "角色与单位类型不符" in result.output


def test_demo_seed_makes_a_living_site_with_random_passwords(runner):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    statuses = set(db.session.execute(select(Need.status)).scalars())
    assert {
        NeedStatus.draft,
        NeedStatus.submitted,
        NeedStatus.returned,
        NeedStatus.published,
        NeedStatus.closed,
        NeedStatus.withdrawn,
        NeedStatus.lapsed,
    } <= statuses
    assert db.session.execute(select(Need.id)).scalars().all().__len__() >= 40
    lines = [line for line in result.output.splitlines() if "@demo.tongxiang" in line]
    passwords = [line.split()[-1] for line in lines]
    assert len(set(passwords)) == len(passwords) >= 3
    bureau = db.session.execute(select(User).where(User.role == Role.bureau)).scalar_one()
    assert bureau.check_password(passwords[0])
    assert (
        db.session.execute(
            select(Organization).where(Organization.status == OrgStatus.unverified)
        ).first()
        is not None
    )
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output
