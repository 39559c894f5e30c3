"""Helpers for the security tests."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from matchmaking import create_app
from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db

# Apps made by app_like; their engines are disposed after each test (conftest.py).
CREATED: list[Flask] = []

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def app_like(app: Flask, **overrides) -> Flask:
    """A second app on the same database and folders as ``app``, with some config changed."""
    keys = (
        "TESTING",
        "SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI",
        "SEARCH_INDEX_DIR",
        "UPLOAD_DIR",
        "WTF_CSRF_ENABLED",
    )
    cfg = {k: app.config[k] for k in keys} | {"INSTANCE_PATH": app.instance_path}
    other = create_app(cfg | overrides)
    other.test_client_class = app.test_client_class
    CREATED.append(other)
    return other


def dispose_created() -> None:
    while CREATED:
        with CREATED.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def csrf_token(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token in the page"
    return m.group(1)


def actions() -> list[str]:
    return db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()


def events(action: str) -> list[AuditEvent]:
    return (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
