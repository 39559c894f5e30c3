"""CSRF: every state-changing route refuses a request without the session's token (C4)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.security.util import app_like, csrf_token

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _unsafe_routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE):
            values = {
                a: (1 if "int" in type(rule._converters[a]).__name__.lower() else "x")
                for a in rule.arguments
            }
            with app.test_request_context():
                from flask import url_for

                out.append((method, url_for(rule.endpoint, **values)))
    return out


@pytest.fixture
def csrf_app(app):
    return app_like(app, WTF_CSRF_ENABLED=True)


def _signed_in(csrf_app, user):
    c = csrf_app.test_client()
    token = csrf_token(c.get("/login").get_data(as_text=True))
    r = c.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 302
    return c


def test_every_unsafe_route_needs_the_token(csrf_app, enterprise, other_enterprise):
    routes = _unsafe_routes(csrf_app)
    assert len(routes) > 10
    mine = _signed_in(csrf_app, enterprise)
    other = _signed_in(csrf_app, other_enterprise)
    foreign = csrf_token(other.get("/account").get_data(as_text=True))
    anonymous = csrf_app.test_client()
    wrong = []
    for method, url in routes:
        for label, c, data, headers in (
            ("missing", mine, {}, {}),
            ("foreign", mine, {"csrf_token": foreign}, {"X-CSRFToken": foreign}),
            ("anonymous", anonymous, {}, {}),
        ):
            r = c.open(url, method=method, data=data, headers=headers)
            if r.status_code != 400:
                wrong.append((label, method, url, r.status_code))
    assert wrong == []


def test_the_real_token_works(csrf_app, enterprise):
    c = _signed_in(csrf_app, enterprise)
    token = csrf_token(c.get("/account").get_data(as_text=True))
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    assert c.get("/account").status_code == 302


def test_bearer_token_api_needs_no_csrf(csrf_app, runner, enterprise):
    result = runner.invoke(args=["accounts", "create-token", enterprise.email])
    token = result.output.strip().splitlines()[-1]
    c = csrf_app.test_client()
    r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
