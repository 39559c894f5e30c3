"""A small world with an object of every kind, and signed-in clients of every role."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from matchmaking.bids import services as bid_services
from matchmaking.extensions import db
from tests import factories

CONF_CANARY = "CANARY-机密-7f3a"  # also in factories.need_data(confidential=...)
BID_CANARY = "BIDCANARY-方案-9c1e"


@pytest.fixture(autouse=True)
def _dispose_extra_apps():
    """Second apps made in a test hold their own connection pools: close them."""
    yield
    from tests.security.util import dispose_created

    dispose_created()


@dataclass
class World:
    users: dict = field(default_factory=dict)  # viewer name -> User (None for anonymous)
    ids: dict = field(default_factory=dict)  # URL argument name -> object id
    draft_need_id: int = 0


@pytest.fixture
def world(app, bureau, enterprise, other_enterprise, solver):
    from tests.bids import util as bid_util

    other_solver = factories.user("institute")
    published = factories.need(enterprise, "published", bureau=bureau)
    draft = factories.need(enterprise, "draft", title="未提交的草稿需求")
    bid = bid_util.bid(published, solver, approach=BID_CANARY + " 技术路线")
    question = bid_services.ask_question(published, solver, "请问现场是否可以试验？")
    db.session.commit()
    matched_need = factories.need(enterprise, "published", bureau=bureau, title="第二个需求")
    match = bid_util.match(matched_need, solver, enterprise)
    return World(
        users={
            "anonymous": None,
            "owner": enterprise,
            "other_enterprise": other_enterprise,
            "bidder": solver,
            "other_solver": other_solver,
            "bureau": bureau,
        },
        ids={
            "need_id": published.id,
            "bid_id": bid.id,
            "match_id": match.id,
            "question_id": question.id,
            "org_id": other_enterprise.organization_id,
            "entry_id": 1,
            "kind": "industries",
        },
        draft_need_id=draft.id,
    )


@pytest.fixture
def clients(app, world):
    """viewer name -> a test client signed in as that viewer."""
    out = {}
    for name, user in world.users.items():
        c = app.test_client()
        if user is not None:
            assert factories.sign_in(c, user).status_code == 302
        out[name] = c
    return out
