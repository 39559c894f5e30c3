"""Bid and question rules: every transition, legal and illegal, by each role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaking.audit.models import AuditEvent
from matchmaking.bids import services
from matchmaking.bids.models import Bid, BidStatus
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import NeedStatus
from matchmaking.timeutil import today
from tests import factories
from tests.bids import util


@pytest.fixture
def need(enterprise, bureau):
    return factories.need(enterprise, "published", bureau=bureau)


def actions(kind: str):
    return {
        "update": lambda b, u: services.update_bid(b, u, util.bid_data(duration_months=9)),
        "withdraw": lambda b, u: services.withdraw_bid(b, u),
        "shortlist": lambda b, u: services.shortlist_bid(b, u),
        "accept": lambda b, u: services.accept_bid(b, u),
        "decline": lambda b, u: services.decline_bid(b, u, "不合适"),
    }[kind]


ALLOWED = {
    "update": "author",
    "withdraw": "author",
    "shortlist": "owner",
    "accept": "owner",
    "decline": "owner",
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize(
    "role", ["author", "colleague", "other_solver", "owner", "other_enterprise", "bureau"]
)
def test_bid_action_matrix(app, need, enterprise, other_enterprise, solver, bureau, role, action):
    bid = util.bid(need, solver)
    actor = {
        "author": solver,
        "colleague": factories.user("university", org=solver.organization),
        "other_solver": factories.user("institute"),
        "owner": enterprise,
        "other_enterprise": other_enterprise,
        "bureau": bureau,
    }[role]
    allowed = ALLOWED[action] == role or (ALLOWED[action] == "author" and role == "colleague")
    if allowed:
        actions(action)(bid, actor)
        db.session.commit()
        assert db.session.execute(
            sa.select(AuditEvent).where(
                AuditEvent.action == f"bid.{action}", AuditEvent.object_id == bid.id
            )
        ).scalar()
    else:
        with pytest.raises(PermissionDenied):
            actions(action)(bid, actor)
        db.session.rollback()
        assert db.session.get(Bid, bid.id).status is BidStatus.submitted


# (from state, action) → allowed; every other pair is an IllegalTransition
TRANSITIONS = {
    ("submitted", "update"),
    ("shortlisted", "update"),
    ("submitted", "withdraw"),
    ("shortlisted", "withdraw"),
    ("submitted", "shortlist"),
    ("submitted", "accept"),
    ("shortlisted", "accept"),
    ("submitted", "decline"),
    ("shortlisted", "decline"),
}


def _bid_in(state: str, need, solver, owner) -> Bid:
    bid = util.bid(need, solver)
    if state == "shortlisted":
        services.shortlist_bid(bid, owner)
    elif state == "accepted":
        services.accept_bid(bid, owner)
    elif state == "declined":
        services.decline_bid(bid, owner)
    elif state == "withdrawn":
        services.withdraw_bid(bid, solver)
    db.session.commit()
    return bid


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("state", [s.value for s in BidStatus])
def test_bid_transition_matrix(app, need, enterprise, solver, state, action):
    bid = _bid_in(state, need, solver, enterprise)
    actor = solver if ALLOWED[action] == "author" else enterprise
    if (state, action) in TRANSITIONS:
        actions(action)(bid, actor)
        db.session.commit()
    else:
        with pytest.raises(IllegalTransition):
            actions(action)(bid, actor)
        db.session.rollback()
        assert db.session.get(Bid, bid.id).status.value == state


def test_submit_writes_bid_and_audit(need, solver):
    bid = util.bid(need, solver, price_wan=None)
    assert bid.status is BidStatus.submitted and bid.price_wan is None
    assert bid.price_label == "面议"
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "bid.submit")
    ).scalar_one()
    assert event.actor_id == solver.id and event.object_id == bid.id


@pytest.mark.parametrize("who", ["enterprise", "bureau", "unverified_solver"])
def test_only_verified_solvers_bid(need, enterprise, bureau, who):
    actor = {
        "enterprise": enterprise,
        "bureau": bureau,
        "unverified_solver": factories.user("institute", verified=False),
    }[who]
    with pytest.raises(PermissionDenied):
        services.submit_bid(need, actor, util.bid_data())


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "withdrawn", "lapsed"])
def test_bids_only_on_published_needs(enterprise, bureau, solver, status):
    need = factories.need(enterprise, status, bureau=bureau)
    with pytest.raises(IllegalTransition):
        services.submit_bid(need, solver, util.bid_data())


def test_bid_after_the_deadline_is_refused_and_the_need_closes(need, solver):
    need.deadline = today() - timedelta(days=1)  # no job has run: still "published" stored
    db.session.commit()
    with pytest.raises(IllegalTransition) as exc:
        services.submit_bid(need, solver, util.bid_data())
    assert exc.value.code == "deadline_passed"
    assert "截止" in exc.value.message
    assert need.status is NeedStatus.closed  # ensure_current persisted the deadline


def test_bid_on_the_last_day_is_accepted(need, solver):
    need.deadline = today()
    db.session.commit()
    assert util.bid(need, solver).status is BidStatus.submitted


def test_second_live_bid_from_same_org_fails_cleanly(need, solver):
    util.bid(need, solver)
    colleague = factories.user("university", org=solver.organization)
    with pytest.raises(services.DuplicateBid) as exc:
        services.submit_bid(need, colleague, util.bid_data())
    assert "已" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1


def test_the_database_itself_forbids_a_second_live_bid(need, solver):
    util.bid(need, solver)
    db.session.add(
        Bid(
            need_id=need.id,
            organization_id=solver.organization_id,
            approach="x",
            team_lead="y",
            duration_months=3,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_index_race_is_turned_into_a_domain_error(need, solver, monkeypatch):
    """If the check passes (a colleague's bid is not committed yet), the index decides."""
    util.bid(need, solver)
    monkeypatch.setattr(services, "live_bid_of", lambda *a: None)
    with pytest.raises(services.DuplicateBid):
        services.submit_bid(need, solver, util.bid_data())
    db.session.rollback()


def test_a_withdrawn_bid_can_be_followed_by_a_new_one(need, solver):
    first = util.bid(need, solver)
    services.withdraw_bid(first, solver, "方案调整")
    db.session.commit()
    second = util.bid(need, solver)
    assert second.id != first.id and first.withdrawn_at is not None


def test_update_until_the_deadline_only(need, solver):
    bid = util.bid(need, solver)
    changed, _ = services.update_bid(bid, solver, util.bid_data(price_wan=Decimal("39.5")))
    assert changed == ["price_wan"]
    db.session.commit()
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        services.update_bid(bid, solver, util.bid_data(price_wan=Decimal("30")))


def test_withdraw_is_allowed_after_the_deadline_before_a_decision(need, solver):
    bid = util.bid(need, solver)
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    services.withdraw_bid(bid, solver)
    assert bid.status is BidStatus.withdrawn


@pytest.mark.parametrize(
    "bad",
    [
        {"duration_months": 0},
        {"duration_months": 121},
        {"price_wan": Decimal("-1")},
        {"price_wan": Decimal("1.234")},
        {"approach": "  "},
        {"team_lead": ""},
    ],
)
def test_bid_data_is_validated(need, solver, bad):
    with pytest.raises(ValidationFailed):
        services.submit_bid(need, solver, util.bid_data(**bad))


def test_accept_opens_a_match_and_more_than_one_may_be_accepted(need, enterprise, solver):
    first = util.bid(need, solver)
    second = util.bid(need, factories.user("institute"))
    m1 = services.accept_bid(first, enterprise)
    m2 = services.accept_bid(second, enterprise)
    db.session.commit()
    assert {m1.status, m2.status} == {MatchStatus.negotiating}
    assert m1.bid_id == first.id and m1.solver_org_id == solver.organization_id
    assert first.status is BidStatus.accepted and first.decided_at is not None
    assert need.status is NeedStatus.published  # only signing moves the need


def test_accept_after_the_deadline(need, enterprise, solver):
    bid = util.bid(need, solver)
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    services.accept_bid(bid, enterprise)
    assert need.status is NeedStatus.closed


def test_accepting_on_a_withdrawn_need_is_refused(need, enterprise, solver):
    from matchmaking.needs import services as need_services

    bid = util.bid(need, solver)
    need_services.withdraw_need(need, enterprise)
    db.session.commit()
    with pytest.raises(IllegalTransition) as exc:
        services.accept_bid(bid, enterprise)
    assert "已撤回" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_decline_other_bids(need, enterprise, solver):
    chosen = util.bid(need, solver)
    others = [util.bid(need, factories.user("institute")) for _ in range(2)]
    services.accept_bid(chosen, enterprise)
    assert services.decline_other_bids(need, enterprise, "已选定其他单位") == 2
    db.session.commit()
    assert all(
        b.status is BidStatus.declined and b.decline_reason == "已选定其他单位" for b in others
    )


def test_counts(need, enterprise, solver):
    b = util.bid(need, solver)
    util.bid(need, factories.user("institute"))
    services.withdraw_bid(b, solver)
    db.session.commit()
    assert services.bid_count(need) == 1
    assert services.bid_counts([need.id]) == {need.id: {"total": 1, "pending": 1}}


# --- questions ---------------------------------------------------------------------------------


def test_question_and_answer(need, enterprise, other_enterprise, solver):
    q = services.ask_question(need, solver, "是否提供样品？")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.answer_question(q, other_enterprise, "答复")
    with pytest.raises(PermissionDenied):
        services.answer_question(q, solver, "答复")
    services.answer_question(q, enterprise, "可提供 5 kg 样品。")
    db.session.commit()
    with pytest.raises(IllegalTransition):
        services.answer_question(q, enterprise, "再答一次")
    assert services.answered_questions(need) == [q]


@pytest.mark.parametrize("who", ["enterprise", "bureau"])
def test_only_solvers_ask(need, enterprise, bureau, who):
    with pytest.raises(PermissionDenied):
        services.ask_question(need, {"enterprise": enterprise, "bureau": bureau}[who], "问")


def test_no_questions_after_the_deadline(need, solver):
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        services.ask_question(need, solver, "还能问吗？")
