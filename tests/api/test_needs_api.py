from datetime import timedelta

from matchmaking.timeutil import today
from tests import factories

SUMMARY_KEYS = {
    "id",
    "ref",
    "title",
    "industry",
    "transformation",
    "town",
    "budget_wan",
    "deadline",
    "status",
    "published_at",
}


def test_list_returns_published_needs_with_the_documented_shape(client, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau, budget_wan=12.5)
    factories.need(enterprise, "submitted")
    factories.need(enterprise, "withdrawn")
    body = client.get("/api/v1/needs").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
    item = body["items"][0]
    assert set(item) == SUMMARY_KEYS
    assert item["id"] == need.id and item["budget_wan"] == 12.5
    assert item["transformation"] == "digital" and item["status"] == "published"
    assert item["industry"] == "化纤" and item["town"] == "洲泉镇"


def test_filters_and_paging(client, enterprise, bureau):
    for n in range(5):
        factories.need(
            enterprise,
            "published",
            bureau=bureau,
            title=f"需求{n}",
            transformation=__import__("matchmaking.needs.models", fromlist=["x"]).Transformation(
                "green" if n % 2 else "digital"
            ),
        )
    body = client.get("/api/v1/needs?transformation=green&per_page=1&page=2").get_json()
    assert body["total"] == 2 and len(body["items"]) == 1 and body["page"] == 2
    assert client.get("/api/v1/needs?per_page=5000").get_json()["per_page"] == 100


def test_detail_is_public_fields_only(client, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    body = client.get(f"/api/v1/needs/{need.id}").get_json()
    assert body["title"] == need.title and body["background"]
    text = str(body)
    assert "CANARY" not in text and "confidential" not in text


def test_non_public_needs_are_404(client, enterprise):
    for state in ("draft", "submitted", "returned", "withdrawn"):
        need = factories.need(enterprise, state)
        response = client.get(f"/api/v1/needs/{need.id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/needs/999999").status_code == 404


def test_closed_needs_show_with_status_all(client, enterprise, bureau):
    import time_machine

    need = factories.need(
        enterprise, "published", bureau=bureau, deadline=today() + timedelta(days=1)
    )
    with time_machine.travel(need.deadline + timedelta(days=1), tick=False):
        assert client.get("/api/v1/needs").get_json()["total"] == 0
        items = client.get("/api/v1/needs?status=all").get_json()["items"]
        assert [i["status"] for i in items] == ["closed"]


def test_openapi_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/needs" in spec["paths"]


def test_bearer_token(client, runner, enterprise):
    result = runner.invoke(args=["accounts", "create-token", enterprise.email])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("jb_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["email"] == enterprise.email
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    from matchmaking.accounts.models import ApiToken
    from matchmaking.extensions import db

    stored = db.session.query(ApiToken).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
