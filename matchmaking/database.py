"""Engine set-up: SQLite pragmas and write transactions, PostgreSQL untouched."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from matchmaking.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_connect(dbapi_connection, _record) -> None:
    # We issue BEGIN ourselves (below), so pysqlite must not.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: NORMAL can lose the last commits on power loss in WAL mode.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A request that changes state takes the write lock at BEGIN, so two writers queue on
    # busy_timeout instead of failing on a read-to-write upgrade (SQLITE_BUSY_SNAPSHOT).
    # Reads (GET requests, CLI and shell sessions) begin deferred and never block writers.
    if has_request_context() and request.method not in SAFE_METHODS:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)


def init_app(app: Flask) -> None:
    with app.app_context():
        configure_engine(db.engine)
