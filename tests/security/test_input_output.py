"""Input and output: XSS, open redirects, size limits, headers, hosts, errors (I2–I7)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from matchmaking.audit.models import AuditEvent
from matchmaking.bids import services as bid_services
from matchmaking.extensions import db
from tests import factories
from tests.security.util import app_like

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "javascript:alert(4)",
    "{{7*7}}<b>粗</b>",
]
RAW_MARKERS = ["<script>alert(1)", "<img src=x onerror", "<svg onload", "<b>粗</b>"]


def _fill(app, rule, ids):
    values = {}
    for arg in rule.arguments:
        if arg in ids:
            values[arg] = ids[arg]
        elif isinstance(rule._converters.get(arg), IntegerConverter):
            values[arg] = 1
        else:
            return None
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_xss_payloads_in_every_text_field_are_escaped_everywhere(app, bureau, solver):
    p = " ".join(XSS)
    owner = factories.user("enterprise", org_name=("企业" + XSS[1])[:100])
    published = factories.need(
        owner,
        "published",
        bureau=bureau,
        title=("标题" + XSS[0])[:100],
        background=p,
        difficulty=p,
        indicators=p,
        expected_outcome=p,
        keywords="检测 " + XSS[2][:20],
        ip_terms=p,
        confidential=p,
    )
    submitted = factories.need(owner, "submitted", title="待审" + XSS[1], background=p)
    from tests.bids import util as bid_util

    b = bid_util.bid(
        published, solver, approach=p, team_lead="李" + XSS[2][:40], team_members=p, prior_results=p
    )
    q = bid_services.ask_question(published, solver, p[:500])
    db.session.commit()
    factories.organization("enterprise", name="单位" + XSS[0], verified=False)
    ids = {
        "need_id": published.id,
        "bid_id": b.id,
        "question_id": q.id,
        "match_id": 1,
        "org_id": owner.organization_id,
        "entry_id": 1,
        "kind": "industries",
    }
    viewers = {"owner": owner, "bidder": solver, "bureau": bureau, "anonymous": None}
    found = []
    for name, user in viewers.items():
        c = app.test_client()
        if user:
            factories.sign_in(c, user)
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            url = _fill(app, rule, ids)
            if url is None:
                continue
            for u in (url, url.replace(str(published.id), str(submitted.id))):
                r = c.get(u)
                if not r.mimetype.startswith("text/html"):
                    continue
                body = r.get_data(as_text=True)
                found += [(name, u, m) for m in RAW_MARKERS if m in body]
    assert found == []


def test_templates_mark_nothing_safe_except_reviewed_places():
    allowed = {"templates/needs/_card.html"}  # search highlights, escaped by search_index
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(t.relative_to(root))
        for t in (root / "templates").rglob("*.html")
        if re.search(r"\|\s*safe\b|Markup\(", t.read_text())
        and str(t.relative_to(root)) not in allowed
    ]
    assert offenders == []


def test_no_inline_scripts_or_handlers_in_templates():
    root = Path(__file__).resolve().parents[2] / "templates"
    bad = []
    for t in root.rglob("*.html"):
        text = t.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son(click|load|error|submit|change)=", text
        ):
            bad.append(t.name)
    assert bad == []


NEXT_PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "evil.example",
    "%2F%2Fevil",
    "/%5Cevil.example",
    "data:text/html,x",
    "//evil.example@localhost",
    "/\x00/evil",
    "https:/\\evil.example",
    "/.//evil.example",
]


@pytest.mark.parametrize("target", NEXT_PAYLOADS)
def test_open_redirect_payloads_stay_on_site(client, enterprise, target):
    from urllib.parse import urlsplit

    r = client.post(
        "/login",
        query_string={"next": target},
        data={"email": enterprise.email, "password": factories.PASSWORD},
    )
    location = r.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


def test_same_site_next_is_honoured(client, enterprise):
    r = client.post(
        "/login?next=/my/needs", data={"email": enterprise.email, "password": factories.PASSWORD}
    )
    assert r.headers["Location"] == "/my/needs"


def test_oversized_request_is_413(client):
    r = client.post("/login", data={"email": "a@b.cn", "password": "x" * (21 * 1024 * 1024)})
    assert r.status_code == 413
    assert "提交的内容过大" in r.get_data(as_text=True)


def test_too_many_form_parts_is_413(client):
    data = {f"f{i}": "x" for i in range(2000)}
    r = client.post("/login", data=data, content_type="multipart/form-data")
    assert r.status_code == 413


def _routes_without_args(app):
    return [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and not r.arguments and r.endpoint != "static"
    ]


def test_security_headers_on_every_page(app, client, login, bureau):
    login(bureau)
    missing = []
    for url in _routes_without_args(app):
        r = client.get(url)
        h = r.headers
        csp = h.get("Content-Security-Policy", "")
        checks = {
            "csp": "default-src 'self'" in csp
            and "frame-ancestors 'none'" in csp
            and "unsafe-inline" not in csp,
            "nosniff": h.get("X-Content-Type-Options") == "nosniff",
            "frame": h.get("X-Frame-Options") == "DENY",
            "referrer": bool(h.get("Referrer-Policy")),
            "no-store": h.get("Cache-Control") == "no-store",
            "vary": "Cookie" in h.get("Vary", ""),
            "request-id": bool(h.get("X-Request-ID")),
        }
        missing += [(url, r.status_code, k) for k, ok in checks.items() if not ok]
    assert not missing, "\n".join(map(str, missing))


def test_untrusted_host_is_400(app):
    strict = app_like(app, TRUSTED_HOSTS=["jiebang.tongxiang.gov.cn"])
    c = strict.test_client()
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert c.get("/", base_url="http://jiebang.tongxiang.gov.cn").status_code == 200


def test_trusted_hosts_from_the_environment(tmp_path, monkeypatch):
    from matchmaking import create_app

    monkeypatch.setenv("TRUSTED_HOSTS", "a.example, b.example")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40})
    assert app.config["TRUSTED_HOSTS"] == ["a.example", "b.example"]


def test_generic_500_without_traceback(app):
    boom = app_like(app, PROPAGATE_EXCEPTIONS=False)

    @boom.get("/__boom")
    def explode():
        raise RuntimeError("secret internals: db password hunter2")

    explode.access_policy = "public"
    r = boom.test_client().get("/__boom", headers={"X-Request-ID": "abc123"})
    body = r.get_data(as_text=True)
    assert r.status_code == 500
    assert "Traceback" not in body and "hunter2" not in body and "RuntimeError" not in body
    assert "abc123" in body


def test_spoofed_forwarded_for_is_not_recorded_without_proxyfix(client, enterprise):
    client.post(
        "/login",
        data={"email": enterprise.email, "password": "Wrong-password-1x"},
        headers={"X-Forwarded-For": "6.6.6.6"},
    )
    ips = db.session.query(AuditEvent.ip).all()
    assert ips and all(ip == "127.0.0.1" for (ip,) in ips)


def test_forwarded_for_is_recorded_behind_one_proxy(app, enterprise):
    proxied = app_like(app, PROXY_FIX_HOPS=1)
    proxied.test_client().post(
        "/login",
        data={"email": enterprise.email, "password": "Wrong-password-1x"},
        headers={"X-Forwarded-For": "6.6.6.6, 10.1.2.3"},
    )
    ips = [ip for (ip,) in db.session.query(AuditEvent.ip).all()]
    assert ips == ["10.1.2.3"]  # the client the one trusted proxy saw, not the forged entry


def _v(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version(name))[:3])


def test_dependency_floors():
    assert _v("flask") >= (3, 1, 3)
    assert _v("werkzeug") >= (3, 1, 6)
    assert _v("jinja2") >= (3, 1, 6)


def test_requirements_are_exact_pins():
    root = Path(__file__).resolve().parents[2]
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (root / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert "==" in line, line
