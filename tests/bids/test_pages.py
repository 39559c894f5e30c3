"""Bid pages: submitting (with attachment checks), duplicates, concurrency, deadlines."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaking.bids.models import Bid, BidStatus
from matchmaking.extensions import db
from matchmaking.timeutil import today
from tests import factories
from tests.bids import util

FORM = {"approach": "方案", "team_lead": "李教授", "duration_months": "6", "price_wan": "30"}


@pytest.fixture
def need(enterprise, bureau):
    return factories.need(enterprise, "published", bureau=bureau)


def test_submit_edit_withdraw_through_pages(client, login, need, solver):
    login(solver)
    assert "我要揭榜" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    r = client.post(
        f"/needs/{need.id}/bids/new", data=FORM | {"price_wan": "", "price_negotiable": "y"}
    )
    assert r.status_code == 302
    bid = db.session.execute(sa.select(Bid)).scalar_one()
    assert bid.price_wan is None
    r = client.post(
        f"/bids/{bid.id}/edit", data=FORM | {"duration_months": "8"}, follow_redirects=True
    )
    assert "修改已保存" in r.get_data(as_text=True)
    db.session.refresh(bid)
    assert bid.duration_months == 8 and bid.price_wan == 30
    r = client.post(f"/bids/{bid.id}/withdraw", follow_redirects=True)
    assert "已撤回" in r.get_data(as_text=True)
    db.session.refresh(bid)
    assert bid.status is BidStatus.withdrawn


def test_second_bid_from_same_org_via_page_redirects_to_the_existing(client, login, need, solver):
    existing = util.bid(need, solver)
    login(factories.user("university", org=solver.organization))
    r = client.post(f"/needs/{need.id}/bids/new", data=FORM)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/bids/{existing.id}")
    assert client.get(f"/needs/{need.id}/bids/new").status_code == 303


def test_bid_after_the_deadline_via_page(client, login, need, solver):
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    login(solver)
    r = client.post(f"/needs/{need.id}/bids/new", data=FORM, follow_redirects=True)
    assert "不接受揭榜申报" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0


def test_invalid_form_shows_chinese_errors(client, login, need, solver):
    login(solver)
    r = client.post(
        f"/needs/{need.id}/bids/new", data=FORM | {"duration_months": "200", "price_wan": "abc"}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "预计周期须为 1–120 个月" in html and "报价须为数字" in html


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("方案.exe", util.PDF, "只能是 PDF"),
        ("方案.pdf", b"MZ\x90\x00 not a pdf", "不是有效的 PDF"),
        ("方案.pdf", b"%PDF-" + b"0" * 3000, "不能超过"),
    ],
)
def test_attachment_checks(app, client, login, need, solver, name, content, message):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    login(solver)
    r = client.post(
        f"/needs/{need.id}/bids/new",
        data=FORM | {"attachment": util.pdf_file(name, content)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0
    import os

    leftovers = [f for _, _, files in os.walk(app.config["UPLOAD_DIR"]) for f in files]
    assert leftovers == []


def _bid_at_once(app, emails, need_id):
    """Every user posts a bid at the same moment from its own client; returns status codes."""
    db.session.remove()  # the threads use their own sessions and connections
    clients = []
    for email in emails:
        c = app.test_client()
        assert (
            c.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code
            == 302
        )
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []
    errors: list[BaseException] = []

    def run(c):
        try:
            barrier.wait()
            codes.append(c.post(f"/needs/{need_id}/bids/new", data=FORM).status_code)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    return codes


def test_two_solvers_bidding_at_the_same_moment_both_succeed(app, need, solver):
    other = factories.user("institute")
    codes = _bid_at_once(app, [solver.email, other.email], need.id)
    assert codes == [302, 302]
    assert (
        db.session.scalar(sa.select(sa.func.count(Bid.id)).where(Bid.status == BidStatus.submitted))
        == 2
    )


def test_two_colleagues_bidding_at_the_same_moment_one_live_bid(app, need, solver):
    colleague = factories.user("university", org=solver.organization)
    codes = _bid_at_once(app, [solver.email, colleague.email], need.id)
    assert sorted(codes) == [302, 303], codes  # one created, one sent to the existing bid
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1
