"""Sign-in, registration and the bureau's verification of organizations."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from matchmaking.access import login, public, roles
from matchmaking.accounts import services
from matchmaking.accounts.forms import (
    ChangePasswordForm,
    EmptyForm,
    LoginForm,
    ReasonForm,
    RegisterForm,
    TotpChangeForm,
    TotpForm,
)
from matchmaking.accounts.models import Organization, OrgKind, OrgStatus, Role, User
from matchmaking.errors import DomainError
from matchmaking.extensions import db, limiter
from matchmaking.reference.models import Industry, Town
from matchmaking.security import sessions, totp

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "邮箱或密码不正确，或账号已被暂时锁定（连续失败 5 次锁定 30 分钟）。"
TOTP_FAILED = "动态验证码不正确或已使用过，请等待下一个验证码（连续失败 5 次将锁定账号 30 分钟）。"
# Between the password and the second factor: this long to type the code.
PENDING_LOGIN_SECONDS = 300
NEW_TOTP_KEY = "_totp_new"  # session key of a secret being enrolled


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


login_throttle = limiter.limit(_login_limit, methods=["POST"], scope="login")


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
@login_throttle
@public
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("board.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.check_password(form.email.data, form.password.data)
        target = safe_next(request.args.get("next"))
        if user is None:
            db.session.commit()
            flash(LOGIN_FAILED, "danger")
            form = LoginForm(email=form.email.data)  # the password is never echoed back
            return render_template("accounts/login.html", form=form)
        if sessions.needs_second_factor(user) or user.totp_secret:
            db.session.commit()
            session.clear()
            session[sessions.PENDING] = {
                "uid": user.id,
                "ver": user.session_version,
                "at": int(time.time()),
                "next": target,
            }
            return redirect(
                url_for("accounts.login_totp" if user.totp_secret else "accounts.totp_setup")
            )
        services.complete_login(user)
        db.session.commit()
        sessions.start_session(user)  # a fresh session: nothing from before carries privileges
        flash(f"欢迎，{user.name or user.email}。", "success")
        return redirect(target or url_for("needs.home"))
    return render_template("accounts/login.html", form=form)


def _pending_user() -> tuple[User | None, dict]:
    """The user who passed the password step in this browser a few minutes ago, if any."""
    pending = session.get(sessions.PENDING)
    if not isinstance(pending, dict):
        return None, {}
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_LOGIN_SECONDS:
        session.pop(sessions.PENDING, None)
        return None, {}
    user = db.session.get(User, pending.get("uid"))
    if user is None or user.session_version != pending.get("ver") or not user.active:
        return None, {}
    return user, pending


def _finish_second_factor(user: User, pending: dict, method: str):
    services.complete_login(user, method=method)
    db.session.commit()
    sessions.start_session(user, mfa=True)
    flash(f"欢迎，{user.name or user.email}。", "success")
    return redirect(safe_next(pending.get("next")) or url_for("needs.home"))


def _restart_login(message: str):
    session.clear()
    flash(message, "warning")
    return redirect(url_for("accounts.login"))


@bp.route("/login/totp", methods=["GET", "POST"])
@login_throttle
@public
def login_totp():
    if current_user.is_authenticated:
        return redirect(url_for("needs.home"))
    user, pending = _pending_user()
    if user is None or not user.totp_secret:
        return _restart_login("登录步骤已过期，请重新输入邮箱和密码。")
    form = TotpForm()
    if form.validate_on_submit():
        ok = services.verify_second_factor(user, form.code.data)
        if ok:
            return _finish_second_factor(user, pending, "password+totp")
        db.session.commit()
        if services.is_locked(user):
            return _restart_login(LOGIN_FAILED)
        flash(TOTP_FAILED, "danger")
        form = TotpForm(formdata=None)
    return render_template("accounts/totp.html", form=form)


@bp.route("/login/totp/setup", methods=["GET", "POST"])
@login_throttle
@public
def totp_setup():
    """First sign-in of an account that needs a second factor: enrol an authenticator app.

    The secret is shown only here, only to the person who has just given the password.
    """
    if current_user.is_authenticated:
        return redirect(url_for("needs.home"))
    user, pending = _pending_user()
    if user is None or user.totp_secret:
        return _restart_login("登录步骤已过期，请重新输入邮箱和密码。")
    secret = pending.get("secret") or totp.new_secret()
    if pending.get("secret") != secret:
        session[sessions.PENDING] = pending | {"secret": secret}
    form = TotpForm()
    if form.validate_on_submit():
        if services.enrol_second_factor(user, secret, form.code.data, actor=user):
            return _finish_second_factor(user, pending, "password+totp_enrol")
        db.session.commit()
        if services.is_locked(user):
            return _restart_login(LOGIN_FAILED)
        flash(TOTP_FAILED, "danger")
        form = TotpForm(formdata=None)
    return render_template(
        "accounts/totp_setup.html",
        form=form,
        secret=secret,
        uri=totp.provisioning_uri(secret, user.email),
        first_login=True,
    )


@bp.post("/logout")
@login
def logout():
    if EmptyForm().validate_on_submit():
        services.logout(current_user._get_current_object())
        db.session.commit()
        sessions.end_session()
        flash("您已退出登录。", "info")
    return redirect(url_for("board.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login
def change_password():
    """Re-authentication with the current password; every other session is signed out."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current.data, form.password.data)
        except DomainError as exc:
            db.session.commit()  # a wrong current password counts towards the lockout
            if services.is_locked(user):
                sessions.end_session()
                flash(LOGIN_FAILED, "danger")
                return redirect(url_for("accounts.login"))
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            sessions.renew_session(user)
            flash("密码已修改，其他设备上的登录已全部失效。", "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/change_password.html", form=form, expired=sessions.password_expired(user)
    )


