"""Deny by default: every endpoint declares an access policy."""

from matchmaking.access import policy_of

# Endpoints that are not views of ours.
EXEMPT = {"static"}


def test_every_endpoint_declares_a_policy(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXEMPT and policy_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []


def test_unknown_pages_are_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-ID"]
