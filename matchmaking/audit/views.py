"""The bureau's audit log: search and export. Read-only: there is no edit or delete route."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import func, select

from matchmaking.access import roles
from matchmaking.accounts.models import Role
from matchmaking.audit.models import AuditEvent
from matchmaking.audit.services import (
    AuditFilters,
    distinct_values,
    mask_personal,
    record,
    search_select,
)
from matchmaking.extensions import db
from matchmaking.pagination import Page, int_arg
from matchmaking.templating import register_nav
from matchmaking.timeutil import local, utcnow

bp = Blueprint("audit", __name__, url_prefix="/bureau/audit")
register_nav("审计日志", "audit.index", Role.bureau.value)

COLUMNS = (
    ("id", "序号"),
    ("created_at", "时间（北京时间）"),
    ("actor_email", "操作人"),
    ("actor_role", "角色"),
    ("actor_org_id", "单位编号"),
    ("ip", "来源 IP"),
    ("action", "事件"),
    ("object_type", "对象类型"),
    ("object_id", "对象编号"),
    ("from_state", "原状态"),
    ("to_state", "新状态"),
    ("outcome", "结果"),
    ("reason", "理由"),
    ("details", "详情"),
    ("request_id", "请求编号"),
    ("hash", "哈希"),
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filters() -> AuditFilters:
    return AuditFilters.from_args(request.args)


@bp.get("/")
@roles(Role.bureau)
def index():
    f = _filters()
    per_page = current_app.config["AUDIT_PAGE_SIZE"]
    page = int_arg(request.args, "page", 1)
    query = search_select(f)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return render_template(
        "audit/index.html",
        page=Page(items, total or 0, page, per_page),
        filters=f,
        args=f.as_args(),
        actions=distinct_values(AuditEvent.action),
        object_types=distinct_values(AuditEvent.object_type),
        outcomes=distinct_values(AuditEvent.outcome),
    )


def _cell(value: object) -> object:
    """A value as a spreadsheet cell: times in Beijing time; no formulas (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        value = mask_personal(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def _rows(f: AuditFilters) -> Iterable[list[object]]:
    limit = current_app.config["AUDIT_EXPORT_MAX_ROWS"]
    events = db.session.execute(search_select(f).limit(limit)).scalars()
    for e in events:
        yield [_cell(getattr(e, name)) for name, _ in COLUMNS]


def _audit_export(kind: str, f: AuditFilters) -> None:
    # Taking the log out is itself an audit event (in the same transaction as the read).
    record(
        "audit.export",
        actor=current_user,
        object_type="audit_log",
        details={"format": kind, "filters": f.as_args()},
    )
    db.session.commit()


def _download(data: bytes, mimetype: str, ext: str) -> Response:
    name = f"审计日志_{local(utcnow()).strftime('%Y%m%d_%H%M')}.{ext}"
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename=audit.{ext}; "
            f"filename*=UTF-8''{quote(name)}",
        },
    )


@bp.get("/export.csv")
@roles(Role.bureau)
def export_csv():
    f = _filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    writer.writerows(_rows(f))
    _audit_export("csv", f)
    # UTF-8 with BOM so that Excel on Windows reads the Chinese headers correctly.
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv", "csv")


@bp.get("/export.xlsx")
@roles(Role.bureau)
def export_xlsx():
    f = _filters()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append([label for _, label in COLUMNS])
    for row in _rows(f):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    _audit_export("xlsx", f)
    return _download(
        out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    )
