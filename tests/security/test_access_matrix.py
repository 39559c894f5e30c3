"""Role × object matrix over every route of the app (C1–C3, C6).

Routes are discovered from ``app.url_map``, so routes added later are covered: each URL
argument is filled from a world with one object of every kind, and every role fetches every
GET route. Confidential details and bids must reach nobody but those entitled to them.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from matchmaking.access import policy_of
from matchmaking.extensions import db
from matchmaking.needs.models import Need, NeedStatus
from tests.security.conftest import BID_CANARY, CONF_CANARY

# Who may see what (DESIGN.md): confidential details — the owner and the bureau;
# a bid — its author, the need's enterprise and the bureau.
MAY_SEE_CONFIDENTIAL = {"owner", "bureau"}
MAY_SEE_BID = {"owner", "bidder", "bureau"}
DENIED = {302, 401, 403, 404, 405}


def _url(app, rule, ids, overrides=None) -> str | None:
    values = {}
    for arg in rule.arguments:
        if overrides and arg in overrides:
            values[arg] = overrides[arg]
        elif arg in ids:
            values[arg] = ids[arg]
        elif isinstance(rule._converters.get(arg), IntegerConverter):
            values[arg] = 1
        else:
            return None
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _get_rules(app):
    return [
        r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"
    ]


def _text(response) -> str:
    return response.get_data().decode("utf-8", "replace")


def test_the_world_has_what_the_matrix_needs(app, world):
    args = {a for r in app.url_map.iter_rules() for a in r.arguments} - {"filename"}
    unknown = args - set(world.ids)
    assert not unknown, f"fill these URL arguments in tests/security/conftest.py: {unknown}"


CANARY_PARTS = "7f3a 机密 CANARY"


def test_no_leak_of_confidential_details_or_bids_on_any_get_route(app, world, clients):
    leaks = []
    for rule in _get_rules(app):
        for variant in ({}, {"need_id": world.draft_need_id}):
            if variant and "need_id" not in rule.arguments:
                continue
            url = _url(app, rule, world.ids, variant)
            if url is None:
                continue
            # Search for parts of the canary: pages echo the query, but only a leak of the
            # confidential text itself can put the whole canary on the page.
            url += ("&" if "?" in url else "?") + f"q={CANARY_PARTS}"
            for viewer, c in clients.items():
                r = c.get(url)
                assert r.status_code < 500, (viewer, url, r.status_code)
                body = _text(r)
                if viewer not in MAY_SEE_CONFIDENTIAL and CONF_CANARY in body:
                    leaks.append((viewer, url, "confidential"))
                if viewer not in MAY_SEE_BID and BID_CANARY in body:
                    leaks.append((viewer, url, "bid"))
    assert leaks == []


def test_draft_needs_are_visible_only_to_owner_and_bureau(app, world, clients):
    for url in (f"/needs/{world.draft_need_id}", f"/api/v1/needs/{world.draft_need_id}"):
        for viewer, c in clients.items():
            status = c.get(url).status_code
            if viewer == "owner" and not url.startswith("/api/"):
                assert status == 200, (viewer, url)
            elif viewer not in ("owner", "bureau"):
                assert status in DENIED, (viewer, url, status)


def test_bureau_only_pages_refuse_everyone_else(app, world, clients):
    wrong = []
    for rule in _get_rules(app):
        policy = policy_of(app.view_functions[rule.endpoint]) or ""
        if policy != "roles:bureau":
            continue
        url = _url(app, rule, world.ids)
        if url is None:
            continue
        for viewer, c in clients.items():
            status = c.get(url).status_code
            if viewer == "bureau":
                continue
            expected = {302, 401} if viewer == "anonymous" else {403, 404}
            if status not in expected:
                wrong.append((viewer, url, status))
    assert wrong == []


EXPLICIT = [
    # (url template, viewers allowed a 200)
    ("/needs/{need_id}/confidential", MAY_SEE_CONFIDENTIAL),
    ("/bids/{bid_id}", MAY_SEE_BID),
    ("/api/v1/bids/{bid_id}", MAY_SEE_BID),
    ("/matches/{match_id}", {"owner", "bidder", "bureau"}),
    ("/api/v1/matches/{match_id}", {"owner", "bidder", "bureau"}),
    ("/my/needs/{need_id}/bids", {"owner"}),
    ("/api/v1/needs/{need_id}/bids", {"owner", "bureau"}),
    ("/bureau/audit/", {"bureau"}),
    ("/bureau/audit/export.csv", {"bureau"}),
]


@pytest.mark.parametrize("template,allowed", EXPLICIT, ids=[t for t, _ in EXPLICIT])
def test_object_routes(app, world, clients, template, allowed):
    url = template.format(**world.ids)
    assert app.url_map.bind("localhost").test(url.split("?")[0], "GET"), url
    for viewer, c in clients.items():
        status = c.get(url).status_code
        if viewer in allowed:
            assert status == 200, (viewer, url, status)
        elif viewer != "bureau":
            assert status in DENIED, (viewer, url, status)


def test_mass_assignment_is_ignored(client, login, enterprise, other_enterprise):
    login(enterprise)
    from tests.factories import industry

    r = client.post(
        "/my/needs/new",
        data={
            "title": "质量检测设备改造",
            "background": "现有设备检测速度慢，人工复检比例高。",
            "difficulty": "检测节拍需提升一倍以上。",
            "indicators": "检测准确率≥99%。",
            "budget_wan": "30",
            "deadline": "2099-12-31",
            "industry_id": industry().id,
            "transformation": "digital",
            "keywords": "检测",
            # Not fields of the form:
            "status": "published",
            "organization_id": other_enterprise.organization_id,
            "owner_id": other_enterprise.id,
            "id": 9999,
            "first_published_at": "2020-01-01",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    need = db.session.query(Need).filter_by(title="质量检测设备改造").one()
    assert need.status is NeedStatus.draft
    assert need.organization_id == enterprise.organization_id
    assert need.first_published_at is None and need.id != 9999
