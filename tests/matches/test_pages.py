"""Match pages: who may open what, the bureau's filters and queue, the demo data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaking.access import policy_of
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.timeutil import today
from tests import factories
from tests.bids import util


def test_every_bids_and_matches_endpoint_declares_a_policy(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("bids", "matches", "bids_api", "matches_api"):
            assert policy_of(app.view_functions[rule.endpoint]), rule.endpoint


@pytest.mark.parametrize(
    "viewer,code",
    [
        ("owner", 200),
        ("solver", 200),
        ("bureau", 200),
        ("other_solver", 404),
        ("other_enterprise", 404),
    ],
)
def test_match_page_visibility(
    client, login, enterprise, other_enterprise, solver, bureau, viewer, code
):
    need = factories.need(enterprise, "published", bureau=bureau)
    m = util.match(need, solver, enterprise, state="signed")
    user = {
        "owner": enterprise,
        "solver": solver,
        "bureau": bureau,
        "other_solver": factories.user("institute"),
        "other_enterprise": other_enterprise,
    }[viewer]
    login(user)
    assert client.get(f"/matches/{m.id}").status_code == code
    # Only the enterprise signs/records; a solver posting is refused by the role or the object.
    r = client.post(
        f"/matches/{m.id}/conversion",
        data={"completed_on": today().isoformat(), "result_summary": "x"},
    )
    assert (
        r.status_code
        == {
            "owner": 302,
            "solver": 403,
            "bureau": 403,
            "other_solver": 403,
            "other_enterprise": 404,
        }[viewer]
    )


def test_bureau_pages_and_filters(client, login, enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau, title="化纤需求甲")
    m = util.match(need, solver, enterprise, state="recorded")
    other = factories.need(
        enterprise,
        "published",
        bureau=bureau,
        title="印染需求乙",
        industry_id=factories.industry("纺织印染").id,
    )
    util.match(other, factories.user("institute"), enterprise)
    login(bureau)
    html = client.get("/bureau/matches").get_data(as_text=True)
    assert "化纤需求甲" in html and "印染需求乙" in html and "转化确认队列（1）" in html
    html = client.get(f"/bureau/matches?industry={factories.industry('纺织印染').id}").get_data(
        as_text=True
    )
    assert "印染需求乙" in html and "化纤需求甲" not in html
    html = client.get(f"/bureau/matches?solver={solver.organization_id}").get_data(as_text=True)
    assert "化纤需求甲" in html and "印染需求乙" not in html
    html = client.get("/bureau/matches?status=negotiating").get_data(as_text=True)
    assert "印染需求乙" in html and "化纤需求甲" not in html
    html = client.get(f"/bureau/matches?year={today().year - 1}").get_data(as_text=True)
    assert "没有符合条件的对接记录" in html
    html = client.get(f"/bureau/matches?town={need.town_id}&year=bad&status=zzz").get_data(
        as_text=True
    )
    assert "化纤需求甲" in html
    queue = client.get("/bureau/matches/confirmations").get_data(as_text=True)
    assert "化纤需求甲" in queue and "印染需求乙" not in queue
    r = client.post(
        f"/matches/{m.id}/return", data={"reason": "请补充检测报告"}, follow_redirects=True
    )
    assert "已退回企业补充" in r.get_data(as_text=True)
    assert "没有等待确认的转化" in client.get("/bureau/matches/confirmations").get_data(
        as_text=True
    )


@pytest.mark.parametrize("user_kind", ["enterprise", "university"])
def test_bureau_pages_are_bureau_only(client, login, user_kind):
    login(factories.user(user_kind))
    assert client.get("/bureau/matches").status_code == 403
    assert client.get("/bureau/matches/confirmations").status_code == 403


def test_nav_items(client, login, solver, enterprise, bureau):
    login(solver)
    html = client.get("/my/bids").get_data(as_text=True)
    assert "我的揭榜" in html and "我的对接" in html
    client.post("/logout")
    login(bureau)
    html = client.get("/bureau/matches").get_data(as_text=True)
    assert "对接记录" in html and "转化确认" in html


def test_sign_form_errors_are_shown(client, login, enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    m = util.match(need, solver, enterprise)
    login(enterprise)
    r = client.post(f"/matches/{m.id}/sign", data={"signed_on": "", "contract_amount_wan": "x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "请填写合同签订日期" in html and "合同金额须为数字" in html
    r = client.post(
        f"/matches/{m.id}/sign",
        data={
            "signed_on": today().isoformat(),
            "contract_amount_wan": "10",
            "contract": util.pdf_file("合同.doc", b"not a pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "只能是 PDF" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Match, m.id).status is MatchStatus.negotiating


def test_demo_seed_has_every_state(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    statuses = set(db.session.execute(sa.select(Match.status)).scalars())
    assert statuses == set(MatchStatus)
    years = {
        d.year
        for d in db.session.execute(
            sa.select(Match.completed_on).where(Match.status == MatchStatus.converted)
        ).scalars()
    }
    assert len(years) >= 3
    from matchmaking.bids.models import Bid, BidStatus

    assert set(db.session.execute(sa.select(Bid.status)).scalars()) == set(BidStatus)
    assert db.session.execute(
        sa.select(Match).where(
            Match.status == MatchStatus.signed, Match.conversion_recorded_at.is_not(None)
        )
    ).first()
