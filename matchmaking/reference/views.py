"""The bureau edits industries and towns (reference data)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from matchmaking.access import roles
from matchmaking.accounts.forms import EmptyForm
from matchmaking.accounts.models import Role
from matchmaking.actions import perform
from matchmaking.extensions import db
from matchmaking.forms import BaseForm
from matchmaking.reference import services
from matchmaking.reference.models import Industry, Town

bp = Blueprint("reference", __name__, url_prefix="/bureau/reference")


class NameForm(BaseForm):
    name = StringField(
        "名称", validators=[DataRequired("请填写名称"), Length(max=40, message="名称最多 40 个字")]
    )


def _kind(kind: str) -> type[Industry] | type[Town]:
    if kind not in services.KINDS:
        abort(404)
    return services.KINDS[kind]


@bp.get("/")
@roles(Role.bureau)
def index():
    industries = db.session.execute(select(Industry).order_by(Industry.position)).scalars().all()
    towns = db.session.execute(select(Town).order_by(Town.position)).scalars().all()
    return render_template(
        "reference/index.html",
        industries=industries,
        towns=towns,
        form=NameForm(),
        toggle_form=EmptyForm(),
    )


@bp.post("/<kind>")
@roles(Role.bureau)
def add(kind: str):
    _kind(kind)
    form = NameForm()
    perform(lambda: services.add_entry(kind, form.name.data, current_user), "已添加。", form=form)
    return redirect(url_for("reference.index"))


@bp.post("/<kind>/<int:entry_id>/toggle")
@roles(Role.bureau)
def toggle(kind: str, entry_id: int):
    entry = db.get_or_404(_kind(kind), entry_id)
    perform(
        lambda: services.set_active(entry, request.form.get("active") == "1", current_user),
        "已更新。",
    )
    return redirect(url_for("reference.index"))


@bp.post("/<kind>/<int:entry_id>/rename")
@roles(Role.bureau)
def rename(kind: str, entry_id: int):
    entry = db.get_or_404(_kind(kind), entry_id)
    form = NameForm()
    perform(lambda: services.rename(entry, form.name.data, current_user), "已更名。", form=form)
    return redirect(url_for("reference.index"))
