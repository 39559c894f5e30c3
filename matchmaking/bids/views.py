"""Pages for bids (揭榜申报), clarifying questions and the enterprise's selection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from matchmaking import uploads
from matchmaking.access import login, roles
from matchmaking.accounts.forms import EmptyForm
from matchmaking.accounts.models import Role
from matchmaking.bids import services
from matchmaking.bids.api import api_bp  # noqa: F401  (the JSON API, registered with this module)
from matchmaking.bids.forms import AnswerForm, BidForm, DeclineForm, QuestionForm
from matchmaking.bids.models import LIVE_BID_STATUSES, Bid, Question
from matchmaking.errors import DomainError
from matchmaking.extensions import db
from matchmaking.matches.models import Match
from matchmaking.needs.models import Need
from matchmaking.templating import register_nav

bp = Blueprint("bids", __name__)

register_nav("我的揭榜", "bids.mine", Role.solver.value)


# --- loading and checking -------------------------------------------------------------------


def load_bid(bid_id: int) -> Bid:
    """404 unless the current user may see the bid (its existence is not revealed)."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or not bid.can_view(current_user):
        abort(404)
    return bid


def load_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None or not need.can_view(current_user):
        abort(404)
    return need


def store_attachment(field: Any) -> services.Attachment | None:
    """Store an uploaded PDF (if any); raises ValidationFailed for a bad file."""
    file = field.data
    if not file or not getattr(file, "filename", ""):
        return None
    stored = uploads.store_pdf(file.stream, file.filename)
    return services.Attachment(stored.name, stored.key, stored.size)


def _act(action, success: str, back: str, form=None):
    """Validate the form, run the service, commit once, flash, redirect (PRG)."""
    form = form or EmptyForm()
    if not form.validate_on_submit():
        flash("表单已失效或内容不完整，请重试。", "danger")
        return redirect(back)
    try:
        result = action(form)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(success, "success")
    # A service may hand back where to go next (accepting a bid opens its match).
    return result if hasattr(result, "status_code") else redirect(back)


# --- the need page's bid panel (used by templates/needs/detail.html) --------------------------


@bp.app_template_global()
def need_bids_panel(need: Need) -> dict[str, Any]:
    """What the need page shows about bids and questions to the current user."""
    user = current_user
    owner = need.is_owned_by(user)
    bureau = bool(user.is_authenticated and user.is_bureau)
    solver = bool(user.is_authenticated and user.is_solver)
    my_bid = services.live_bid_of(need, user.organization_id) if solver else None
    questions = services.questions_for(need, user) if need.is_public or owner or bureau else []
    return {
        "bid_count": services.bid_count(need) if need.is_public or owner or bureau else 0,
        "questions": questions,
        "open": need.is_open_for_bids,
        "is_owner": owner,
        "is_bureau": bureau,
        "is_solver": solver,
        "org_verified": bool(user.is_authenticated and user.organization.is_verified),
        "my_bid": my_bid,
        "my_bids": list(
            db.session.execute(
                select(Bid)
                .where(Bid.need_id == need.id, Bid.organization_id == user.organization_id)
                .order_by(Bid.created_at.desc())
            ).scalars()
        )
        if solver
        else [],
        "question_form": QuestionForm(),
        "answer_form": AnswerForm(),
    }


@bp.app_template_global()
def need_bid_counts(needs: list[Need]) -> dict[int, dict[str, int]]:
    return services.bid_counts([n.id for n in needs])


# --- solvers: bidding -----------------------------------------------------------------------


