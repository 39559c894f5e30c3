from sqlalchemy import select

from matchmaking.audit.models import AuditEvent
from matchmaking.extensions import db
from tests import factories


def test_login_and_logout(client, enterprise):
    response = client.post(
        "/login", data={"email": enterprise.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/my/needs").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/my/needs").status_code == 302


def test_logout_is_post_only(client, login, enterprise):
    login(enterprise)
    assert client.get("/logout").status_code == 405


def test_unknown_user_and_wrong_password_get_the_same_answer(client, enterprise):
    a = client.post("/login", data={"email": "nobody@example.cn", "password": "x" * 12})
    b = client.post("/login", data={"email": enterprise.email, "password": "x" * 12})
    assert a.status_code == b.status_code == 200
    strip = lambda r: (  # noqa: E731
        r.get_data(as_text=True).replace("nobody@example.cn", "").replace(enterprise.email, "")
    )
    assert strip(a) == strip(b)
    assert "x" * 12 not in b.get_data(as_text=True)


def test_old_session_cookie_stops_working_after_logout(app, enterprise):
    first = app.test_client()
    first.post("/login", data={"email": enterprise.email, "password": factories.PASSWORD})
    cookie = first.get_cookie("session")
    assert cookie is not None
    first.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/my/needs").status_code == 302


def test_five_failures_lock_the_account(client, enterprise):
    for _ in range(5):
        client.post("/login", data={"email": enterprise.email, "password": "Wrong-password-1"})
    response = client.post(
        "/login", data={"email": enterprise.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 200  # refused even with the right password
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "auth.lockout" in actions


def test_next_only_accepts_same_site_paths(client, enterprise):
    for target, expected in [
        ("/my/needs", "/my/needs"),
        ("//evil.example", "/my/"),
        ("https://evil.example/", "/my/"),
        ("/\\evil.example", "/my/"),
    ]:
        client.post("/logout")
        response = client.post(
            f"/login?next={target}",
            data={"email": enterprise.email, "password": factories.PASSWORD},
        )
        assert response.headers["Location"] == expected, target
