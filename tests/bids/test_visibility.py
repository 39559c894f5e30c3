"""Who sees a bid and its attachment: author, other solver, need owner, other enterprise,
bureau, anonymous — over the HTML pages and the JSON API; and what the public page shows."""

from __future__ import annotations

import pytest

from matchmaking.accounts.services import issue_token
from matchmaking.bids import services
from matchmaking.extensions import db
from tests import factories
from tests.bids import util

VIEWERS = ["author", "other_solver", "owner", "other_enterprise", "bureau", "anonymous"]
CAN_SEE = {"author", "owner", "bureau"}
SECRET_APPROACH = "SECRET-APPROACH-9d1c 多光谱融合"


@pytest.fixture
def world(client, enterprise, other_enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    login_as = {
        "author": solver,
        "other_solver": factories.user("institute"),
        "owner": enterprise,
        "other_enterprise": other_enterprise,
        "bureau": bureau,
        "anonymous": None,
    }
    # The author bids through the page, with a PDF attachment.
    r = _login(client, solver)
    r = client.post(
        f"/needs/{need.id}/bids/new",
        data={
            "approach": SECRET_APPROACH,
            "team_lead": "李教授",
            "team_members": "张博士",
            "duration_months": "10",
            "price_wan": "77.5",
            "prior_results": "专利 2 项",
            "attachment": util.pdf_file("技术方案.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    client.post("/logout")
    bid = services.live_bid_of(need, solver.organization_id)
    assert bid.attachment_key and bid.attachment_name == "技术方案.pdf"
    return {"need": need, "bid": bid, "users": login_as}


def _login(client, user):
    return factories.sign_in(client, user)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_bid_page_and_attachment_html(client, world, viewer):
    user = world["users"][viewer]
    if user:
        _login(client, user)
    bid = world["bid"]
    page = client.get(f"/bids/{bid.id}")
    attachment = client.get(f"/bids/{bid.id}/attachment")
    if viewer == "anonymous":
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        assert attachment.status_code == 302
    elif viewer in CAN_SEE:
        assert page.status_code == 200 and SECRET_APPROACH in page.get_data(as_text=True)
        assert attachment.status_code == 200
        assert attachment.data == util.PDF
        assert attachment.headers["Content-Disposition"].startswith("attachment")
        assert attachment.headers["X-Content-Type-Options"] == "nosniff"
        assert attachment.mimetype == "application/pdf"
    else:
        assert page.status_code == 404 and SECRET_APPROACH not in page.get_data(as_text=True)
        assert attachment.status_code == 404


@pytest.mark.parametrize("viewer", VIEWERS)
def test_bid_and_attachment_json(client, world, viewer):
    user = world["users"][viewer]
    headers = {}
    if user:
        headers = {"Authorization": f"Bearer {issue_token(user)}"}
        db.session.commit()
    bid = world["bid"]
    one = client.get(f"/api/v1/bids/{bid.id}", headers=headers)
    attachment = client.get(f"/api/v1/bids/{bid.id}/attachment", headers=headers)
    of_need = client.get(f"/api/v1/needs/{world['need'].id}/bids", headers=headers)
    if viewer == "anonymous":
        assert one.status_code == 401 and one.json["error"]["code"] == "unauthorized"
        assert attachment.status_code == 401 and of_need.status_code == 401
    elif viewer in CAN_SEE:
        assert one.status_code == 200 and one.json["approach"] == SECRET_APPROACH
        assert one.json["price_wan"] == 77.5
        assert attachment.status_code == 200 and attachment.data == util.PDF
        assert attachment.headers["Content-Disposition"].startswith("attachment")
        if viewer == "author":
            assert of_need.status_code == 403
        else:
            assert of_need.status_code == 200 and of_need.json["total"] == 1
    else:
        assert one.status_code == 404 and SECRET_APPROACH not in one.get_data(as_text=True)
        assert attachment.status_code == 404
        assert of_need.status_code == 403
        assert SECRET_APPROACH not in of_need.get_data(as_text=True)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_comparison_page(client, world, viewer):
    user = world["users"][viewer]
    if user:
        _login(client, user)
    r = client.get(f"/my/needs/{world['need'].id}/bids")
    if viewer in ("owner", "bureau"):
        assert r.status_code == 200 and SECRET_APPROACH in r.get_data(as_text=True)
    elif viewer == "anonymous":
        assert r.status_code == 302
    else:
        assert r.status_code == 403
        assert SECRET_APPROACH not in r.get_data(as_text=True)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_public_need_page_shows_only_the_count(client, world, enterprise, viewer):
    solver_org = world["bid"].organization.name
    asker = world["users"]["other_solver"]
    q = services.ask_question(world["need"], asker, "能否提供现场测试条件？")
    services.answer_question(q, enterprise, "可以，每周二开放产线。")
    services.ask_question(world["need"], asker, "UNANSWERED-QUESTION-77")
    db.session.commit()
    user = world["users"][viewer]
    if user:
        _login(client, user)
    html = client.get(f"/needs/{world['need'].id}").get_data(as_text=True)
    assert "已有 <strong>1</strong> 家单位揭榜申报" in html
    assert "能否提供现场测试条件？" in html and "每周二开放产线" in html
    if viewer not in ("author", "owner", "bureau"):
        assert SECRET_APPROACH not in html and solver_org not in html
    if viewer in ("owner", "bureau", "other_solver"):
        assert "UNANSWERED-QUESTION-77" in html  # the asker's own org, the owner, the bureau
    else:
        assert "UNANSWERED-QUESTION-77" not in html
    if viewer not in ("owner", "bureau", "other_solver"):
        assert asker.organization.name not in html  # answered questions without the asker
    api = client.get(f"/api/v1/needs/{world['need'].id}/questions").json
    assert api["bid_count"] == 1


def test_public_questions_api_hides_the_asker(client, world, enterprise):
    asker = world["users"]["other_solver"]
    q = services.ask_question(world["need"], asker, "样品数量？")
    services.answer_question(q, enterprise, "5 kg")
    db.session.commit()
    data = client.get(f"/api/v1/needs/{world['need'].id}/questions").json
    assert data["items"] == [
        {
            "id": q.id,
            "body": "样品数量？",
            "answer": "5 kg",
            "asked_at": q.created_at.isoformat(),
            "answered_at": q.answered_at.isoformat(),
        }
    ]


def test_my_bids_lists_only_my_organization(client, world):
    other = world["users"]["other_solver"]
    _login(client, other)
    html = client.get("/my/bids").get_data(as_text=True)
    assert world["need"].title not in html
    token = issue_token(other)
    db.session.commit()
    assert (
        client.get("/api/v1/bids", headers={"Authorization": f"Bearer {token}"}).json["total"] == 0
    )


def test_stored_file_is_outside_the_web_root_under_a_random_name(app, world):
    import os

    bid = world["bid"]
    upload_dir = app.config["UPLOAD_DIR"]
    path = os.path.join(upload_dir, bid.attachment_key[:2], bid.attachment_key)
    assert os.path.isfile(path)
    assert not os.path.abspath(path).startswith(os.path.abspath(app.static_folder))
    assert "技术方案" not in bid.attachment_key
