"""Pages for matches (对接记录): the parties' lists and detail, the bureau's overview and
its conversion confirmation queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from matchmaking import uploads
from matchmaking.access import login, roles
from matchmaking.accounts.forms import EmptyForm, ReasonForm
from matchmaking.accounts.models import Role
from matchmaking.bids.views import store_attachment
from matchmaking.errors import DomainError
from matchmaking.extensions import db
from matchmaking.matches import services
from matchmaking.matches.api import api_bp  # noqa: F401  (the JSON API, registered here)
from matchmaking.matches.forms import ConversionForm, MilestoneForm, SignForm, TerminateForm
from matchmaking.matches.models import Match, MatchStatus
from matchmaking.needs import queries
from matchmaking.pagination import Page, int_arg
from matchmaking.templating import register_nav
from matchmaking.timeutil import today

bp = Blueprint("matches", __name__)

register_nav("我的对接", "matches.mine", Role.solver.value, Role.enterprise.value)
register_nav("对接记录", "matches.overview", Role.bureau.value)
register_nav("转化确认", "matches.queue", Role.bureau.value)


def load_match(match_id: int) -> Match:
    """404 unless the current user may see the match."""
    match = db.session.get(Match, match_id)
    if match is None or not match.can_view(current_user):
        abort(404)
    return match


def _forms() -> dict:
    return {
        "sign_form": SignForm(),
        "milestone_form": MilestoneForm(),
        "conversion_form": ConversionForm(),
        "terminate_form": TerminateForm(),
        "reason_form": ReasonForm(),
        "form": EmptyForm(),
    }


def _render_detail(match: Match, **forms):
    context = _forms() | forms
    if not context["milestone_form"].is_submitted():
        context["milestone_form"].occurred_on.data = today()
    return render_template("matches/detail.html", match=match, need=match.need, **context)


def _act(match: Match, form, action, success: str, form_name: str):
    """Validate, call the service, commit once, flash and redirect; re-render on bad input."""
    if form.validate_on_submit():
        try:
            action(form)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("matches.detail", match_id=match.id))
        return redirect(url_for("matches.detail", match_id=match.id))
    return _render_detail(match, **{form_name: form}), 400


@bp.get("/matches/<int:match_id>")
@login
def detail(match_id: int):
    return _render_detail(load_match(match_id))


@bp.get("/matches/<int:match_id>/contract")
@login
def contract(match_id: int):
    match = load_match(match_id)
    if not match.contract_file_key or not uploads.exists(match.contract_file_key):
        abort(404)
    return uploads.send(match.contract_file_key, match.contract_file_name or "合同.pdf")


def _managed(match_id: int) -> Match:
    match = load_match(match_id)
    if not match.can_manage(current_user):
        abort(403)
    return match


def _party(match_id: int) -> Match:
    match = load_match(match_id)
    if not match.is_party(current_user):
        abort(403)
    return match


@bp.post("/matches/<int:match_id>/sign")
@roles(Role.enterprise)
def sign(match_id: int):
    match = _managed(match_id)
    form = SignForm()
    if not form.validate_on_submit():
        return _render_detail(match, sign_form=form), 400
    contract = None
    try:
        contract = store_attachment(form.contract)
        services.sign_match(match, current_user, form.to_data(), contract)
    except DomainError as exc:
        db.session.rollback()
        uploads.delete(contract.key if contract else None)
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash("已登记签约，需求状态已更新为“已对接”。", "success")
    return redirect(url_for("matches.detail", match_id=match.id))


@bp.post("/matches/<int:match_id>/milestones")
@roles(Role.enterprise, Role.solver)
def milestone(match_id: int):
    match = _party(match_id)
    return _act(
        match,
        MilestoneForm(),
        lambda f: services.add_milestone(match, current_user, f.occurred_on.data, f.note.data),
        "进展已记录。",
        "milestone_form",
    )


@bp.post("/matches/<int:match_id>/conversion")
@roles(Role.enterprise)
def conversion(match_id: int):
    match = _managed(match_id)
    return _act(
        match,
        ConversionForm(),
        lambda f: services.record_conversion(
            match, current_user, f.completed_on.data, f.result_summary.data
        ),
        "转化结果已登记，等待科技局确认。",
        "conversion_form",
    )


@bp.post("/matches/<int:match_id>/terminate")
@roles(Role.enterprise, Role.solver)
def terminate(match_id: int):
    match = _party(match_id)
    return _act(
        match,
        TerminateForm(),
        lambda f: services.terminate_match(match, current_user, f.reason.data),
        "对接已终止。",
        "terminate_form",
    )


@bp.post("/matches/<int:match_id>/confirm")
@roles(Role.bureau)
def confirm(match_id: int):
    match = load_match(match_id)
    form = EmptyForm()
    back = request.form.get("back") == "queue"
    if not form.validate_on_submit():
        flash("表单已失效，请重试。", "danger")
    else:
        try:
            services.confirm_conversion(match, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(f"已确认转化：{match.need.title}", "success")
    return redirect(
        url_for("matches.queue") if back else url_for("matches.detail", match_id=match.id)
    )


@bp.post("/matches/<int:match_id>/return")
@roles(Role.bureau)
def send_back(match_id: int):
    match = load_match(match_id)
    return _act(
        match,
        ReasonForm(),
        lambda f: services.return_conversion(match, current_user, f.reason.data),
        "已退回企业补充转化信息。",
        "reason_form",
    )


# --- lists ------------------------------------------------------------------------------------


@bp.get("/my/matches")
@roles(Role.enterprise, Role.solver)
def mine():
    filters = services.MatchFilters.from_args(request.args)
    page = int_arg(request.args, "page", 1)
    per_page = current_app.config["BOARD_PAGE_SIZE"]
    items, total = services.page_of(
        services.filtered(services.visible_matches(current_user), filters), page, per_page
    )
    return render_template(
        "matches/mine.html",
        page=Page(items, total, page, per_page),
        filters=filters,
        statuses=list(MatchStatus),
    )


def _years() -> list[int]:
    return list(range(today().year, 2021, -1))


@bp.get("/bureau/matches")
@roles(Role.bureau)
def overview():
    filters = services.MatchFilters.from_args(request.args)
    page = int_arg(request.args, "page", 1)
    per_page = current_app.config["BOARD_PAGE_SIZE"]
    items, total = services.page_of(
        services.filtered(services.visible_matches(current_user), filters), page, per_page
    )
    industries, towns = queries.reference_choices()
    return render_template(
        "matches/overview.html",
        page=Page(items, total, page, per_page),
        filters=filters,
        statuses=list(MatchStatus),
        industries=industries,
        towns=towns,
        solvers=services.solver_choices(),
        years=_years(),
        queue_size=len(services.confirmation_queue()),
    )


@bp.get("/bureau/matches/confirmations")
@roles(Role.bureau)
def queue():
    return render_template(
        "matches/queue.html",
        matches=services.confirmation_queue(),
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )
