"""Search kept in step with the database, and the search page and API."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select, update

from matchmaking.extensions import db
from matchmaking.needs import services as need_services
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.search import services
from matchmaking.search.models import SearchOutbox
from search_index import SearchIndex
from tests import factories


def ids_for(client, q, **params):
    body = client.get("/api/v1/needs", query_string={"q": q, "status": "all", **params}).get_json()
    return [item["id"] for item in body["items"]]


def test_publishing_through_the_pages_makes_a_need_searchable(client, login, enterprise, bureau):
    need = factories.need(enterprise, "submitted", title="玻纤池窑余热回收利用")
    assert ids_for(client, "余热") == []
    login(bureau)
    client.post(f"/bureau/review/{need.id}/approve")
    assert ids_for(client, "余热") == [need.id]
    assert db.session.execute(select(SearchOutbox.applied_at)).scalar() is not None


def test_withdrawn_need_disappears(client, login, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau, title="电脑横机智能排产")
    services.apply_pending()
    assert ids_for(client, "横机") == [need.id]
    login(enterprise)
    client.post(f"/my/needs/{need.id}/withdraw")
    assert ids_for(client, "横机") == []


def test_updated_need_appears_exactly_once_with_its_new_text(client, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau, title="印染废水回用")
    services.apply_pending()
    assert ids_for(client, "废水") == [need.id]  # a searcher is now open and reused
    need_services.update_need(
        need,
        enterprise,
        factories.need_data(
            title="印染废水回用", keywords="中水回用 膜处理", deadline=need.deadline
        ),
    )
    db.session.commit()
    services.apply_pending()
    assert ids_for(client, "废水") == [need.id]
    assert ids_for(client, "膜处理") == [need.id]


def test_rollback_writes_nothing_to_the_index(app, enterprise, bureau):
    need = factories.need(enterprise, "submitted", title="熔体直纺断头检测")
    need_services.publish_need(need, bureau)
    db.session.rollback()
    assert db.session.execute(select(SearchOutbox)).first() is None
    assert services.get_index().stored_versions() == {}


def test_index_failure_never_fails_the_users_action(
    client, login, enterprise, bureau, monkeypatch, runner
):
    need = factories.need(enterprise, "submitted", title="定形机废气余热回收")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(SearchIndex, "apply", broken)
    login(bureau)
    response = client.post(f"/bureau/review/{need.id}/approve")
    assert response.status_code == 302
    db.session.expire_all()
    assert need.status is NeedStatus.published
    assert services.pending_count() == 1
    monkeypatch.undo()
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert services.pending_count() == 0
    assert ids_for(client, "定形机") == [need.id]


def test_a_need_that_stopped_being_public_never_shows_even_if_the_index_lags(
    client, enterprise, bureau
):
    need = factories.need(enterprise, "published", bureau=bureau, title="汽配焊接质量监测")
    services.apply_pending()
    # Change the database behind the index's back (no outbox row).
    db.session.execute(update(Need).where(Need.id == need.id).values(status="withdrawn"))
    db.session.commit()
    assert ids_for(client, "焊接") == []
    assert "汽配焊接质量监测" not in client.get("/search?q=焊接").get_data(as_text=True)


def test_confidential_text_is_never_indexed_or_found(client, enterprise, bureau, app):
    factories.need(enterprise, "published", bureau=bureau, confidential="CANARY-机密-7f3a 配方")
    services.apply_pending()
    assert ids_for(client, "CANARY") == [] and ids_for(client, "配方") == []
    root = Path(app.config["SEARCH_INDEX_DIR"])
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"CANARY" not in data and "机密".encode() not in data, path


def test_check_finds_drift_and_rebuild_repairs_it(runner, enterprise, bureau):
    a = factories.need(enterprise, "published", bureau=bureau, title="甲")
    b = factories.need(enterprise, "published", bureau=bureau, title="乙")
    services.apply_pending()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    index = services.get_index()
    index.apply([], [a.id])  # missing
    db.session.execute(update(Need).where(Need.id == b.id).values(version=Need.version + 5))
    db.session.commit()  # stale
    from datetime import UTC, date, datetime

    from search_index import NeedDocument

    index.apply(
        [
            NeedDocument(
                id=999999,
                ref="X",
                title="幽灵",
                keywords="",
                description="",
                industry="化纤",
                transformation="green",
                town="",
                budget_wan=None,
                deadline=date(2030, 1, 1),
                published_at=datetime.now(UTC),
                status="published",
                version="1",
            )
        ],
        [],
    )  # extra
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "missing: 1" in result.output and "stale: 1" in result.output
    assert "extra: 1" in result.output
    result = runner.invoke(args=["search", "rebuild", "--quiet", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_check_reports_an_index_of_an_older_format_until_rebuilt(
    runner, enterprise, bureau, monkeypatch
):
    # An index written by an earlier version (text fields with token positions, tiered
    # numbers) still answers searches, but check says so and a rebuild brings it to the
    # current format.
    from whoosh.fields import NUMERIC, TEXT

    import search_index.index as index_module

    current = index_module.build_schema

    def with_positions():
        schema = current()
        analyzer = schema["title"].analyzer
        for name in ("title", "keywords", "description"):
            schema.remove(name)
            schema.add(name, TEXT(analyzer=analyzer, stored=True, phrase=True))
        schema.remove("published")
        schema.add("published", NUMERIC(int, bits=64, sortable=True))  # 16 tiers per value
        return schema

    monkeypatch.setattr(index_module, "build_schema", with_positions)
    need = factories.need(enterprise, "published", bureau=bureau, title="玻纤池窑余热回收")
    assert runner.invoke(args=["search", "rebuild", "--quiet", "--procs", "1"]).exit_code == 0
    monkeypatch.setattr(index_module, "build_schema", current)
    assert services.get_index().search("余热").ids == [need.id]
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "title" in result.output and "published" in result.output
    assert "flask search rebuild" in result.output
    assert runner.invoke(args=["search", "rebuild", "--quiet", "--procs", "1"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert services.get_index().search("余热").ids == [need.id]


def test_search_page_highlights_facets_and_help(client, enterprise, bureau):
    factories.need(
        enterprise,
        "published",
        bureau=bureau,
        title="印染废水深度处理与中水回用",
        industry_id=factories.industry("纺织印染").id,
    )
    factories.need(enterprise, "published", bureau=bureau, title="化纤车间VOCs治理")
    services.apply_pending()
    page = client.get("/search?q=废水").get_data(as_text=True)
    assert "<mark>废水</mark>" in page and "纺织印染" in page
    page = client.get("/search?q=废气处理").get_data(as_text=True)
    assert "VOCs" in page  # a near-synonym finds the enterprise's own wording
    empty = client.get("/search?q=量子计算机芯片").get_data(as_text=True)
    assert "没有找到" in empty and "换一种说法" in empty


def test_highlights_are_escaped(client, enterprise, bureau):
    factories.need(
        enterprise, "published", bureau=bureau, title="<script>alert(1)</script>余热回收"
    )
    services.apply_pending()
    page = client.get("/search?q=余热").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    body = client.get("/api/v1/needs?q=余热").get_json()
    assert "<script>" not in body["items"][0]["highlight"]["title"]
    assert body["items"][0]["score"] > 0


@pytest.mark.parametrize(
    "q",
    [
        "*a" * 50,
        "title:abc",
        "a~2",
        "[1 TO 9]",
        '"',
        "(",
        "\x00\x1f",
        "字" * 5000,
        "🙂",
        "' OR 1=1 --",
        "AND OR NOT",
        "",
    ],
)
def test_any_query_string_returns_a_page(client, q):
    assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/api/v1/needs", query_string={"q": q}).status_code == 200


def test_index_unavailable_falls_back_to_the_database(client, enterprise, bureau, monkeypatch):
    factories.need(enterprise, "published", bureau=bureau, title="拉丝漏板寿命提升")

    def broken(*args, **kwargs):
        raise OSError("index corrupt")

    monkeypatch.setattr(SearchIndex, "search", broken)
    page = client.get("/search?q=漏板").get_data(as_text=True)
    assert "全文检索服务暂时不可用" in page and "拉丝漏板寿命提升" in page


def test_index_directory_is_private(app):
    services.get_index().ensure()
    mode = os.stat(app.config["SEARCH_INDEX_DIR"]).st_mode & 0o777
    assert mode == 0o700


def test_sync_purges_old_applied_outbox_rows(runner, enterprise, bureau):
    from datetime import timedelta

    import time_machine

    from matchmaking.timeutil import utcnow

    factories.need(enterprise, "published", bureau=bureau)
    services.apply_pending()
    with time_machine.travel(utcnow() + timedelta(days=8)):
        result = runner.invoke(args=["search", "sync"])
    assert "purged 1" in result.output
    assert db.session.execute(select(SearchOutbox)).first() is None


def test_search_is_throttled_per_ip_on_the_page_and_the_api(app):
    from tests.security.util import app_like, dispose_created

    limited = app_like(app, SEARCH_RATE_LIMIT="3 per minute")
    c = limited.test_client()
    try:
        codes = [
            c.get("/search?q=余热").status_code,
            c.get("/api/v1/needs?q=余热").status_code,
            c.get("/search?q=横机").status_code,
            c.get("/api/v1/needs?q=MES").status_code,
        ]
        assert codes == [200, 200, 200, 429]
        assert c.get("/api/v1/needs").status_code == 200  # the plain board is not a search
        other = c.get("/search?q=余热", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200
    finally:
        index = limited.extensions.get("search_index")
        if index is not None:
            index.close()
        dispose_created()


def test_status_filters_apply_the_deadline_before_any_job_has_run(client, enterprise, bureau):
    from datetime import timedelta

    import time_machine

    late = factories.need(
        enterprise,
        "published",
        bureau=bureau,
        title="余热回收甲",
        deadline=factories.today() + timedelta(days=2),
    )
    still_open = factories.need(
        enterprise,
        "published",
        bureau=bureau,
        title="余热回收乙",
        deadline=factories.today() + timedelta(days=20),
    )
    services.apply_pending()
    with time_machine.travel(late.deadline + timedelta(days=1), tick=False):
        assert ids_for(client, "余热", status="published") == [still_open.id]
        assert ids_for(client, "余热", status="closed") == [late.id]
        body = client.get("/api/v1/needs", query_string={"q": "余热", "status": "closed"})
        assert body.get_json()["total"] == 1
