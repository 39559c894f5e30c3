"""Sign-in, registration and the bureau's verification of organizations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from matchmaking.access import login, public, roles
from matchmaking.accounts import services
from matchmaking.accounts.forms import EmptyForm, LoginForm, ReasonForm, RegisterForm
from matchmaking.accounts.models import Organization, OrgKind, OrgStatus, Role
from matchmaking.errors import DomainError
from matchmaking.extensions import db
from matchmaking.reference.models import Industry, Town

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "邮箱或密码不正确，或账号已被暂时锁定（连续失败 5 次锁定 30 分钟）。"


def safe_next(target: str | None) -> str | None:
    """A same-site relative path, or None: '//host', '/\\host' and schemes are refused."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@public
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("board.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if user is None:
            flash(LOGIN_FAILED, "danger")
            form = LoginForm(email=form.email.data)  # the password is never echoed back
            return render_template("accounts/login.html", form=form)
        session.clear()  # a fresh session at sign-in: nothing from before carries privileges
        login_user(user)
        flash(f"欢迎，{user.name or user.email}。", "success")
        return redirect(safe_next(request.args.get("next")) or url_for("needs.home"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login
def logout():
    if EmptyForm().validate_on_submit():
        services.logout(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash("您已退出登录。", "info")
    return redirect(url_for("board.index"))


def _fill_choices(form: RegisterForm) -> None:
    towns = db.session.execute(select(Town).where(Town.active).order_by(Town.position)).scalars()
    form.town_id.choices = [(0, "（高校、科研院所可不选）")] + [(t.id, t.name) for t in towns]
    inds = db.session.execute(
        select(Industry).where(Industry.active).order_by(Industry.position)
    ).scalars()
    form.industry_ids.choices = [(i.id, i.name) for i in inds]


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    form = RegisterForm()
    _fill_choices(form)
    if form.validate_on_submit():
        town = db.session.get(Town, form.town_id.data) if form.town_id.data else None
        industries = db.session.execute(
            select(Industry).where(Industry.id.in_(form.industry_ids.data or []))
        ).scalars().all()
        try:
            user = services.register_organization(
                name=form.org_name.data, kind=OrgKind(form.kind.data), code=form.uscc.data,
                town=town, industries=industries, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data, email=form.email.data,
                user_name=form.user_name.data, password=form.password.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash("注册成功。单位信息正在等待科技局认证，认证后即可发布需求或揭榜。", "success")
            return redirect(url_for("needs.home"))
    return render_template("accounts/register.html", form=form)


@bp.get("/bureau/organizations")
@roles(Role.bureau)
def organizations():
    status = request.args.get("status", "unverified")
    query = select(Organization).order_by(Organization.created_at)
    if status in OrgStatus.__members__:
        query = query.where(Organization.status == OrgStatus(status))
    orgs = db.session.execute(query).scalars().all()
    return render_template("accounts/organizations.html", orgs=orgs, status=status,
                           statuses=list(OrgStatus), form=EmptyForm(), reject_form=ReasonForm())


@bp.post("/bureau/organizations/<int:org_id>/verify")
@roles(Role.bureau)
def verify(org_id: int):
    org = db.get_or_404(Organization, org_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.verify_organization(org, current_user)
        db.session.commit()
        flash(f"已认证：{org.name}", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("accounts.organizations"))


@bp.post("/bureau/organizations/<int:org_id>/reject")
@roles(Role.bureau)
def reject(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("驳回须填写理由。", "danger")
        return redirect(url_for("accounts.organizations"))
    try:
        services.reject_organization(org, current_user, form.reason.data)
        db.session.commit()
        flash(f"已驳回：{org.name}", "warning")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("accounts.organizations"))


@bp.get("/account")
@login
def account():
    return render_template("accounts/account.html", user=current_user, form=EmptyForm())
