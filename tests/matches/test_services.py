"""Match rules: every transition by each role, and the need following its matches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaking.audit.models import AuditEvent
from matchmaking.bids import services as bid_services
from matchmaking.bids.models import BidStatus
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.matches import services
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs.models import NeedStatus
from matchmaking.timeutil import today
from tests import factories
from tests.bids import util


@pytest.fixture
def need(enterprise, bureau):
    return factories.need(enterprise, "published", bureau=bureau)


def sign_data(**kw):
    return services.SignData(
        **(
            {
                "signed_on": today(),
                "contract_amount_wan": Decimal("40"),
                "contract_reg_no": "330483",
            }
            | kw
        )
    )


ACTIONS = {
    "sign": lambda m, u: services.sign_match(m, u, sign_data()),
    "milestone": lambda m, u: services.add_milestone(m, u, today(), "完成小试"),
    "record": lambda m, u: services.record_conversion(m, u, today(), "已应用"),
    "confirm": lambda m, u: services.confirm_conversion(m, u),
    "return": lambda m, u: services.return_conversion(m, u, "请补充检测报告"),
    "terminate": lambda m, u: services.terminate_match(m, u, "合作终止"),
}
# action → (state it needs, roles allowed)
RULES = {
    "sign": ({"negotiating"}, {"owner"}),
    "milestone": ({"negotiating", "signed", "recorded"}, {"owner", "solver"}),
    "record": ({"signed"}, {"owner"}),
    "confirm": ({"recorded"}, {"bureau"}),
    "return": ({"recorded"}, {"bureau"}),
    "terminate": ({"negotiating", "signed", "recorded"}, {"owner", "solver"}),
}
STATES = ["negotiating", "signed", "recorded", "converted", "terminated"]
ROLES = ["owner", "solver", "other_solver", "other_enterprise", "bureau"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(need, enterprise, other_enterprise, solver, bureau, action, role):
    state = sorted(RULES[action][0])[-1] if action != "sign" else "negotiating"
    m = util.match(need, solver, enterprise, state=state, bureau=bureau)
    actor = {
        "owner": enterprise,
        "solver": solver,
        "other_solver": factories.user("institute"),
        "other_enterprise": other_enterprise,
        "bureau": bureau,
    }[role]
    if role in RULES[action][1]:
        ACTIONS[action](m, actor)
        db.session.commit()
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](m, actor)
        db.session.rollback()


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("state", STATES)
def test_transition_matrix(need, enterprise, solver, bureau, action, state):
    m = util.match(need, solver, enterprise, state=state, bureau=bureau)
    actor = bureau if action in ("confirm", "return") else enterprise
    before = m.status
    if state in RULES[action][0]:
        ACTIONS[action](m, actor)
        db.session.commit()
        assert (
            db.session.execute(
                sa.select(AuditEvent)
                .where(
                    AuditEvent.object_type == "match",
                    AuditEvent.object_id == m.id,
                    AuditEvent.action.like("match.%"),
                )
                .order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )
    else:
        with pytest.raises(IllegalTransition):
            ACTIONS[action](m, actor)
        db.session.rollback()
        assert db.session.get(Match, m.id).status is before


def test_confirming_a_conversion_that_is_not_recorded(need, enterprise, solver, bureau):
    m = util.match(need, solver, enterprise, state="signed")
    with pytest.raises(IllegalTransition) as exc:
        services.confirm_conversion(m, bureau)
    assert exc.value.code == "conversion_not_recorded"
    assert "尚未登记" in exc.value.message


def test_need_follows_its_matches(need, enterprise, solver, bureau):
    m = util.match(need, solver, enterprise)
    assert need.status is NeedStatus.published  # accepted: negotiating, need unchanged
    services.sign_match(m, enterprise, sign_data())
    db.session.commit()
    assert need.status is NeedStatus.matched  # signed before the deadline: published → matched
    services.record_conversion(m, enterprise, today(), "成果")
    db.session.commit()
    assert need.status is NeedStatus.matched
    services.confirm_conversion(m, bureau)
    db.session.commit()
    assert need.status is NeedStatus.converted and m.confirmed_at and m.confirmed_by_id
    actions = (
        db.session.execute(
            sa.select(AuditEvent.action).where(
                AuditEvent.object_type == "need", AuditEvent.object_id == need.id
            )
        )
        .scalars()
        .all()
    )
    assert "need.match" in actions and "need.convert" in actions


def test_closed_need_becomes_matched_and_a_second_conversion_counts_once(
    need, enterprise, solver, bureau
):
    b1 = util.bid(need, solver)
    b2 = util.bid(need, factories.user("institute"))
    need.deadline = today() - timedelta(days=1)
    db.session.commit()
    m1 = bid_services.accept_bid(b1, enterprise)
    m2 = bid_services.accept_bid(b2, enterprise)
    assert need.status is NeedStatus.closed
    for m in (m1, m2):
        services.sign_match(m, enterprise, sign_data())
        services.record_conversion(m, enterprise, today(), "成果")
        services.confirm_conversion(m, bureau)
    db.session.commit()
    assert need.status is NeedStatus.converted
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "need.convert", AuditEvent.object_id == need.id)
        )
        == 1
    )


def test_terminated_signed_match_keeps_need_matched_and_signed_on(need, enterprise, solver):
    m = util.match(need, solver, enterprise, state="signed")
    services.terminate_match(m, solver, "资金未到位")
    db.session.commit()
    assert m.status is MatchStatus.terminated and m.signed_on == today()
    assert need.status is NeedStatus.matched


def test_sign_on_a_withdrawn_need_is_refused(need, enterprise, solver):
    from matchmaking.needs import services as need_services

    m = util.match(need, solver, enterprise)
    need_services.withdraw_need(need, enterprise)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        services.sign_match(m, enterprise, sign_data())


@pytest.mark.parametrize(
    "bad",
    [
        {"signed_on": today() + timedelta(days=1)},
        {"contract_amount_wan": Decimal("-1")},
        {"signed_on": today() - timedelta(days=3650)},
        {"contract_reg_no": "x" * 61},
    ],
)
def test_sign_validation(need, enterprise, solver, bad):
    m = util.match(need, solver, enterprise)
    with pytest.raises(ValidationFailed):
        services.sign_match(m, enterprise, sign_data(**bad))


def test_conversion_validation_and_return(need, enterprise, solver, bureau):
    m = util.match(need, solver, enterprise, state="signed")
    with pytest.raises(ValidationFailed):
        services.record_conversion(m, enterprise, today() + timedelta(days=1), "成果")
    with pytest.raises(ValidationFailed):
        services.record_conversion(m, enterprise, today() - timedelta(days=1), "成果")
    with pytest.raises(ValidationFailed):
        services.record_conversion(m, enterprise, today(), " ")
    services.record_conversion(m, enterprise, today(), "成果")
    services.return_conversion(m, bureau, "请补充第三方检测报告")
    db.session.commit()
    assert not m.awaits_confirmation and m.conversion_return_reason
    with pytest.raises(IllegalTransition):
        services.confirm_conversion(m, bureau)
    services.record_conversion(m, enterprise, today(), "成果（已补充检测报告）")
    services.confirm_conversion(m, bureau)
    db.session.commit()
    assert m.status is MatchStatus.converted


def test_database_forbids_converted_without_confirmation(need, enterprise, solver):
    m = util.match(need, solver, enterprise, state="signed")
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Match)
            .where(Match.id == m.id)
            .values(status=MatchStatus.converted, completed_on=today())
        )
        db.session.commit()
    db.session.rollback()


# --- the lapse rule ------------------------------------------------------------------------------


def test_lapse_job(app, runner, enterprise, solver, bureau):
    quiet = factories.need(enterprise, "published", bureau=bureau, title="无人对接")
    pending_bid = util.bid(quiet, solver)
    busy = factories.need(enterprise, "published", bureau=bureau, title="洽谈中")
    util.match(busy, solver, enterprise)
    recent = factories.need(enterprise, "published", bureau=bureau, title="刚截止")
    for n, days in ((quiet, 100), (busy, 100), (recent, 10)):
        n.deadline = today() - timedelta(days=days)
    db.session.commit()
    app.config["LAPSE_AFTER_DAYS"] = 30
    dry = runner.invoke(args=["matches", "lapse", "--dry-run"])
    assert dry.exit_code == 0 and "1 条需求将流榜" in dry.output
    result = runner.invoke(args=["matches", "lapse"])
    assert result.exit_code == 0, result.output
    assert "1 条需求已标记为流榜" in result.output
    db.session.expire_all()
    assert quiet.status is NeedStatus.lapsed
    assert busy.effective_status is NeedStatus.closed  # a live match keeps it
    assert recent.effective_status is NeedStatus.closed  # 10 days after the deadline: not yet
    assert pending_bid.status is BidStatus.declined and pending_bid.decline_reason == "需求已流榜"
    assert runner.invoke(args=["matches", "lapse", "--days", "5"]).exit_code == 0
    db.session.expire_all()
    assert recent.status is NeedStatus.lapsed


def test_terminated_match_does_not_keep_a_need_from_lapsing(enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    m = util.match(need, solver, enterprise)
    services.terminate_match(m, enterprise, "未谈妥")
    need.deadline = today() - timedelta(days=100)
    db.session.commit()
    assert [n.id for n in services.lapse_unmatched_needs(90)] == [need.id]
