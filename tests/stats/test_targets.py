"""Targets: the bureau edits them and adds a new plan period; every change is audited."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from matchmaking.audit.models import AuditEvent
from matchmaking.errors import PermissionDenied, ValidationFailed
from matchmaking.extensions import db
from matchmaking.stats import services, targets
from matchmaking.stats.models import Metric
from tests.stats.conftest import PLAN


def _events(action: str) -> list[AuditEvent]:
    return (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )


def test_edit_a_target_clear_one_and_add_one(client, login, bureau, seeded_plan):
    login(bureau)
    page = client.get(f"/bureau/stats/targets/edit?plan={PLAN}").get_data(as_text=True)
    assert 'name="t_posted_2024"' in page and 'value="97"' in page
    response = client.post(
        f"/bureau/stats/targets/edit?plan={PLAN}",
        data={
            "t_posted_2022": "39",
            "t_posted_2023": "60",
            "t_posted_2024": "",
            "t_posted_2025": "97",
            "t_converted_2022": "20",
            "t_converted_2023": "30",
            "t_converted_2025": "",
            "t_matched_2025": "70",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    plan = targets.find_plan(PLAN)
    assert plan.targets[Metric.posted] == {2022: 39, 2023: 60, 2025: 97}
    assert plan.targets[Metric.converted] == {2022: 20, 2023: 30}
    assert plan.targets[Metric.matched] == {2025: 70}
    (event,) = _events("target.update")
    assert event.actor_id == bureau.id
    changes = json.loads(event.details)["changes"]
    assert {(c["metric"], c["year"], c["from"], c["to"]) for c in changes} == {
        ("posted", 2023, 58, 60),
        ("converted", 2025, 60, None),
        ("matched", 2025, None, 70),
    }


def test_targets_must_be_cumulative(client, login, bureau, seeded_plan):
    login(bureau)
    response = client.post(
        f"/bureau/stats/targets/edit?plan={PLAN}",
        data={
            "t_posted_2022": "39",
            "t_posted_2023": "30",
            "t_posted_2025": "97",
            "t_converted_2022": "20",
            "t_converted_2023": "30",
            "t_converted_2025": "60",
        },
    )
    assert response.status_code == 200 and "累计数" in response.get_data(as_text=True)
    db.session.expire_all()
    assert targets.find_plan(PLAN).targets[Metric.posted][2023] == 58
    assert _events("target.update") == []


def test_add_a_new_plan_period(client, login, bureau, seeded_plan):
    login(bureau)
    name = "2026—2030年“两化”改造深化方案"
    response = client.post(
        "/bureau/stats/targets/new", data={"name": name, "start_year": "2026", "end_year": "2030"}
    )
    assert response.status_code == 302
    step2 = response.headers["Location"]
    assert "start=2026" in step2 and "end=2030" in step2
    page = client.get(step2).get_data(as_text=True)
    assert 'name="t_converted_2030"' in page and 'name="t_posted_2031"' not in page
    assert client.post(step2, data={}).status_code == 200  # nothing filled in: refused
    response = client.post(
        step2, data={"t_posted_2026": "30", "t_posted_2030": "150", "t_converted_2030": "90"}
    )
    assert response.status_code == 302
    plan = targets.find_plan(name)
    assert (plan.start_year, plan.end_year) == (2026, 2030)
    assert plan.targets[Metric.posted] == {2026: 30, 2030: 150}
    assert plan.target(Metric.posted, 2027) is None  # none invented
    (event,) = _events("target.plan_create")
    assert json.loads(event.details)["plan"] == name
    # the new plan contains the current year (2026–2030) and becomes the default
    assert targets.default_plan(date(2027, 5, 1)).name == name
    assert targets.default_plan(date(2025, 5, 1)).name == PLAN
    # a second plan with the same name is refused
    response = client.post(
        "/bureau/stats/targets/new", data={"name": name, "start_year": "2026", "end_year": "2030"}
    )
    assert response.status_code == 200 and "已有名为" in response.get_data(as_text=True)


def test_new_plan_years_are_checked(client, login, bureau, seeded_plan):
    login(bureau)
    for start, end in (("2030", "2026"), ("2026", "2040")):
        response = client.post(
            "/bureau/stats/targets/new", data={"name": "x", "start_year": start, "end_year": end}
        )
        assert response.status_code == 200, (start, end)
    response = client.get("/bureau/stats/targets/edit?plan=x&start=2030&end=2026")
    assert response.status_code == 302  # a hand-made step-2 link is checked again


def test_services_refuse_non_bureau_actors(app, enterprise, seeded_plan):
    with pytest.raises(PermissionDenied):
        targets.update_plan(enterprise, targets.find_plan(PLAN), {(Metric.posted, 2024): 70})
    with pytest.raises(PermissionDenied):
        targets.create_plan(enterprise, "x", 2026, {(Metric.posted, 2026): 1})


def test_negative_and_out_of_plan_values_are_refused(app, bureau, seeded_plan):
    plan = targets.find_plan(PLAN)
    with pytest.raises(ValidationFailed):
        targets.update_plan(bureau, plan, {(Metric.posted, 2025): -1})
    with pytest.raises(ValidationFailed):
        targets.update_plan(bureau, plan, {(Metric.posted, 2040): 1})


def test_projection_under_a_plan_for_the_current_year(app, bureau, history):
    """A plan containing 'today': the dashboard warns when the pace falls short."""
    targets.create_plan(
        bureau,
        "2025—2026年试点",
        2025,
        {
            (Metric.posted, 2025): 100,
            (Metric.posted, 2026): 110,
            (Metric.converted, 2025): 2,
            (Metric.matched, 2025): 0,
        },
    )
    db.session.commit()
    p = services.progress(targets.find_plan("2025—2026年试点"), on=date(2025, 6, 30))
    posted, converted = p.projections[Metric.posted], p.projections[Metric.converted]
    assert posted.short and posted.expected == 6 and posted.target == 100
    assert posted.shortfall == 94
    # n5's second conversion (2025-01-05) does not count: the need converted in 2024
    assert converted.ytd == 0 and converted.short
    assert not p.projections[Metric.matched].short  # a target of 0 is reached


def test_cli_progress_and_export(runner, history, tmp_path):
    result = runner.invoke(args=["stats", "progress", "--plan", PLAN])
    assert result.exit_code == 0, result.output
    assert "2025  当年      3  累计     10  目标     97" in result.output
    out = tmp_path / "r.xlsx"
    result = runner.invoke(args=["stats", "export", str(out), "--plan", PLAN])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    assert "目标进度" in load_workbook(out).sheetnames
    assert len(_events("stats.export_xlsx_cli")) == 1
    result = runner.invoke(args=["stats", "export", str(out), "--from", "2024-02-30"])
    assert result.exit_code != 0 and "from" in result.output
