"""One need from draft to confirmed conversion through the HTML pages, and one through the
JSON API with bearer tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from matchmaking.accounts.services import issue_token
from matchmaking.audit.models import AuditEvent
from matchmaking.bids.models import Bid, BidStatus
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.timeutil import today
from tests import factories
from tests.bids import util


def test_walk_through_the_pages(client, login, enterprise, solver, bureau):
    other_solver = factories.user("institute")
    # The enterprise drafts and submits; the bureau publishes.
    login(enterprise)
    r = client.post(
        "/my/needs/new",
        data={
            "title": "印染废水余热回收",
            "background": "定形机废气温度高。",
            "difficulty": "换热器结垢。",
            "indicators": "回收率≥60%",
            "budget_wan": "80",
            "deadline": (today() + timedelta(days=20)).isoformat(),
            "industry_id": factories.industry("纺织印染").id,
            "transformation": "green",
            "action": "submit",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    need = db.session.execute(sa.select(Need)).scalar_one()
    client.post("/logout")
    login(bureau)
    assert client.post(f"/bureau/review/{need.id}/approve").status_code == 302
    client.post("/logout")
    # Two solvers bid; one asks a question which the enterprise answers.
    for user, price in ((solver, "70"), (other_solver, "90")):
        login(user)
        r = client.post(
            f"/needs/{need.id}/bids/new",
            data={
                "approach": f"方案-{price}",
                "team_lead": "负责人",
                "duration_months": "12",
                "price_wan": price,
                "attachment": util.pdf_file(),
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 302
        client.post("/logout")
    login(other_solver)
    client.post(f"/needs/{need.id}/questions", data={"body": "是否可以现场测试？"})
    client.post("/logout")
    login(enterprise)
    mine = client.get("/my/needs").get_data(as_text=True)
    assert "2 份" in mine and "2 待定" in mine
    compare = client.get(f"/my/needs/{need.id}/bids").get_data(as_text=True)
    assert "方案-70" in compare and "方案-90" in compare
    question = need_question = db.session.execute(sa.text("SELECT id FROM questions")).scalar()
    r = client.post(
        f"/questions/{need_question}/answer", data={"answer": "可以。"}, follow_redirects=True
    )
    assert "答复已发布" in r.get_data(as_text=True)
    assert question
    bid_a, bid_b = db.session.execute(sa.select(Bid).order_by(Bid.id)).scalars().all()
    client.post(f"/bids/{bid_a.id}/shortlist")
    r = client.post(f"/bids/{bid_a.id}/accept")
    match = db.session.execute(sa.select(Match)).scalar_one()
    assert r.headers["Location"].endswith(f"/matches/{match.id}")
    r = client.post(
        f"/my/needs/{need.id}/bids/decline-rest", data={"reason": "已选定"}, follow_redirects=True
    )
    assert "已标记为未选中" in r.get_data(as_text=True)
    # Sign with a contract PDF, record a milestone, record the conversion.
    r = client.post(
        f"/matches/{match.id}/sign",
        data={
            "signed_on": today().isoformat(),
            "contract_amount_wan": "68.5",
            "contract_reg_no": "2026330483000123",
            "contract": util.pdf_file("合同.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已登记签约" in r.get_data(as_text=True)
    client.post(
        f"/matches/{match.id}/milestones",
        data={"occurred_on": today().isoformat(), "note": "完成小试"},
    )
    r = client.post(
        f"/matches/{match.id}/conversion",
        data={
            "completed_on": today().isoformat(),
            "result_summary": "热回收率 65%，年省蒸汽 3000 吨。",
        },
        follow_redirects=True,
    )
    assert "等待科技局确认" in r.get_data(as_text=True)
    assert client.get(f"/matches/{match.id}/contract").status_code == 200
    client.post("/logout")
    # The solver follows it; the bureau confirms from its queue.
    login(solver)
    assert need.title in client.get("/my/matches").get_data(as_text=True)
    assert "对接：已签约" in client.get("/my/bids").get_data(as_text=True)
    client.post("/logout")
    login(bureau)
    queue = client.get("/bureau/matches/confirmations").get_data(as_text=True)
    assert need.title in queue and "热回收率 65%" in queue
    r = client.post(f"/matches/{match.id}/confirm", data={"back": "queue"}, follow_redirects=True)
    assert "已确认转化" in r.get_data(as_text=True)
    db.session.expire_all()
    assert match.status is MatchStatus.converted and need.status is NeedStatus.converted
    assert bid_b.status is BidStatus.declined and bid_b.decline_reason == "已选定"
    overview = client.get(f"/bureau/matches?status=converted&year={today().year}")
    assert need.title in overview.get_data(as_text=True)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "已转化" in page and "是否可以现场测试？" in page
    trail = db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
    trail = [a for a in trail if a.split(".")[0] in ("bid", "match", "need", "question")]
    for step in (
        "need.publish",
        "bid.submit",
        "question.answer",
        "bid.shortlist",
        "bid.accept",
        "match.open",
        "bid.decline",
        "match.sign",
        "need.match",
        "match.milestone",
        "match.record_conversion",
        "match.confirm_conversion",
        "need.convert",
    ):
        assert step in trail, step


def test_walk_through_the_api(client, enterprise, solver, bureau):
    need = factories.need(enterprise, "draft")
    from matchmaking.needs import services as need_services

    need_services.submit_need(need, enterprise)
    need_services.publish_need(need, bureau)
    tokens = {u: issue_token(u) for u in (enterprise, solver, bureau)}
    db.session.commit()

    def call(user, method, url, json=None):
        return client.open(
            url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[user]}"}
        )

    r = call(
        solver,
        "POST",
        f"/api/v1/needs/{need.id}/bids",
        {"approach": "API 方案", "team_lead": "王教授", "duration_months": 6, "price_wan": 42},
    )
    assert r.status_code == 201, r.json
    bid_id = r.json["id"]
    dup = call(
        solver,
        "POST",
        f"/api/v1/needs/{need.id}/bids",
        {"approach": "再来一份", "team_lead": "王教授", "duration_months": 6, "price_wan": None},
    )
    assert dup.status_code == 409 and dup.json["error"]["code"] == "duplicate_bid"
    r = call(solver, "PATCH", f"/api/v1/bids/{bid_id}", {"price_wan": "面议"})
    assert (
        r.status_code == 200 and r.json["price_wan"] is None and r.json["changed"] == ["price_wan"]
    )
    assert call(solver, "GET", "/api/v1/bids").json["total"] == 1
    assert call(enterprise, "GET", f"/api/v1/needs/{need.id}/bids").json["total"] == 1
    assert (
        call(enterprise, "POST", f"/api/v1/bids/{bid_id}/shortlist").json["status"] == "shortlisted"
    )
    bad = call(solver, "POST", f"/api/v1/bids/{bid_id}/accept")
    assert bad.status_code == 403
    r = call(enterprise, "POST", f"/api/v1/bids/{bid_id}/accept")
    assert r.status_code == 201
    match_id = r.json["match"]["id"]
    assert (
        call(solver, "POST", f"/api/v1/bids/{bid_id}/withdraw").json["error"]["code"]
        == "illegal_transition"
    )
    early = call(bureau, "POST", f"/api/v1/matches/{match_id}/confirm")
    assert early.status_code == 409 and early.json["error"]["code"] == "conversion_not_recorded"
    r = call(
        enterprise,
        "POST",
        f"/api/v1/matches/{match_id}/sign",
        {"signed_on": today().isoformat(), "contract_amount_wan": 41.5},
    )
    assert r.status_code == 200 and r.json["status"] == "signed"
    assert r.json["need"]["status"] == "matched"
    bad = call(enterprise, "POST", f"/api/v1/matches/{match_id}/sign", {"signed_on": "x"})
    assert bad.status_code == 400 and bad.json["error"]["message"]
    assert (
        call(
            solver,
            "POST",
            f"/api/v1/matches/{match_id}/milestones",
            {"occurred_on": today().isoformat(), "note": "样机交付"},
        ).status_code
        == 201
    )
    r = call(
        enterprise,
        "POST",
        f"/api/v1/matches/{match_id}/conversion",
        {"completed_on": today().isoformat(), "result_summary": "已投产"},
    )
    assert r.json["awaiting_confirmation"] is True
    assert call(enterprise, "POST", f"/api/v1/matches/{match_id}/confirm").status_code == 403
    r = call(bureau, "POST", f"/api/v1/matches/{match_id}/confirm")
    assert r.status_code == 200 and r.json["status"] == "converted"
    assert r.json["need"]["status"] == "converted"
    listing = call(bureau, "GET", "/api/v1/matches?status=converted").json
    assert (
        listing["total"] == 1 and listing["items"][0]["solver"]["name"] == solver.organization.name
    )
    assert call(solver, "GET", "/api/v1/matches").json["total"] == 1
    assert (
        call(solver, "POST", f"/api/v1/matches/{match_id}/terminate", {"reason": "x"}).status_code
        == 409
    )
    events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id)).all()
    assert ("match.confirm_conversion", bureau.id) in events
    assert ("bid.submit", solver.id) in events


def test_session_api_writes_need_the_csrf_header(app, client, login, enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', login_page
    )
    client.post(
        "/login",
        data={"email": solver.email, "password": factories.PASSWORD, "csrf_token": token.group(1)},
    )
    body = {"approach": "方案", "team_lead": "李", "duration_months": 3, "price_wan": 1}
    r = client.post(f"/api/v1/needs/{need.id}/bids", json=body)
    assert r.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0
