"""Access policies for views. Every endpoint declares one; a test walks the URL map.

``public`` — anyone; ``login`` — any signed-in user; ``roles(...)`` — signed-in users of the
given roles. Object rules (whose need, whose bid) live on the models and are checked in the
view after loading the object.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from matchmaking.accounts.models import Role

POLICY_ATTR = "access_policy"


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    setattr(view, POLICY_ATTR, "public")
    return view


def login(view: Callable[..., Any]) -> Callable[..., Any]:
    return roles(*Role)(view)


def roles(*allowed: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    allowed_set = frozenset(allowed)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if _wants_json():
                    return jsonify(error={"code": "unauthorized", "message": "请先登录"}), 401
                flash("请先登录。", "warning")
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed_set:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, POLICY_ATTR, "roles:" + ",".join(sorted(r.value for r in allowed_set)))
        return wrapped

    return decorate


def policy_of(view: Callable[..., Any]) -> str | None:
    return getattr(view, POLICY_ATTR, None)
