"""Pages for needs: the public board, the enterprise's own needs, the bureau's review."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from matchmaking.access import login, public, roles
from matchmaking.accounts.forms import EmptyForm, ReasonForm
from matchmaking.accounts.models import Role
from matchmaking.actions import perform
from matchmaking.errors import DomainError
from matchmaking.extensions import db
from matchmaking.needs import queries, services
from matchmaking.needs.forms import NeedForm
from matchmaking.needs.models import Need, NeedStatus
from matchmaking.pagination import Page, int_arg
from matchmaking.timeutil import today

board_bp = Blueprint("board", __name__)
bp = Blueprint("needs", __name__, url_prefix="/my")
review_bp = Blueprint("review", __name__, url_prefix="/bureau/review")


# --- public board ---------------------------------------------------------------------------


@board_bp.get("/")
@public
def index():
    filters = queries.BoardFilters.from_args(request.args)
    per_page = current_app.config["BOARD_PAGE_SIZE"]
    page = int_arg(request.args, "page", 1)
    items, total = queries.page_of(queries.board_select(filters), page, per_page)
    industries, towns = queries.reference_choices()
    return render_template(
        "needs/board.html",
        page=Page(items, total, page, per_page),
        filters=filters,
        industries=industries,
        towns=towns,
        status_filters=queries.STATUS_FILTERS,
        today=today(),
    )


def load_need(need_id: int) -> Need:
    """404 unless the current user may see the need at all (existence is not revealed)."""
    need = db.session.get(Need, need_id)
    if need is None or not need.can_view(current_user):
        abort(404)
    return need


@board_bp.get("/needs/<int:need_id>")
@public
def detail(need_id: int):
    need = load_need(need_id)
    return render_template(
        "needs/detail.html",
        need=need,
        show_confidential=need.is_owned_by(current_user),
        can_reveal=current_user.is_authenticated and current_user.is_bureau,
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


@board_bp.get("/needs/<int:need_id>/confidential")
@roles(Role.bureau, Role.enterprise)
def confidential(need_id: int):
    need = load_need(need_id)
    if not need.can_view_confidential(current_user):
        abort(403)
    text = services.view_confidential(need, current_user)
    db.session.commit()
    return render_template("needs/confidential.html", need=need, text=text)


# --- the enterprise's own needs ---------------------------------------------------------------


@bp.get("/")
@login
def home():
    if current_user.is_bureau:
        return redirect(url_for("review.queue"))
    if current_user.is_enterprise:
        return redirect(url_for("needs.mine"))
    return redirect(url_for("board.index"))


@bp.get("/needs")
@roles(Role.enterprise)
def mine():
    needs = (
        db.session.execute(
            select(Need)
            .where(Need.organization_id == current_user.organization_id)
            .order_by(Need.updated_at.desc())
        )
        .scalars()
        .all()
    )
    return render_template("needs/mine.html", needs=needs, form=EmptyForm())


def _industry_choices(form: NeedForm) -> None:
    industries, _ = queries.reference_choices()
    form.industry_id.choices = [(0, "请选择")] + [(i.id, i.name) for i in industries]


@bp.route("/needs/new", methods=["GET", "POST"])
@roles(Role.enterprise)
def create():
    form = NeedForm()
    _industry_choices(form)
    if form.validate_on_submit():
        try:
            need = services.create_need(current_user, form.to_data())
            if request.form.get("action") == "submit":
                services.submit_need(need, current_user)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(
                "已提交科技局审核。" if need.status is NeedStatus.submitted else "草稿已保存。",
                "success",
            )
            return redirect(url_for("board.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=None)


def _own_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    if not need.is_owned_by(current_user):
        abort(403)
    return need


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@roles(Role.enterprise)
def edit(need_id: int):
    need = _own_need(need_id)
    if not need.can_edit(current_user) or need.effective_status is not need.status:
        flash(f"{need.effective_status.label}状态的需求不能修改。", "warning")
        return redirect(url_for("board.detail", need_id=need.id))
    form = NeedForm.from_need(need)
    _industry_choices(form)
    if form.validate_on_submit():
        was_published = need.status is NeedStatus.published
        try:
            changed = services.update_need(need, current_user, form.to_data())
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            if not changed:
                flash("没有修改任何内容。", "info")
            elif was_published and need.status is NeedStatus.submitted:
                flash("修改了核心内容，需求已撤下榜单并重新提交科技局审核。", "warning")
            else:
                flash("修改已保存。", "success")
            return redirect(url_for("board.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=need)


@bp.post("/needs/<int:need_id>/submit")
@roles(Role.enterprise)
def submit(need_id: int):
    need = _own_need(need_id)
    return _transition(need, lambda: services.submit_need(need, current_user), "已提交科技局审核。")


@bp.post("/needs/<int:need_id>/withdraw")
@roles(Role.enterprise)
def withdraw(need_id: int):
    need = _own_need(need_id)
    return _transition(need, lambda: services.withdraw_need(need, current_user), "需求已撤回。")


def _transition(need: Need, action, success: str, *, form=None, back: str | None = None):
    perform(action, success, form=form)
    return redirect(back or url_for("board.detail", need_id=need.id))


# --- the bureau's review queue ----------------------------------------------------------------


@review_bp.get("/")
@roles(Role.bureau)
def queue():
    return render_template(
        "needs/review_queue.html",
        needs=services.review_queue(),
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


@review_bp.post("/<int:need_id>/approve")
@roles(Role.bureau)
def approve(need_id: int):
    need = db.get_or_404(Need, need_id)
    return _transition(
        need,
        lambda: services.publish_need(need, current_user),
        f"已发榜：{need.title}",
        back=url_for("review.queue"),
    )


@review_bp.post("/<int:need_id>/return")
@roles(Role.bureau)
def send_back(need_id: int):
    need = db.get_or_404(Need, need_id)
    form = ReasonForm()
    return _transition(
        need,
        lambda: services.return_need(need, current_user, form.reason.data),
        f"已退回：{need.title}",
        form=form,
        back=url_for("review.queue"),
    )
