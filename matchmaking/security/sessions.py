"""Server-side session rules: idle and absolute timeouts, second factor, password expiry.

Flask's session is a signed cookie, so a stolen copy would otherwise live as long as the
browser keeps it. Three things bound it on the server:

* the user's ``session_version`` is part of the login id (logout and password change bump it,
  so every earlier cookie stops working — see ``accounts.auth.load_user``);
* the session carries the time of sign-in and of the last request; it is dropped after
  ``SESSION_IDLE_TIMEOUT`` of inactivity or ``SESSION_ABSOLUTE_TIMEOUT`` after sign-in;
* users whose role needs a second factor must have passed it in this session, and users whose
  password has expired can reach nothing but the password-change page.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from matchmaking.timeutil import utcnow

AUTH_AT = "_auth_at"  # epoch seconds of sign-in
SEEN_AT = "_seen_at"  # epoch seconds of the last request
MFA_DONE = "_mfa"  # the second factor was passed in this session
PENDING = "_pending_login"  # password ok, second factor (or its enrolment) still to come

# Endpoints a user whose password expired may still reach.
EXPIRED_PASSWORD_ALLOWED = {"accounts.change_password", "accounts.logout", "static"}


def _now() -> int:
    return int(time.time())


def start_session(user, *, mfa: bool = False) -> None:
    """A fresh session for ``user``: nothing from before sign-in carries over."""
    session.clear()
    login_user(user)
    now = _now()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    if mfa:
        session[MFA_DONE] = True


def renew_session(user) -> None:
    """After a password change: new cookie for this browser, same sign-in time."""
    auth_at = session.get(AUTH_AT, _now())
    mfa = bool(session.get(MFA_DONE))
    start_session(user, mfa=mfa)
    session[AUTH_AT] = auth_at


def end_session() -> None:
    logout_user()
    session.clear()


def needs_second_factor(user) -> bool:
    return user.role.value in current_app.config["MFA_ROLES"]


def password_expired(user) -> bool:
    max_age: timedelta | None = current_app.config["PASSWORD_MAX_AGE"].get(user.role.value)
    if not max_age:
        return False
    changed = user.password_changed_at
    return changed is None or utcnow() - changed > max_age


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _expired(message: str):
    end_session()
    if _wants_json():
        return jsonify(error={"code": "session_expired", "message": message}), 401
    flash(message, "warning")
    return None  # the page's own policy sends anonymous users to the login page


def enforce() -> object | None:
    """before_request: apply the rules above to a cookie session."""
    if "_user_id" not in session or request.endpoint == "static":
        return None
    now = _now()
    cfg = current_app.config
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return _expired("登录状态无效，请重新登录。")
    if now - seen_at > cfg["SESSION_IDLE_TIMEOUT"].total_seconds():
        return _expired("长时间未操作，登录已超时，请重新登录。")
    if now - auth_at > cfg["SESSION_ABSOLUTE_TIMEOUT"].total_seconds():
        return _expired("登录时间已超过上限，请重新登录。")
    if not current_user.is_authenticated:
        return None  # revoked by the session version: the loader already refused it
    if needs_second_factor(current_user) and not session.get(MFA_DONE):
        return _expired("该账号须通过二次验证登录，请重新登录。")
    session[SEEN_AT] = now
    if password_expired(current_user) and request.endpoint not in EXPIRED_PASSWORD_ALLOWED:
        if _wants_json():
            return jsonify(
                error={"code": "password_expired", "message": "密码已过期，请先在网页上修改密码"}
            ), 403
        flash("您的密码已超过有效期，请先修改密码。", "warning")
        return redirect(url_for("accounts.change_password"))
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce)
