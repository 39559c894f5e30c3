"""Pages for needs: the role × action matrix and what each page shows."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaking.extensions import db
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.timeutil import today
from tests import factories


def form_data(**overrides):
    data = {
        "title": "定形机废气余热回收",
        "background": "定形机排气温度高。",
        "difficulty": "油烟污染换热器。",
        "indicators": "排气温度降至 80℃ 以下。",
        "expected_outcome": "",
        "budget_wan": "90",
        "deadline": (today() + timedelta(days=40)).isoformat(),
        "industry_id": str(factories.industry("纺织印染").id),
        "transformation": "green",
        "keywords": "定形机，余热回收",
        "ip_terms": "",
        "confidential": "CANARY-机密-7f3a",
    }
    data.update(overrides)
    return data


@pytest.fixture
def people(enterprise, other_enterprise, solver, bureau):
    return {
        "anonymous": None,
        "owner": enterprise,
        "other_enterprise": other_enterprise,
        "solver": solver,
        "bureau": bureau,
    }


# (method, url template, expected status per actor); {id} is a submitted need of the owner.
MATRIX = [
    (
        "get",
        "/my/needs/new",
        {"anonymous": 302, "owner": 200, "other_enterprise": 200, "solver": 403, "bureau": 403},
    ),
    (
        "get",
        "/my/needs/{id}/edit",
        {"anonymous": 302, "owner": 302, "other_enterprise": 403, "solver": 403, "bureau": 403},
    ),
    (
        "post",
        "/my/needs/{id}/withdraw",
        {"anonymous": 302, "owner": 302, "other_enterprise": 403, "solver": 403, "bureau": 403},
    ),
    (
        "post",
        "/bureau/review/{id}/approve",
        {"anonymous": 302, "owner": 403, "other_enterprise": 403, "solver": 403, "bureau": 302},
    ),
    (
        "post",
        "/bureau/review/{id}/return",
        {"anonymous": 302, "owner": 403, "other_enterprise": 403, "solver": 403, "bureau": 302},
    ),
    (
        "get",
        "/bureau/review/",
        {"anonymous": 302, "owner": 403, "other_enterprise": 403, "solver": 403, "bureau": 200},
    ),
    (
        "get",
        "/needs/{id}",
        {"anonymous": 404, "owner": 200, "other_enterprise": 404, "solver": 404, "bureau": 200},
    ),
    (
        "get",
        "/needs/{id}/confidential",
        {"anonymous": 302, "owner": 200, "other_enterprise": 404, "solver": 403, "bureau": 200},
    ),
    (
        "get",
        "/bureau/reference/",
        {"anonymous": 302, "owner": 403, "other_enterprise": 403, "solver": 403, "bureau": 200},
    ),
]


@pytest.mark.parametrize(("method", "url", "expected"), MATRIX, ids=[m[1] for m in MATRIX])
@pytest.mark.parametrize("who", ["anonymous", "owner", "other_enterprise", "solver", "bureau"])
def test_role_action_matrix(client, login, people, enterprise, method, url, expected, who):
    need = factories.need(enterprise, "submitted")
    if people[who] is not None:
        login(people[who])
    response = getattr(client, method)(url.format(id=need.id), data={"reason": "请补充"})
    assert response.status_code == expected[who]
    if response.status_code == 302 and who == "anonymous":
        assert response.headers["Location"].startswith("/login")
    db.session.expire_all()
    if who not in ("owner", "bureau"):
        assert need.status is NeedStatus.submitted  # nothing changed


def test_enterprise_writes_submits_and_bureau_publishes(client, login, enterprise, bureau):
    login(enterprise)
    response = client.post("/my/needs/new", data=form_data(action="submit"))
    assert response.status_code == 302
    need = db.session.execute(select(Need)).scalar_one()
    assert need.status is NeedStatus.submitted and need.keywords == "定形机 余热回收"
    assert need.organization_id == enterprise.organization_id
    client.post("/logout")
    login(bureau)
    queue = client.get("/bureau/review/").get_data(as_text=True)
    assert "定形机废气余热回收" in queue
    client.post(f"/bureau/review/{need.id}/approve")
    client.post("/logout")
    board = client.get("/").get_data(as_text=True)
    assert "定形机废气余热回收" in board
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "定形机废气余热回收" in page and "CANARY" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "请填写需求名称"),
        ({"title": "长" * 101}, "需求名称最多 100 个字"),
        ({"deadline": (today() - timedelta(days=1)).isoformat()}, "揭榜截止日期须晚于今天"),
        ({"deadline": "明天"}, "截止日期"),
        ({"budget_wan": "五十万"}, "榜额须为数字"),
        ({"budget_wan": "-5"}, "榜额须在 0 到"),
        ({"budget_wan": ""}, "或勾选“面议”"),
        ({"background": "字" * 5001}, "需求背景最多 5000 个字"),
        ({"industry_id": "999999"}, "行业"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_changes_nothing(
    client, login, enterprise, overrides, message
):
    login(enterprise)
    response = client.post("/my/needs/new", data=form_data(**overrides))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert db.session.execute(select(func.count(Need.id))).scalar() == 0
    # What the user typed is kept in the form, so nothing is lost.
    if overrides.get("title", "x"):
        assert "排气温度降至 80℃ 以下。" in page


def test_budget_negotiable(client, login, enterprise):
    login(enterprise)
    client.post("/my/needs/new", data=form_data(budget_wan="", budget_negotiable="y"))
    need = db.session.execute(select(Need)).scalar_one()
    assert need.budget_wan is None and need.budget_label == "面议"


def test_owner_sees_confidential_details_and_the_public_does_not(client, login, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    assert "CANARY" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    login(enterprise)
    assert "CANARY" in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_mass_assignment_is_ignored(client, login, enterprise, other_enterprise):
    login(enterprise)
    client.post(
        "/my/needs/new",
        data=form_data(
            status="published",
            organization_id=str(other_enterprise.organization_id),
            first_published_at="2022-01-01",
        ),
    )
    need = db.session.execute(select(Need)).scalar_one()
    assert need.status is NeedStatus.draft
    assert need.organization_id == enterprise.organization_id
    assert need.first_published_at is None


def test_editing_a_published_need_essentially_sends_it_back(client, login, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    login(enterprise)
    data = form_data(title="改过的名称", industry_id=str(need.industry_id))
    response = client.post(f"/my/needs/{need.id}/edit", data=data, follow_redirects=True)
    assert "重新提交科技局审核" in response.get_data(as_text=True)
    db.session.expire_all()
    assert need.status is NeedStatus.submitted


def test_board_filters_sort_and_paginate(client, enterprise, bureau, app):
    app.config["BOARD_PAGE_SIZE"] = 2
    cheap = factories.need(enterprise, "published", bureau=bureau, title="低价", budget_wan=1)
    factories.need(
        enterprise,
        "published",
        bureau=bureau,
        title="高价",
        budget_wan=900,
        industry_id=factories.industry("玻纤").id,
    )
    factories.need(enterprise, "published", bureau=bureau, title="面议项目", budget_wan=None)
    factories.need(enterprise, "draft", title="草稿不公开")
    first = client.get("/?sort=budget").get_data(as_text=True)
    assert first.index("高价") < first.index("低价")
    assert "面议项目" not in first and "共 3 条" in first
    second = client.get("/?sort=budget&page=2").get_data(as_text=True)
    assert "面议项目" in second
    glass = client.get(f"/?industry={factories.industry('玻纤').id}").get_data(as_text=True)
    assert "高价" in glass and "低价" not in glass
    assert "草稿不公开" not in client.get("/?status=all").get_data(as_text=True)
    assert client.get("/?page=abc&sort=evil&industry=1 OR 1=1&status=<x>").status_code == 200
    cheap_page = client.get(f"/needs/{cheap.id}").get_data(as_text=True)
    assert "1 万元" in cheap_page


def test_board_status_filter_applies_the_deadline(client, enterprise, bureau):
    import time_machine

    need = factories.need(enterprise, "published", bureau=bureau, title="快截止")
    with time_machine.travel(need.deadline + timedelta(days=1), tick=False):
        assert "快截止" not in client.get("/").get_data(as_text=True)
        assert "快截止" in client.get("/?status=closed").get_data(as_text=True)


def test_bureau_edits_reference_data(client, login, bureau):
    login(bureau)
    client.post("/bureau/reference/industry", data={"name": "光伏"})
    from matchmaking.reference.models import Industry

    added = db.session.execute(select(Industry).where(Industry.name == "光伏")).scalar_one()
    client.post(f"/bureau/reference/industry/{added.id}/toggle", data={"active": "0"})
    db.session.expire_all()
    assert added.active is False
    response = client.post(
        "/bureau/reference/industry", data={"name": "化纤"}, follow_redirects=True
    )
    assert "已存在" in response.get_data(as_text=True)
