"""The bureau's dashboard (统计看板): progress against the plan, breakdowns, response, the
town ranking (赛马), drill-down lists, targets, the printable report and the Excel export.

Every page here is for the bureau only. Bad parameters (dates, dimensions, measures) raise
ValidationFailed, which the error handler answers with a 400 page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from matchmaking.access import roles
from matchmaking.accounts.models import Role
from matchmaking.errors import DomainError
from matchmaking.extensions import db
from matchmaking.pagination import Page, int_arg
from matchmaking.stats import export, services, targets
from matchmaking.stats.forms import NewPlanForm, cell_name, grid_values, target_grid_form
from matchmaking.stats.services import Period, Selection
from matchmaking.stats.targets import METRICS, Plan
from matchmaking.templating import register_nav
from matchmaking.timeutil import local, today

bp = Blueprint("stats", __name__, url_prefix="/bureau/stats")
register_nav("统计看板", "stats.dashboard", Role.bureau.value)

DRILL_PAGE_SIZE = 50
# 流榜-risk lists, oldest first: the page shows 200, the Excel export up to 2000 (with the
# total), the printable report 100.
RISK_PAGE_LIMIT = 200
EXPORT_RISK_LIMIT = 2000
TABS = [
    ("stats.dashboard", "目标进度"),
    ("stats.breakdown", "分类统计"),
    ("stats.response", "响应情况"),
    ("stats.ranking", "镇街赛马"),
]


@bp.context_processor
def _calendar_helpers() -> dict:
    from datetime import date

    return {
        "year_start": lambda y: date(y, 1, 1),
        "year_end": lambda y: date(y, 12, 31),
        "local_date": lambda dt: local(dt).date() if dt else None,
    }


def _plan() -> Plan | None:
    name = request.args.get("plan", "").strip()
    if name:
        plan = targets.find_plan(name)
        if plan is None:
            abort(404)
        return plan
    return targets.default_plan()


def _period(plan: Plan | None, default: Period | None = None) -> Period:
    if "from" in request.args or "to" in request.args:
        return Period.parse(request.args.get("from"), request.args.get("to"))
    return default or services.plan_period(plan)


def _common(plan: Plan | None, period: Period, **extra_args: str) -> dict:
    plan_args = {"plan": plan.name} if plan else {}
    endpoint = request.endpoint or "stats.dashboard"
    quick_links = [
        (label, url_for(endpoint, **plan_args, **p.args(), **extra_args))
        for label, p in services.quick_periods(plan)
    ]
    tabs = [
        (e, label, url_for(e, **plan_args, **(period.args() if e != "stats.ranking" else {})))
        for e, label in TABS
    ]
    return {
        "plan": plan,
        "plans": targets.plans(),
        "period": period,
        "quick_links": quick_links,
        "tabs": tabs,
        "today": today(),
        "export_args": plan_args | period.args(),
        "measures": services.MEASURES,
        "measure_help": services.MEASURE_HELP,
        "dimensions": services.DIMENSIONS,
        "metrics": METRICS,
        "plan_args": plan_args,
    }


@bp.get("/")
@roles(Role.bureau)
def dashboard():
    plan = _plan()
    period = _period(plan)
    prog = services.progress(plan) if plan else None
    _, risk_total = services.lapse_risk(limit=0)
    return render_template(
        "stats/dashboard.html", progress=prog, risk_total=risk_total, **_common(plan, period)
    )


@bp.get("/breakdown")
@roles(Role.bureau)
def breakdown():
    plan = _plan()
    period = _period(plan)
    tables = {by: services.breakdown(by, period) for by in services.DIMENSIONS}
    return render_template("stats/breakdown.html", tables=tables, **_common(plan, period))


@bp.get("/response")
@roles(Role.bureau)
def response():
    plan = _plan()
    period = _period(plan)
    risk, risk_total = services.lapse_risk(limit=RISK_PAGE_LIMIT)
    return render_template(
        "stats/response.html",
        figures=services.response(period),
        risk=risk,
        risk_total=risk_total,
        risk_days=services.RISK_DAYS,
        **_common(plan, period),
    )


@bp.get("/ranking")
@roles(Role.bureau)
def ranking():
    plan = _plan()
    on = today()
    period = _period(plan, Period(on.replace(month=1, day=1), on))
    sort = request.args.get("sort", "posted")
    return render_template(
        "stats/ranking.html",
        ranking=services.town_ranking(period, sort),
        sort=sort,
        sorts=services.RANK_SORTS,
        **_common(plan, period, sort=sort),
    )


@bp.get("/drill")
@roles(Role.bureau)
def drill():
    """The needs behind a number: the same query as the count, listed."""
    args = request.args
    period = Period.parse(args.get("from"), args.get("to"))
    selection = Selection(
        args.get("measure", ""),
        period,
        args.get("by") or None,
        args.get("key") if args.get("by") else None,
    )
    page = int_arg(args, "page", 1)
    total = selection.count()
    rows = selection.rows(limit=DRILL_PAGE_SIZE, offset=(page - 1) * DRILL_PAGE_SIZE)
    value_label = None
    if selection.by:
        value_label = _key_label(selection.by, selection.key)
    return render_template(
        "stats/drill.html",
        selection=selection,
        total=total,
        page=Page(rows, total, page, DRILL_PAGE_SIZE),
        value_label=value_label,
        period=period,
        measures=services.MEASURES,
        measure_help=services.MEASURE_HELP,
        dimensions=services.DIMENSIONS,
    )


def _key_label(by: str, key: str | None) -> str:
    from matchmaking.accounts.models import Organization
    from matchmaking.needs.models import Transformation
    from matchmaking.reference.models import Industry, Town

    if key in (None, services.UNASSIGNED):
        return "未填写"
    if by == "transformation":
        return Transformation(key).label
    model = {"industry": Industry, "town": Town, "solver": Organization}[by]
    entry = db.session.get(model, int(key))
    return entry.name if entry else f"#{key}"


# --- report and export (both audited) ---------------------------------------------------------


def _report(risk_limit: int | None = None) -> services.Report:
    plan = _plan()
    on = today()
    period = _period(plan)
    return services.report(
        plan, period, on, rank_by=request.args.get("sort", "posted"), risk_limit=risk_limit
    )


@bp.get("/report")
@roles(Role.bureau)
def report():
    r = _report(risk_limit=100)  # the printed list stops at 100; the export has them all
    export.record_export(current_user, "report", r)
    db.session.commit()
    return render_template("stats/report.html", r=r, **_common(r.plan, r.period))


@bp.get("/export.xlsx")
@roles(Role.bureau)
def export_xlsx():
    r = _report(risk_limit=EXPORT_RISK_LIMIT)
    data = export.workbook(r)
    export.record_export(current_user, "xlsx", r)
    db.session.commit()
    filename = f"揭榜统计_{r.as_of.isoformat()}.xlsx"
    from urllib.parse import quote

    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": "attachment; filename=stats.xlsx; "
            f"filename*=UTF-8''{quote(filename)}"
        },
    )


# --- targets -----------------------------------------------------------------------------------


@bp.get("/targets")
@roles(Role.bureau)
def target_list():
    return render_template("stats/targets.html", plans=targets.plans(), metrics=METRICS)


@bp.route("/targets/new", methods=["GET", "POST"])
@roles(Role.bureau)
def target_new():
    """Step 1 of a new plan period: its name and years; step 2 is the grid of targets."""
    form = NewPlanForm()
    if form.validate_on_submit():
        try:
            name = targets.check_new_plan(form.name.data, form.start_year.data, form.end_year.data)
        except DomainError as exc:
            form.form_errors.append(exc.message)
        else:
            return redirect(
                url_for(
                    "stats.target_edit",
                    plan=name,
                    start=form.start_year.data,
                    end=form.end_year.data,
                )
            )
    return render_template("stats/target_new.html", form=form)


@bp.route("/targets/edit", methods=["GET", "POST"])
@roles(Role.bureau)
def target_edit():
    name = request.args.get("plan", "").strip()
    plan = targets.find_plan(name)
    is_new = plan is None
    end = int_arg(request.args, "end", 0, lo=0, hi=targets.MAX_YEAR)
    if is_new:
        start = int_arg(request.args, "start", 0, lo=0, hi=targets.MAX_YEAR)
        try:
            name = targets.check_new_plan(name, start, end)
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("stats.target_new"))
        plan = Plan(name, start)
    years = range(
        plan.start_year,
        min(max(plan.end_year, end), plan.start_year + targets.MAX_PLAN_YEARS - 1) + 1,
    )
    form = target_grid_form(years, plan.targets)
    if form.validate_on_submit():
        values = grid_values(form, years)
        try:
            if is_new:
                targets.create_plan(current_user, plan.name, plan.start_year, values)
            else:
                changes = targets.update_plan(current_user, plan, values)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            if is_new:
                flash(f"已新增规划：{plan.name}", "success")
            elif changes:
                flash(f"已保存 {len(changes)} 项目标修改。", "success")
            else:
                flash("没有修改任何目标。", "info")
            return redirect(url_for("stats.target_list"))
    return render_template(
        "stats/target_edit.html",
        form=form,
        plan=plan,
        years=years,
        is_new=is_new,
        metrics=METRICS,
        cell_name=cell_name,
        end=years[-1],
    )
