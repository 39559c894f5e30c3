"""Sessions: timeouts on the server, revocation, renewal at sign-in, cookie flags (S1–S5)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from matchmaking.timeutil import utcnow
from tests import factories
from tests.security.util import app_like


def _ok(client) -> bool:
    return client.get("/account").status_code == 200


def test_idle_timeout_30_minutes(client, login, enterprise):
    with time_machine.travel(utcnow(), tick=False) as clock:
        login(enterprise)
        clock.shift(timedelta(minutes=29))
        assert _ok(client)  # activity keeps the session alive
        clock.shift(timedelta(minutes=29))
        assert _ok(client)
        clock.shift(timedelta(minutes=31))
        r = client.get("/my/needs")
        assert r.status_code == 302 and r.headers["Location"].startswith("/login")
        assert not _ok(client)  # the session was cleared, not only refused once


def test_absolute_timeout_12_hours_despite_activity(client, login, enterprise):
    with time_machine.travel(utcnow(), tick=False) as clock:
        login(enterprise)
        for _ in range(24):
            clock.shift(timedelta(minutes=29))
            assert _ok(client)
        assert 11 * 3600 < 24 * 29 * 60 < 12 * 3600
        clock.shift(timedelta(minutes=29))
        assert not _ok(client)


def test_bureau_timeouts_too(client, login, bureau):
    with time_machine.travel(utcnow(), tick=False) as clock:
        login(bureau)
        assert client.get("/bureau/review/").status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get("/bureau/review/").status_code == 302


def test_copied_cookie_stops_working_after_logout(app, login, client, enterprise):
    login(enterprise)
    cookie = client.get_cookie("session").value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/my/needs").status_code == 302


def test_copied_cookie_stops_working_after_password_change(app, client, login, enterprise):
    login(enterprise)
    other = app.test_client()
    factories.sign_in(other, enterprise)
    stolen = other.get_cookie("session").value
    new = "Changed-2026-密码!"
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 302
    assert _ok(client)  # the browser that changed it stays signed in (renewed cookie)
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302


def test_session_is_renewed_at_sign_in(client, enterprise):
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    before = client.get_cookie("session").value
    factories.sign_in(client, enterprise)
    assert client.get_cookie("session").value != before
    with client.session_transaction() as s:
        assert "planted" not in s


def test_bureau_session_without_second_factor_is_refused(app, bureau):
    # Even a session that names the user (e.g. one made before MFA was required) is dropped.
    c = app.test_client()
    import time

    with c.session_transaction() as s:
        s["_user_id"] = bureau.get_id()
        s["_fresh"] = True
        s["_auth_at"] = s["_seen_at"] = int(time.time())
    assert c.get("/bureau/review/").status_code == 302


def test_session_without_timestamps_is_refused(app, enterprise):
    c = app.test_client()
    with c.session_transaction() as s:
        s["_user_id"] = enterprise.get_id()
    assert c.get("/account").status_code == 302


def _set_cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_cookie_flags_over_http(client, enterprise):
    r = factories.sign_in(client, enterprise)
    cookie = next(h for h in _set_cookie_headers(r) if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie or "session=;" in cookie  # no long-lived cookie


def test_cookie_flags_when_secure(app, enterprise):
    secure = app_like(app, SESSION_COOKIE_SECURE=True)
    assert secure.config["SESSION_COOKIE_NAME"] == "__Host-session"
    c = secure.test_client()
    r = c.post(
        "/login",
        data={"email": enterprise.email, "password": factories.PASSWORD},
        base_url="https://localhost",
    )
    assert r.status_code == 302
    cookie = next(h for h in _set_cookie_headers(r) if h.startswith("__Host-session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert "Strict-Transport-Security" in c.get("/", base_url="https://localhost").headers


def test_production_defaults_to_secure_cookies(tmp_path, monkeypatch):
    from matchmaking import create_app

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40, "ENV_NAME": "production"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"


def test_no_debugger_console(client):
    assert client.get("/console").status_code == 404


def test_logout_only_by_post(client, login, enterprise):
    login(enterprise)
    assert client.get("/logout").status_code == 405
    assert _ok(client)
