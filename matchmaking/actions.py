"""One way for a view to run a state change: check the form, call the service, commit once."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_wtf import FlaskForm

from matchmaking.accounts.forms import EmptyForm
from matchmaking.errors import DomainError
from matchmaking.extensions import db


def perform(
    action: Callable[[], object],
    success: str,
    *,
    form: FlaskForm | None = None,
    invalid: str = "表单已失效或内容不完整，请重试。",
) -> bool:
    """Run ``action`` (a service call) as the request's unit of work.

    The form (CSRF token and fields) is validated first; a domain error rolls everything
    back and is shown as its Chinese message; success commits once and flashes ``success``.
    Returns whether the action succeeded.
    """
    form = form or EmptyForm()
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs if isinstance(e, str)]
        flash(
            "；".join(errors) if errors and "csrf_token" not in form.errors else invalid, "danger"
        )
        return False
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False
    db.session.commit()
    flash(success, "success")
    return True
