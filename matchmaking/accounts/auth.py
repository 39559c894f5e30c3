"""How a request is tied to a user: the session cookie or an API bearer token."""

from __future__ import annotations

from flask import Flask, Request

from matchmaking.accounts.models import User
from matchmaking.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # The id carries the session version: after logout or a password change, old cookies
    # name a version that no longer matches and are refused.
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(request: Request) -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not request.path.startswith("/api/"):
        return None
    from matchmaking.accounts.services import user_for_token

    return user_for_token(header[len("Bearer ") :].strip())


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
