"""Every legal and illegal transition of a need, by each role."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from matchmaking.audit.models import AuditEvent
from matchmaking.errors import IllegalTransition, PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.needs import services
from matchmaking.needs.models import NeedStatus
from matchmaking.search.models import SearchOutbox
from matchmaking.timeutil import today
from tests import factories

ALL = ["draft", "submitted", "returned", "published", "closed", "lapsed", "withdrawn"]


def actors(enterprise, other_enterprise, solver, bureau):
    return {
        "owner": enterprise,
        "other_enterprise": other_enterprise,
        "solver": solver,
        "bureau": bureau,
    }


# (action, actor, from-states where it is legal, resulting state)
RULES = [
    ("submit", "owner", {"draft", "returned"}, "submitted"),
    ("publish", "bureau", {"submitted"}, "published"),
    ("return", "bureau", {"submitted"}, "returned"),
    ("withdraw", "owner", {"draft", "submitted", "returned", "published"}, "withdrawn"),
    ("lapse", "bureau", {"closed"}, "lapsed"),
]


def perform(action, need, actor):
    if action == "submit":
        services.submit_need(need, actor)
    elif action == "publish":
        services.publish_need(need, actor)
    elif action == "return":
        services.return_need(need, actor, "指标不清楚")
    elif action == "withdraw":
        services.withdraw_need(need, actor)
    elif action == "lapse":
        services.lapse_need(need, actor)


CASES = [
    (action, who, state, legal_from if who == legal_actor else set(), result)
    for action, legal_actor, legal_from, result in RULES
    for who in ("owner", "other_enterprise", "solver", "bureau")
    for state in ALL
]


@pytest.mark.parametrize(
    ("action", "who", "state", "legal_states", "result"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES],
)
def test_transition_matrix(
    action, who, state, legal_states, result, enterprise, other_enterprise, solver, bureau
):
    need = factories.need(enterprise, state, bureau=bureau)
    actor = actors(enterprise, other_enterprise, solver, bureau)[who]
    events_before = db.session.execute(select(AuditEvent.id)).scalars().all()
    if state in legal_states:
        perform(action, need, actor)
        db.session.commit()
        assert need.status is NeedStatus(result)
        event = db.session.execute(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one()
        assert (event.action, event.from_state, event.to_state, event.actor_id) == (
            f"need.{action}",
            state,
            result,
            actor.id,
        )
    else:
        with pytest.raises((IllegalTransition, PermissionDenied)):
            perform(action, need, actor)
        db.session.rollback()
        db.session.expire_all()
        assert need.status is NeedStatus(state)
        assert db.session.execute(select(AuditEvent.id)).scalars().all() == events_before


def test_publishing_records_the_first_published_time_once(enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    first = need.first_published_at
    assert first is not None
    services.update_need(need, enterprise, factories.need_data(title="新的名称"))
    assert need.status is NeedStatus.submitted  # essential change: back to review
    services.publish_need(need, bureau)
    db.session.commit()
    assert need.first_published_at == first


def test_non_essential_edit_keeps_a_published_need_on_the_board(enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    changed = services.update_need(
        need,
        enterprise,
        factories.need_data(keywords="新 关键词", deadline=need.deadline + timedelta(days=10)),
    )
    db.session.commit()
    assert set(changed) == {"keywords", "deadline"}
    assert need.status is NeedStatus.published


def test_a_published_deadline_can_not_be_brought_forward(enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    with pytest.raises(ValidationFailed):
        services.update_need(
            need, enterprise, factories.need_data(deadline=need.deadline - timedelta(days=1))
        )


def test_return_needs_a_reason(enterprise, bureau):
    need = factories.need(enterprise, "submitted")
    with pytest.raises(ValidationFailed):
        services.return_need(need, bureau, "  ")


def test_returned_need_can_be_resubmitted(enterprise, bureau):
    need = factories.need(enterprise, "returned", bureau=bureau)
    assert need.return_reason
    services.submit_need(need, enterprise)
    services.publish_need(need, bureau)
    db.session.commit()
    assert need.status is NeedStatus.published and need.return_reason is None


def test_deadline_closes_a_need_on_read_and_on_write(client, enterprise, bureau):
    need = factories.need(
        enterprise, "published", bureau=bureau, deadline=today() + timedelta(days=2)
    )
    with time_machine.travel(need.deadline + timedelta(days=1), tick=False):
        # Read: no job has run, yet the need is closed everywhere it is shown.
        assert need.effective_status is NeedStatus.closed
        assert client.get("/api/v1/needs").get_json()["total"] == 0
        assert client.get(f"/api/v1/needs/{need.id}").get_json()["status"] == "closed"
        # Write: any write path persists the closing first.
        with pytest.raises(IllegalTransition):
            services.withdraw_need(need, enterprise)
        db.session.rollback()
        assert services.close_expired_needs() == 1
        db.session.commit()
        assert need.status is NeedStatus.closed and need.closed_at is not None


def test_need_open_through_its_deadline_day(enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    with time_machine.travel(need.deadline, tick=False):
        assert need.effective_status is NeedStatus.published


def test_submitting_needs_a_future_deadline(enterprise):
    need = factories.need(enterprise, "draft")
    with (
        time_machine.travel(need.deadline + timedelta(days=1), tick=False),
        pytest.raises(ValidationFailed),
    ):
        services.submit_need(need, enterprise)


def test_public_changes_write_an_outbox_row(enterprise, bureau):
    need = factories.need(enterprise, "submitted")
    assert db.session.execute(select(SearchOutbox)).first() is None
    services.publish_need(need, bureau)
    services.withdraw_need(need, enterprise)
    db.session.commit()
    rows = db.session.execute(select(SearchOutbox.need_id)).scalars().all()
    assert rows == [need.id, need.id]


def test_confidential_view_by_the_bureau_is_audited(enterprise, bureau, solver):
    need = factories.need(enterprise, "published", bureau=bureau)
    assert "CANARY" in services.view_confidential(need, bureau)
    with pytest.raises(PermissionDenied):
        services.view_confidential(need, solver)
    db.session.commit()
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "need.view_confidential"))
        .scalar_one()
        .actor_id
        == bureau.id
    )


def test_review_queue_is_oldest_first(enterprise, bureau):
    first = factories.need(enterprise, "submitted", title="先提交")
    second = factories.need(enterprise, "submitted", title="后提交")
    factories.need(enterprise, "draft")
    assert [n.id for n in services.review_queue()] == [first.id, second.id]
