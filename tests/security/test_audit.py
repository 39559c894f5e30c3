"""Audit log: events, fields, tamper evidence, retention, search and export (L1–L4, C5)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from matchmaking.audit import services as audit
from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from matchmaking.timeutil import utcnow
from tests import factories
from tests.security.util import actions, app_like, events


def test_sign_in_and_out_each_write_one_event_with_all_fields(client, enterprise):
    factories.sign_in(client, enterprise)
    client.post("/logout")
    assert actions() == ["auth.login", "auth.logout"]
    for e in events("auth.login") + events("auth.logout"):
        assert e.created_at.tzinfo is not None
        assert e.actor_id == enterprise.id and e.actor_role == "enterprise"
        assert e.actor_org_id == enterprise.organization_id
        assert e.ip == "127.0.0.1" and e.request_id and e.outcome == "success"
        assert e.object_type == "user" and e.object_id == enterprise.id


def test_failures_and_lockout_are_recorded(client, enterprise):
    client.post("/login", data={"email": "nobody@example.cn", "password": "Wrong-password-1x"})
    for _ in range(5):
        client.post("/login", data={"email": enterprise.email, "password": "Wrong-password-1x"})
    outcomes = [(e.action, e.outcome) for e in db.session.query(AuditEvent).order_by("id")]
    assert outcomes == [("auth.login", "failure")] * 5 + [("auth.lockout", "locked")]


def test_no_password_or_token_ever_reaches_the_log(client, runner, enterprise):
    canary = "Canary-Pass-2026-密码!"
    client.post("/login", data={"email": enterprise.email, "password": canary})
    factories.sign_in(client, enterprise)
    client.post(
        "/account/password",
        data={"current": factories.PASSWORD, "password": canary, "password2": canary},
    )
    token = runner.invoke(args=["accounts", "create-token", enterprise.email]).output.split()[-1]
    dump = json.dumps(
        [
            {c.name: str(getattr(e, c.name)) for c in AuditEvent.__table__.columns}
            for e in db.session.query(AuditEvent)
        ],
        ensure_ascii=False,
    )
    assert canary not in dump and factories.PASSWORD not in dump and token not in dump


def test_personal_data_is_masked_in_the_log(app):
    e = audit.record(
        "test.event",
        reason="联系 13800001234，身份证 11010119900307123X",
        details={"phone": "13912345678"},
    )
    db.session.commit()
    assert "13800001234" not in e.reason and "138****1234" in e.reason
    assert "11010119900307123X" not in e.reason and "13912345678" not in e.details


def test_crlf_is_encoded(app):
    e = audit.record("test.event", reason="a\r\nforged line")
    assert "\n" not in e.reason and "\r" not in e.reason


def test_verify_detects_an_edited_row(runner, app, enterprise):
    for i in range(3):
        audit.record("test.event", details={"n": i})
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _tamper(
        "UPDATE audit_events SET details = '{\"n\": 9}' WHERE id = "
        "(SELECT MIN(id) + 1 FROM audit_events)"
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "篡改" in result.output


def test_verify_detects_a_deleted_row_and_a_deleted_head(runner, app):
    for i in range(4):
        audit.record("test.event", details={"n": i})
    db.session.commit()
    _tamper("DELETE FROM audit_events WHERE id = (SELECT MIN(id) + 1 FROM audit_events)")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1
    _tamper("DELETE FROM audit_events WHERE id > (SELECT MIN(id) FROM audit_events) + 1")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # a clean chain of 1
    audit.record("test.event")
    db.session.commit()
    _tamper("DELETE FROM audit_events WHERE id = (SELECT MIN(id) FROM audit_events)")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1  # head removed, no purge


def _tamper(sql: str) -> None:
    """Run SQL as an attacker with table rights would (bypassing the PostgreSQL trigger)."""
    db.session.commit()  # end the test's read transaction (its snapshot, its table locks)
    with db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(sa.text(sql))
        if pg:
            conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    db.session.expire_all()


def test_update_is_refused_by_postgresql_and_detected_on_sqlite(app, runner):
    audit.record("test.event")
    audit.record("test.event2")
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(sa.text(sql))
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    else:
        # SQLite has no trigger here: the application offers no edit, and the chain shows it.
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE audit_events SET action = 'x' WHERE action = 'test.event'")
            )
        db.session.expire_all()
        assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_action_fails_if_auditing_fails(client, login, enterprise, monkeypatch):
    login(enterprise)

    def broken(*args, **kwargs):
        raise RuntimeError("audit storage down")

    monkeypatch.setattr("matchmaking.accounts.services.record", broken)
    new = "Another-2026-密码!"
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 500
    db.session.expire_all()
    from matchmaking.accounts.models import User

    assert db.session.get(User, enterprise.id).check_password(factories.PASSWORD)


# --- retention -------------------------------------------------------------------------------


def _aged(days: int) -> None:
    with time_machine.travel(utcnow() - timedelta(days=days), tick=False):
        audit.record("test.aged", details={"days": days})
    db.session.commit()


def test_purge_keeps_rows_younger_than_184_days(runner):
    for days in (400, 185, 183):
        _aged(days)
    audit.record("test.fresh")
    db.session.commit()
    refused = runner.invoke(args=["audit", "purge", "--older-than-days", "183", "--yes"])
    assert refused.exit_code != 0 and "184" in refused.output
    result = runner.invoke(args=["audit", "purge", "--older-than-days", "184", "--yes"])
    assert result.exit_code == 0, result.output
    left = [json.loads(e.details or "{}").get("days") for e in events("test.aged")]
    assert left == [183]
    assert [json.loads(e.details)["deleted"] for e in events("audit.purge")] == [2]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output  # anchored by the purge


def test_retention_is_configurable_but_never_below_184(app, tmp_path):
    longer = app_like(app, AUDIT_RETENTION_DAYS=365)
    with longer.app_context():
        result = longer.test_cli_runner().invoke(
            args=["audit", "purge", "--older-than-days", "200", "--yes"]
        )
    assert result.exit_code != 0 and "365" in result.output
    from matchmaking.config import ConfigError

    with pytest.raises(ConfigError):
        app_like(app, AUDIT_RETENTION_DAYS=90)


# --- the bureau's pages ----------------------------------------------------------------------


def test_audit_log_search(client, login, bureau, enterprise, other_enterprise):
    factories.sign_in(app_client := client, enterprise)
    app_client.post("/logout")
    login(bureau)
    page = client.get("/bureau/audit/", query_string={"actor": enterprise.email})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "auth.logout" in body
    assert other_enterprise.email not in body
    page = client.get("/bureau/audit/", query_string={"action": "auth.logout"})
    assert "auth.logout" in page.get_data(as_text=True)
    today = utcnow().date()
    r = client.get(
        "/bureau/audit/",
        query_string={
            "date_from": (today + timedelta(days=2)).isoformat(),
            "object_type": "user",
            "object_id": str(enterprise.id),
        },
    )
    assert "共 0 条" in r.get_data(as_text=True)
    assert client.get("/bureau/audit/?date_from=bad&object_id=x%27--").status_code == 200
    assert client.get("/bureau/audit/?actor=%25").status_code == 200


def test_audit_export_csv_and_xlsx_are_audited_and_safe(client, login, bureau):
    audit.record("test.event", reason='=HYPERLINK("http://evil") 13800001234')
    db.session.commit()
    login(bureau)
    r = client.get("/bureau/audit/export.csv")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "13800001234" not in r.get_data(as_text=True)
    x = client.get("/bureau/audit/export.xlsx")
    assert x.status_code == 200 and x.data[:2] == b"PK"
    assert [json.loads(e.details)["format"] for e in events("audit.export")] == ["csv", "xlsx"]


def test_nobody_can_change_the_audit_log_over_http(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/bureau/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
