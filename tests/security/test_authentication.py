"""Sign-in: lockout, same answer for unknown users, TOTP for the bureau, throttling (A1–A5)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from matchmaking.accounts.models import User
from matchmaking.extensions import db
from matchmaking.timeutil import utcnow
from tests import factories
from tests.security.util import actions, app_like, events

WRONG = "Wrong-password-1x"


def _post_login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_lockout_after_five_failures_and_its_expiry(client, enterprise):
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(5):
            assert _post_login(client, enterprise.email, WRONG).status_code == 200
        refused = _post_login(client, enterprise.email, factories.PASSWORD)
        assert refused.status_code == 200 and not _signed_in(client)
        clock.shift(timedelta(minutes=29))
        assert _post_login(client, enterprise.email, factories.PASSWORD).status_code == 200
        assert not _signed_in(client)
        clock.shift(timedelta(minutes=2))
        assert _post_login(client, enterprise.email, factories.PASSWORD).status_code == 302
        assert _signed_in(client)
    assert actions().count("auth.lockout") == 1


def test_lockout_counter_is_in_the_database(app, enterprise):
    # Two clients stand for two workers: the counter is shared.
    a, b = app.test_client(), app.test_client()
    for i in range(5):
        _post_login(a if i % 2 else b, enterprise.email, WRONG)
    db.session.expire_all()
    assert db.session.get(User, enterprise.id).locked_until is not None


def test_success_resets_the_counter(client, enterprise):
    for _ in range(4):
        _post_login(client, enterprise.email, WRONG)
    assert _post_login(client, enterprise.email, factories.PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        _post_login(client, enterprise.email, WRONG)
    assert _post_login(client, enterprise.email, factories.PASSWORD).status_code == 302


def test_unknown_user_wrong_password_and_locked_get_one_answer(
    client, enterprise, other_enterprise
):
    def body(r, email):
        return r.get_data(as_text=True).replace(email, "EMAIL")

    unknown = _post_login(client, "nobody@example.cn", WRONG)
    wrong = _post_login(client, enterprise.email, WRONG)
    for _ in range(5):
        _post_login(client, other_enterprise.email, WRONG)
    locked = _post_login(client, other_enterprise.email, factories.PASSWORD)
    assert unknown.status_code == wrong.status_code == locked.status_code == 200
    texts = {
        body(unknown, "nobody@example.cn"),
        body(wrong, enterprise.email),
        body(locked, other_enterprise.email),
    }
    assert len(texts) == 1
    assert WRONG not in wrong.get_data(as_text=True)  # never echoed back (D.10)


def test_no_default_credentials(client):
    for email, password in [
        ("admin", "admin"),
        ("admin@example.cn", "admin"),
        ("root@localhost", "123456"),
    ]:
        assert _post_login(client, email, password).status_code == 200
    assert not _signed_in(client)


def test_every_password_hash_is_scrypt_or_pbkdf2(client, enterprise, bureau):
    client.post("/register", data={})  # nothing is stored by an invalid form
    hashes = db.session.execute(select(User.password_hash)).scalars().all()
    assert hashes and all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert not any(factories.PASSWORD in h for h in hashes)


# --- second factor (bureau) ---------------------------------------------------------------------


def _code(secret=factories.TOTP_SECRET, offset=0):
    import time

    return pyotp.TOTP(secret).at(time.time() + offset)


def test_bureau_password_alone_does_not_sign_in(client, bureau):
    r = _post_login(client, bureau.email, factories.PASSWORD)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login/totp")
    assert client.get("/bureau/review/").status_code == 302  # not signed in yet


@pytest.mark.parametrize("code", ["", "000000x", "12345", "abcdef"])
def test_bureau_malformed_code_is_refused(client, bureau, code):
    _post_login(client, bureau.email, factories.PASSWORD)
    r = client.post("/login/totp", data={"code": code})
    assert r.status_code == 200
    assert client.get("/bureau/review/").status_code == 302


def test_bureau_wrong_code_refused_right_code_accepted_replay_refused(app, client, bureau):
    _post_login(client, bureau.email, factories.PASSWORD)
    right = _code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert client.post("/login/totp", data={"code": wrong}).status_code == 200
    assert client.get("/bureau/review/").status_code == 302
    r = client.post("/login/totp", data={"code": right})
    assert r.status_code == 302
    assert client.get("/bureau/review/").status_code == 200
    # The same code again (another browser, same 30 s window) is refused.
    other = app.test_client()
    _post_login(other, bureau.email, factories.PASSWORD)
    assert other.post("/login/totp", data={"code": right}).status_code == 200
    assert other.get("/bureau/review/").status_code == 302
    assert [e.outcome for e in events("auth.login")][-1] == "failure"


def test_totp_failures_count_towards_the_lockout(client, bureau):
    _post_login(client, bureau.email, factories.PASSWORD)
    for _ in range(5):
        client.post("/login/totp", data={"code": "000000" if _code() != "000000" else "111111"})
    db.session.expire_all()
    assert db.session.get(User, bureau.id).locked_until is not None
    assert "auth.lockout" in actions()


def test_totp_step_expires(client, bureau):
    with time_machine.travel(utcnow(), tick=False) as clock:
        _post_login(client, bureau.email, factories.PASSWORD)
        clock.shift(timedelta(minutes=6))
        r = client.post("/login/totp", data={"code": _code()})
        assert r.status_code == 302 and r.headers["Location"] == "/login"
        assert client.get("/bureau/review/").status_code == 302


def test_bureau_enrols_at_first_sign_in(client, app):
    user = factories.user("bureau")
    user.totp_secret = None
    db.session.commit()
    r = _post_login(client, user.email, factories.PASSWORD)
    assert r.headers["Location"] == "/login/totp/setup"
    page = client.get("/login/totp/setup").get_data(as_text=True)
    import re

    secret = re.search(r'id="totp-secret">([A-Z2-7]{32})<', page).group(1)
    assert "otpauth://totp/" in page
    assert client.get("/bureau/review/").status_code == 302
    assert client.post("/login/totp/setup", data={"code": "000000"}).status_code == 200
    r = client.post("/login/totp/setup", data={"code": _code(secret)})
    assert r.status_code == 302
    assert client.get("/bureau/review/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret
    assert "auth.totp_enrol" in actions()
    # The secret is never shown again.
    assert secret not in client.get("/account").get_data(as_text=True)


def test_cli_created_bureau_user_enrols_at_first_sign_in(runner, client):
    result = runner.invoke(
        args=[
            "accounts",
            "create-user",
            "--email",
            "kj@example.cn",
            "--role",
            "bureau",
            "--org",
            "桐乡市科学技术局",
            "--password",
            factories.PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "second factor" in result.output
    r = _post_login(client, "kj@example.cn", factories.PASSWORD)
    assert r.headers["Location"] == "/login/totp/setup"


def test_reset_totp_cli(runner, bureau):
    result = runner.invoke(args=["accounts", "reset-totp", bureau.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, bureau.id).totp_secret is None
    assert "auth.totp_reset" in actions()


def test_change_totp_needs_password_and_old_code(client, login, bureau):
    login(bureau)
    page = client.get("/account/totp").get_data(as_text=True)
    import re

    secret = re.search(r'id="totp-secret">([A-Z2-7]{32})<', page).group(1)
    r = client.post(
        "/account/totp", data={"current": WRONG, "old_code": _code(), "code": _code(secret)}
    )
    assert r.status_code == 200 and "当前密码不正确" in r.get_data(as_text=True)
    db.session.execute(User.__table__.update().values(totp_last_step=None))
    r = client.post(
        "/account/totp",
        data={"current": factories.PASSWORD, "old_code": _code(), "code": _code(secret)},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, bureau.id).totp_secret == secret
    assert "auth.totp_change" in actions()
    assert client.get("/bureau/review/").status_code == 200  # this browser stays signed in


# --- per-IP throttle ------------------------------------------------------------------------


def test_login_is_throttled_per_ip(app, enterprise):
    limited = app_like(app, LOGIN_RATE_LIMIT="3 per minute")
    c = limited.test_client()
    codes = [_post_login(c, "nobody@example.cn", WRONG).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = _post_login(c, enterprise.email, factories.PASSWORD)
    assert r.status_code == 429 and "请求过于频繁" in r.get_data(as_text=True)
    assert c.get("/login").status_code == 200  # only POSTs count
    other_ip = c.post(
        "/login",
        data={"email": enterprise.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_ip.status_code == 302


# --- password policy and expiry --------------------------------------------------------------

WEAK = [
    "short-1A",
    "alllowercaseletters",
    "ALLUPPERCASE123",
    "Password123!",
    "Passw0rd!234",
    "x" * 129 + "A1",
]
STRONG = [
    "Tongxiang-2026-揭榜!",
    "桐乡市科技局揭榜挂帅平台用于发布企业关键技术需求并且征集"
    "高校科研院所解决方案以推动制造业数字化绿色化两化改造工作加快产业升级Ab12",
]


@pytest.mark.parametrize("new", WEAK)
def test_weak_passwords_are_rejected_on_change(client, login, enterprise, new):
    login(enterprise)
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, enterprise.id).check_password(factories.PASSWORD)
    assert new not in r.get_data(as_text=True)


@pytest.mark.parametrize("new", STRONG[1:])
def test_long_chinese_passphrase_accepted(client, login, enterprise, new):
    assert len(new) >= 64
    login(enterprise)
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, enterprise.id).check_password(new)


def test_bureau_password_expires_after_90_days(client, login, bureau):
    bureau.password_changed_at = utcnow() - timedelta(days=91)
    db.session.commit()
    login(bureau)
    r = client.get("/bureau/review/")
    assert r.status_code == 302 and r.headers["Location"] == "/account/password"
    assert client.get("/api/v1/me").status_code == 403
    new = "Kejiju-2026-新密码!"
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 302
    assert client.get("/bureau/review/").status_code == 200


def test_enterprise_password_does_not_expire(client, login, enterprise):
    enterprise.password_changed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    login(enterprise)
    assert client.get("/my/needs").status_code == 200


def test_change_password_reauthenticates_and_is_audited(client, login, enterprise):
    login(enterprise)
    new = "Another-2026-密码!"
    r = client.post("/account/password", data={"current": WRONG, "password": new, "password2": new})
    assert r.status_code == 200 and "当前密码不正确" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, enterprise.id).failed_logins == 1
    r = client.post(
        "/account/password",
        data={
            "current": factories.PASSWORD,
            "password": factories.PASSWORD,
            "password2": factories.PASSWORD,
        },
    )
    assert "不能与当前密码相同" in r.get_data(as_text=True)
    r = client.post(
        "/account/password", data={"current": factories.PASSWORD, "password": new, "password2": new}
    )
    assert r.status_code == 302
    assert len(events("auth.password_change")) == 1
    assert client.get("/my/needs").status_code == 200