@bp.route("/account/totp", methods=["GET", "POST"])
@login
def change_totp():
    """Set up or replace the authenticator app; needs the password (and the old code)."""
    user = current_user._get_current_object()
    secret = session.get(NEW_TOTP_KEY)
    if not isinstance(secret, str) or len(secret) < 16:
        secret = session[NEW_TOTP_KEY] = totp.new_secret()
    form = TotpChangeForm()
    if form.validate_on_submit():
        problem = None
        if services.is_locked(user) or not user.check_password(form.current.data or ""):
            services._count_failure(user, "bad_password_on_totp_change")
            problem = "当前密码不正确"
        elif user.totp_secret and not services.verify_second_factor(user, form.old_code.data):
            problem = "原动态验证码不正确或已使用过"
        elif not services.enrol_second_factor(user, secret, form.code.data, actor=user):
            problem = "新动态验证码不正确，请确认已在验证器中添加了下面的密钥"
        db.session.commit()
        if problem is None:
            session.pop(NEW_TOTP_KEY, None)
            sessions.renew_session(user)
            session[sessions.MFA_DONE] = True
            flash("二次验证已更新，其他设备上的登录已全部失效。", "success")
            return redirect(url_for("accounts.account"))
        if services.is_locked(user):
            sessions.end_session()
            flash(LOGIN_FAILED, "danger")
            return redirect(url_for("accounts.login"))
        form.form_errors.append(problem)
    return render_template(
        "accounts/totp_setup.html",
        form=form,
        secret=secret,
        uri=totp.provisioning_uri(secret, user.email),
        first_login=False,
        has_totp=bool(user.totp_secret),
    )


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
        industries = (
            db.session.execute(
                select(Industry).where(Industry.id.in_(form.industry_ids.data or []))
            )
            .scalars()
            .all()
        )
        try:
            user = services.register_organization(
                name=form.org_name.data,
                kind=OrgKind(form.kind.data),
                code=form.uscc.data,
                town=town,
                industries=industries,
                contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data,
                email=form.email.data,
                user_name=form.user_name.data,
                password=form.password.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            sessions.start_session(user)
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
    return render_template(
        "accounts/organizations.html",
        orgs=orgs,
        status=status,
        statuses=list(OrgStatus),
        form=EmptyForm(),
        reject_form=ReasonForm(),
    )


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
    user = current_user._get_current_object()
    return render_template(
        "accounts/account.html",
        user=user,
        form=EmptyForm(),
        password_expired=sessions.password_expired(user),
        mfa_required=sessions.needs_second_factor(user),
    )
