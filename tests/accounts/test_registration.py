from sqlalchemy import select

from matchmaking.accounts import uscc
from matchmaking.accounts.models import Organization, OrgStatus, User
from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from tests import factories


def form(**overrides):
    data = {
        "org_name": "桐乡市新注册化纤有限公司",
        "kind": "enterprise",
        "uscc": uscc.make("91330483MA2D00001"),
        "town_id": str(factories.town().id),
        "industry_ids": [str(factories.industry().id)],
        "contact_name": "赵工",
        "contact_phone": "13812345678",
        "user_name": "赵工",
        "email": "zhao@example.cn",
        "password": factories.PASSWORD,
        "password2": factories.PASSWORD,
    }
    data.update(overrides)
    return data


def test_self_registration_creates_an_unverified_organization(client):
    response = client.post("/register", data=form())
    assert response.status_code == 302
    org = db.session.execute(select(Organization)).scalar_one()
    assert org.status is OrgStatus.unverified
    user = db.session.execute(select(User)).scalar_one()
    assert user.password_hash.startswith("scrypt:")
    assert factories.PASSWORD not in user.password_hash
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "organization.register" in actions


def test_wrong_credit_code_gets_a_clear_message_and_changes_nothing(client):
    response = client.post("/register", data=form(uscc="91330483MA2D000019"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "校验位不正确" in page
    assert db.session.execute(select(Organization)).first() is None


def test_weak_password_is_refused_and_never_echoed(client):
    response = client.post("/register", data=form(password="weakpass", password2="weakpass"))
    page = response.get_data(as_text=True)
    assert "密码至少 12 个字符" in page
    assert 'value="weakpass"' not in page
    assert db.session.execute(select(User)).first() is None


def test_enterprise_must_give_a_town(client):
    response = client.post("/register", data=form(town_id="0"))
    assert "企业须选择所在镇" in response.get_data(as_text=True)
    assert db.session.execute(select(Organization)).first() is None


def test_duplicate_email_is_refused(client, enterprise):
    response = client.post("/register", data=form(email=enterprise.email))
    assert "该邮箱已注册" in response.get_data(as_text=True)
    assert (
        db.session.execute(
            select(Organization).where(Organization.name == "桐乡市新注册化纤有限公司")
        ).first()
        is None
    )


def test_bureau_verifies_and_rejects(client, login, bureau):
    pending = factories.organization("institute", verified=False)
    other = factories.organization("university", verified=False)
    login(bureau)
    assert client.post(f"/bureau/organizations/{pending.id}/verify").status_code == 302
    r = client.post(f"/bureau/organizations/{other.id}/reject", data={"reason": ""})
    assert r.status_code == 302
    db.session.expire_all()
    assert pending.status is OrgStatus.verified
    assert other.status is OrgStatus.unverified  # no reason: nothing changes
    client.post(f"/bureau/organizations/{other.id}/reject", data={"reason": "证照信息不符"})
    db.session.expire_all()
    assert other.status is OrgStatus.rejected and other.reject_reason == "证照信息不符"
    events = (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.action.like("organization.%"))
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in events] == [
        ("organization.verify", "unverified", "verified", bureau.id),
        ("organization.reject", "unverified", "rejected", bureau.id),
    ]
    assert events[1].reason == "证照信息不符"


def test_non_bureau_cannot_verify(client, login, enterprise):
    pending = factories.organization("institute", verified=False)
    login(enterprise)
    assert client.post(f"/bureau/organizations/{pending.id}/verify").status_code == 403
    assert client.get("/bureau/organizations").status_code == 403
    db.session.expire_all()
    assert pending.status is OrgStatus.unverified


def test_unverified_organization_can_log_in_but_not_submit(client, login):
    user = factories.user("enterprise", verified=False)
    login(user)
    need = factories.need(user, "draft")
    response = client.post(f"/my/needs/{need.id}/submit", follow_redirects=True)
    assert "尚未通过科技局认证" in response.get_data(as_text=True)
    db.session.expire_all()
    assert need.status.value == "draft"
