"""The dashboard pages, the API and the exports: access, numbers, validation, audit."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaking.accounts import services as accounts
from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from matchmaking.stats import export, services
from matchmaking.stats.services import Period, Selection
from tests.stats.conftest import EXPECTED, PLAN

PAGES = [
    "/bureau/stats/",
    "/bureau/stats/breakdown",
    "/bureau/stats/response",
    "/bureau/stats/ranking",
    "/bureau/stats/drill?measure=posted",
    "/bureau/stats/report",
    "/bureau/stats/export.xlsx",
    "/bureau/stats/targets",
    "/bureau/stats/targets/new",
    "/bureau/stats/targets/edit?plan=x",
]
API = [
    "/api/v1/stats/progress",
    "/api/v1/stats/breakdown?by=town&metric=posted",
]


def test_every_stats_endpoint_is_listed_here(app):
    """A new endpoint must join the access matrix below."""
    rules = {
        r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith(("stats.", "stats_api."))
    }
    listed = {p.split("?")[0] for p in PAGES + API}
    assert rules == listed


@pytest.mark.parametrize("path", PAGES + API)
def test_anonymous_users_are_sent_to_login_or_get_401(client, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["enterprise", "solver"])
@pytest.mark.parametrize("path", PAGES + API)
def test_non_bureau_users_get_403(client, login, enterprise, solver, role, path):
    login(enterprise if role == "enterprise" else solver)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["enterprise", "solver"])
def test_non_bureau_users_cannot_post_targets(client, login, enterprise, solver, role):
    login(enterprise if role == "enterprise" else solver)
    assert (
        client.post(
            "/bureau/stats/targets/new", data={"name": "x", "start_year": 2026, "end_year": 2030}
        ).status_code
        == 403
    )
    assert client.post("/bureau/stats/targets/edit?plan=x").status_code == 403


@pytest.mark.parametrize("path", API)
def test_non_bureau_bearer_tokens_get_403(client, enterprise, path):
    token = accounts.issue_token(enterprise)
    db.session.commit()
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_progress_api_by_bearer_token(client, bureau, history):
    token = accounts.issue_token(bureau)
    db.session.commit()
    response = client.get(
        f"/api/v1/stats/progress?plan={PLAN}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"plan", "metrics"} and body["plan"] == PLAN
    assert set(body["metrics"]) == {"posted", "matched", "converted"}
    for metric, expected in EXPECTED.items():
        m = body["metrics"][metric]
        assert set(m) == {"by_year", "cumulative", "targets"}
        assert m["by_year"] == {str(y): n for y, n in expected.items()}
    assert body["metrics"]["posted"]["cumulative"] == {"2022": 3, "2023": 5, "2024": 7, "2025": 10}
    assert body["metrics"]["converted"]["targets"] == {"2022": 20, "2023": 30, "2025": 60}
    assert body["metrics"]["matched"]["targets"] == {}


def test_progress_api_unknown_plan_is_404(client, login, bureau, history):
    login(bureau)
    response = client.get("/api/v1/stats/progress?plan=nope")
    assert response.status_code == 404 and "nope" in response.get_json()["error"]["message"]


def test_breakdown_api(client, login, bureau, history):
    login(bureau)
    body = client.get(
        "/api/v1/stats/breakdown?by=town&metric=converted&from=2024-01-01&to=2024-12-31"
    ).get_json()
    assert body["by"] == "town" and body["metric"] == "converted"
    assert body["from"] == "2024-01-01" and body["to"] == "2024-12-31"
    counts = {i["label"]: i["count"] for i in body["items"]}
    assert counts["洲泉镇"] == 2 and counts["濮院镇"] == 0 and body["total"] == 2
    # every item links to a list of exactly that many needs
    for item in body["items"]:
        page = client.get(item["drill_url"]).get_data(as_text=True)
        assert f'<span class="text-primary">{item["count"]}</span> 条' in page
    solver = client.get("/api/v1/stats/breakdown?by=solver&metric=matched").get_json()
    assert {i["label"]: i["count"] for i in solver["items"]} == {"浙江某大学": 4, "某研究院": 2}
    trans = client.get("/api/v1/stats/breakdown?by=transformation&metric=posted").get_json()
    assert {i["key"]: i["count"] for i in trans["items"]} == {"digital": 6, "green": 4}


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("by=colour&metric=posted", "分组维度"),
        ("metric=posted", "分组维度"),
        ("by=town&metric=bids", "指标"),
        ("by=town&metric=responded", "指标"),  # page-only measures are not part of the API
        ("by=solver&metric=posted", "揭榜单位"),
        ("by=town&metric=posted&from=2024-02-30", "from"),
        ("by=town&metric=posted&to=20240101", "to"),
        ("by=town&metric=posted&from=2024-05-01&to=2024-04-01", "不能晚于"),
    ],
)
def test_breakdown_api_rejects_what_is_not_whitelisted(client, login, bureau, query, fragment):
    login(bureau)
    response = client.get(f"/api/v1/stats/breakdown?{query}")
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "measure=nope",
        "measure=posted&by=colour&key=1",
        "measure=posted&from=2024-13-01",
        "measure=posted&by=town&key=abc",
    ],
)
def test_drill_rejects_bad_parameters(client, login, bureau, query):
    login(bureau)
    assert client.get(f"/bureau/stats/drill?{query}").status_code == 400


def test_dashboard_pages_render_with_their_numbers(client, login, bureau, history):
    login(bureau)
    page = client.get(f"/bureau/stats/?plan={PLAN}").get_data(as_text=True)
    assert "分年度进度" in page and "发榜数" in page and "echarts.min.js" in page
    assert "<script>" not in page  # no inline script (CSP)
    # the drill link of the 2024 converted cell shows 2
    assert re.search(r'measure=converted&amp;from=2024-01-01&amp;to=2024-12-31"[^>]*>2<', page)
    for path in (
        "/bureau/stats/breakdown?from=2022-01-01&to=2025-12-31",
        "/bureau/stats/response?from=2022-01-01&to=2025-12-31",
        "/bureau/stats/ranking?from=2024-01-01&to=2024-12-31&sort=rate",
        "/bureau/stats/targets",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "测试需求n8" in client.get("/bureau/stats/response").get_data(as_text=True)


def test_bad_dates_on_pages_are_400(client, login, bureau):
    login(bureau)
    assert client.get("/bureau/stats/breakdown?from=2024-99-01").status_code == 400
    assert client.get("/bureau/stats/ranking?sort=height").status_code == 400


def test_every_drill_link_on_the_pages_lists_as_many_needs_as_it_shows(
    client, login, bureau, history
):
    login(bureau)
    links = set()
    for path in (
        f"/bureau/stats/?plan={PLAN}",
        "/bureau/stats/breakdown?from=2022-01-01&to=2025-12-31",
        "/bureau/stats/ranking?from=2022-01-01&to=2025-12-31",
        "/bureau/stats/response?from=2023-01-01&to=2025-12-31",
    ):
        html = client.get(path).get_data(as_text=True)
        links.update(re.findall(r'<a class="drill" href="([^"]+)"[^>]*>(\d+)</a>', html))
    assert len(links) > 50
    for href, shown in links:
        page = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert f'<span class="text-primary">{shown}</span> 条' in page, href
        assert page.count('<a href="/needs/') == int(shown), href


def test_excel_export_holds_the_numbers_of_the_page(client, login, bureau, history):
    login(bureau)
    response = client.get(f"/bureau/stats/export.xlsx?plan={PLAN}&from=2022-01-01&to=2025-12-31")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(BytesIO(response.data))
    assert tuple(wb.sheetnames) == export.SHEETS
    progress = list(wb["目标进度"].iter_rows(min_row=2, values_only=True))
    posted = {row[1]: row for row in progress if row[0] == "发榜数"}
    assert posted[2025][2:6] == (3, 10, 97, pytest.approx(10 / 97))
    assert posted[2024][4] is None  # no target invented for 2024
    converted = {row[1]: row for row in progress if row[0] == "转化数"}
    assert [converted[y][2] for y in (2022, 2023, 2024, 2025)] == [1, 0, 2, 0]
    assert isinstance(converted[2024][3], int)  # numbers as numbers
    town = {r[0]: r[1:] for r in wb["按镇街"].iter_rows(min_row=2, values_only=True)}
    assert town["洲泉镇"] == (7, 5, 3) and town["濮院镇"] == (3, 1, 0)
    solver = {r[0]: r[1:] for r in wb["按揭榜单位"].iter_rows(min_row=2, values_only=True)}
    assert solver == {"浙江某大学": (4, 2), "某研究院": (2, 1)}
    resp = {r[0]: r[1] for r in wb["响应情况"].iter_rows(min_row=2, values_only=True)}
    assert resp["期内发榜数"] == 10 and resp["有揭榜申报的比例"] == pytest.approx(0.7)
    assert resp["发榜至签约（天，中位数）"] == 45
    ranking = list(wb["镇街赛马"].iter_rows(min_row=2, values_only=True))
    assert ranking[0][:5] == (1, "洲泉镇", 7, 3, 3)
    risk = list(wb["流榜风险"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in risk] == ["测试需求n8"]

    # the same numbers as the breakdown page and the API
    page = client.get("/bureau/stats/breakdown?from=2022-01-01&to=2025-12-31").get_data(
        as_text=True
    )
    row = re.search(r"<td>洲泉镇</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r">(\d+)</a>", row) == ["7", "5", "3"]
    api = client.get(
        "/api/v1/stats/breakdown?by=town&metric=posted&from=2022-01-01&to=2025-12-31"
    ).get_json()
    assert {i["label"]: i["count"] for i in api["items"]}["洲泉镇"] == 7


def test_exports_are_audit_events(client, login, bureau, history):
    login(bureau)
    client.get("/bureau/stats/export.xlsx?from=2024-01-01&to=2024-12-31")
    client.get("/bureau/stats/report")
    events = (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.action.like("stats.export%"))
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [e.action for e in events] == ["stats.export_xlsx", "stats.export_report"]
    assert events[0].actor_id == bureau.id and "2024-01-01" in events[0].details


def test_printable_report(client, login, bureau, history):
    login(bureau)
    page = client.get(f"/bureau/stats/report?plan={PLAN}").get_data(as_text=True)
    assert "统计报表" in page and "镇（街道）赛马排名" in page and "data-print" in page
    assert "stats.css" in page


def test_drill_list_pages_through_all_needs(client, login, bureau, history):
    login(bureau)
    page = client.get(
        f"/bureau/stats/drill?measure=matched&by=solver&key={history.u1.id}"
    ).get_data(as_text=True)
    assert '<span class="text-primary">4</span> 条' in page and "浙江某大学" in page
    sel = Selection("matched", Period(), "solver", str(history.u1.id))
    assert {r.need.title for r in sel.rows()} == {
        "测试需求n1",
        "测试需求n4",
        "测试需求n7",
        "测试需求n10",
    }
    assert services.Selection("posted").count() == 10


def test_dashboard_warns_when_the_pace_falls_short(client, login, bureau, history):
    from matchmaking.stats import targets
    from matchmaking.stats.models import Metric
    from matchmaking.timeutil import today

    year = today().year
    targets.create_plan(bureau, "本年冲刺", year, {(Metric.posted, year): 100_000})
    db.session.commit()
    login(bureau)
    page = client.get("/bureau/stats/?plan=本年冲刺").get_data(as_text=True)
    assert "进度预警·发榜数" in page and "低于目标 100000" in page
    plain = client.get(f"/bureau/stats/?plan={PLAN}").get_data(as_text=True)
    if year > 2025:
        assert "不在本规划期内" in plain