@bp.route("/needs/<int:need_id>/bids/new", methods=["GET", "POST"])
@roles(Role.solver)
def new(need_id: int):
    need = load_need(need_id)
    existing = services.live_bid_of(need, current_user.organization_id)
    if existing is not None:
        flash("本单位已对该需求提交过揭榜申报，可在此查看或修改。", "info")
        return redirect(url_for("bids.detail", bid_id=existing.id), code=303)
    if not need.is_open_for_bids:
        flash(f"该需求{need.effective_status.label}，不接受揭榜申报。", "warning")
        return redirect(url_for("board.detail", need_id=need.id))
    form = BidForm()
    if form.validate_on_submit():
        attachment = None
        try:
            attachment = store_attachment(form.attachment)
            bid = services.submit_bid(need, current_user, form.to_data(), attachment)
        except services.DuplicateBid as exc:
            db.session.rollback()
            uploads.delete(attachment.key if attachment else None)
            existing = services.live_bid_of(need, current_user.organization_id)
            flash(exc.message, "warning")
            if existing is not None:
                return redirect(url_for("bids.detail", bid_id=existing.id), code=303)
            form.form_errors.append(exc.message)
        except DomainError as exc:
            db.session.rollback()
            uploads.delete(attachment.key if attachment else None)
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash("揭榜申报已提交，发榜企业将在截止后进行比选。", "success")
            return redirect(url_for("bids.detail", bid_id=bid.id))
    return render_template("bids/form.html", form=form, need=need, bid=None)


@bp.route("/bids/<int:bid_id>/edit", methods=["GET", "POST"])
@roles(Role.solver)
def edit(bid_id: int):
    bid = load_bid(bid_id)
    if not bid.is_authored_by(current_user):
        abort(403)
    if not bid.can_edit(current_user):
        flash("该申报已不能修改（已截止、企业已作出决定或已撤回）。", "warning")
        return redirect(url_for("bids.detail", bid_id=bid.id))
    form = BidForm.from_bid(bid)
    if form.validate_on_submit():
        attachment = None
        try:
            attachment = store_attachment(form.attachment)
            changed, replaced = services.update_bid(bid, current_user, form.to_data(), attachment)
        except DomainError as exc:
            db.session.rollback()
            uploads.delete(attachment.key if attachment else None)
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            uploads.delete(replaced)
            flash(
                "修改已保存。" if changed else "没有修改任何内容。",
                "success" if changed else "info",
            )
            return redirect(url_for("bids.detail", bid_id=bid.id))
    return render_template("bids/form.html", form=form, need=bid.need, bid=bid)


@bp.post("/bids/<int:bid_id>/withdraw")
@roles(Role.solver)
def withdraw(bid_id: int):
    bid = load_bid(bid_id)
    if not bid.is_authored_by(current_user):
        abort(403)
    return _act(
        lambda f: services.withdraw_bid(bid, current_user),
        "揭榜申报已撤回。",
        url_for("bids.detail", bid_id=bid.id),
    )


@bp.get("/bids/<int:bid_id>")
@login
def detail(bid_id: int):
    bid = load_bid(bid_id)
    match = db.session.execute(select(Match).where(Match.bid_id == bid.id)).scalar_one_or_none()
    return render_template(
        "bids/detail.html",
        bid=bid,
        need=bid.need,
        match=match,
        form=EmptyForm(),
        decline_form=DeclineForm(),
    )


@bp.get("/bids/<int:bid_id>/attachment")
@login
def attachment(bid_id: int):
    bid = load_bid(bid_id)
    if not bid.attachment_key or not uploads.exists(bid.attachment_key):
        abort(404)
    return uploads.send(bid.attachment_key, bid.attachment_name or "附件.pdf")


@bp.get("/my/bids")
@roles(Role.solver)
def mine():
    bids = (
        db.session.execute(
            select(Bid)
            .where(Bid.organization_id == current_user.organization_id)
            .options(joinedload(Bid.need))
            .order_by(Bid.created_at.desc(), Bid.id.desc())
        )
        .scalars()
        .all()
    )
    matches = (
        {
            m.bid_id: m
            for m in db.session.execute(
                select(Match).where(Match.bid_id.in_([b.id for b in bids]))
            ).scalars()
        }
        if bids
        else {}
    )
    return render_template("bids/mine.html", bids=bids, matches=matches)


# --- questions --------------------------------------------------------------------------------


@bp.post("/needs/<int:need_id>/questions")
@roles(Role.solver)
def ask(need_id: int):
    need = load_need(need_id)
    form = QuestionForm()
    return _act(
        lambda f: services.ask_question(need, current_user, f.body.data),
        "问题已提交，企业答复后将公开显示（不显示提问单位）。",
        url_for("board.detail", need_id=need.id) + "#questions",
        form=form,
    )


@bp.post("/questions/<int:question_id>/answer")
@roles(Role.enterprise)
def answer(question_id: int):
    question = db.session.get(Question, question_id)
    if question is None or not question.can_view(current_user):
        abort(404)
    if not question.need.is_owned_by(current_user):
        abort(403)
    form = AnswerForm()
    return _act(
        lambda f: services.answer_question(question, current_user, f.answer.data),
        "答复已发布。",
        url_for("board.detail", need_id=question.need_id) + "#questions",
        form=form,
    )


# --- enterprises: comparing and choosing ------------------------------------------------------


def _need_for_selection(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    if not (need.is_owned_by(current_user) or current_user.is_bureau):
        abort(403)
    return need


@bp.get("/my/needs/<int:need_id>/bids")
@roles(Role.enterprise, Role.bureau)
def compare(need_id: int):
    need = _need_for_selection(need_id)
    bids = services.bids_of_need(need)
    withdrawn = len(services.bids_of_need(need, include_withdrawn=True)) - len(bids)
    matches = list(
        db.session.execute(
            select(Match).where(Match.need_id == need.id).order_by(Match.accepted_at)
        ).scalars()
    )
    return render_template(
        "bids/compare.html",
        need=need,
        bids=bids,
        withdrawn=withdrawn,
        matches=matches,
        form=EmptyForm(),
        decline_form=DeclineForm(),
        pending=[b for b in bids if b.is_pending],
        live=[b for b in bids if b.status in LIVE_BID_STATUSES],
    )


def _own_bid(bid_id: int) -> Bid:
    bid = load_bid(bid_id)
    if not bid.need.is_owned_by(current_user):
        abort(403)
    return bid


@bp.post("/bids/<int:bid_id>/shortlist")
@roles(Role.enterprise)
def shortlist(bid_id: int):
    bid = _own_bid(bid_id)
    return _act(
        lambda f: services.shortlist_bid(bid, current_user),
        f"已将{bid.organization.name}的申报列入入围。",
        url_for("bids.compare", need_id=bid.need_id),
    )


@bp.post("/bids/<int:bid_id>/accept")
@roles(Role.enterprise)
def accept(bid_id: int):
    bid = _own_bid(bid_id)

    def run(_form):
        match = services.accept_bid(bid, current_user)
        return redirect(url_for("matches.detail", match_id=match.id))

    return _act(
        run,
        f"已选中{bid.organization.name}的申报，对接记录已建立，请在签约后登记合同。",
        url_for("bids.compare", need_id=bid.need_id),
    )


@bp.post("/bids/<int:bid_id>/decline")
@roles(Role.enterprise)
def decline(bid_id: int):
    bid = _own_bid(bid_id)
    return _act(
        lambda f: services.decline_bid(bid, current_user, f.reason.data),
        f"已将{bid.organization.name}的申报标记为未选中。",
        url_for("bids.compare", need_id=bid.need_id),
        form=DeclineForm(),
    )


@bp.post("/my/needs/<int:need_id>/bids/decline-rest")
@roles(Role.enterprise)
def decline_rest(need_id: int):
    need = _need_for_selection(need_id)
    if not need.is_owned_by(current_user):
        abort(403)
    return _act(
        lambda f: services.decline_other_bids(need, current_user, f.reason.data),
        "其余待定的申报均已标记为未选中。",
        url_for("bids.compare", need_id=need.id),
        form=DeclineForm(),
    )
