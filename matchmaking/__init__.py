"""The 揭榜 platform: create_app() builds the Flask application without side effects."""

from __future__ import annotations

import importlib
import os
import uuid
from typing import Any

import click
from flask import Blueprint, Flask, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from matchmaking import config as config_module
from matchmaking import security
from matchmaking.extensions import csrf, db, login_manager, migrate

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=TEMPLATE_DIR,
        instance_path=(test_config or {}).get("INSTANCE_PATH"),
    )
    app.config.update(config_module.load(app.instance_path, test_config))
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(TEMPLATE_DIR), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    from matchmaking import database
    from matchmaking.accounts import auth

    database.init_app(app)
    auth.init_app(app)

    _import_models()
    _register_blueprints(app)
    _register_cli(app)
    _register_request_hooks(app)

    from matchmaking import errors_views, templating
    from matchmaking.search import sync

    errors_views.init_app(app)
    templating.init_app(app)
    sync.init_app(app)
    return app


def _import_models() -> None:
    # Every model module is imported so metadata (and Alembic) see all tables.
    from matchmaking.accounts import models as _accounts  # noqa: F401
    from matchmaking.audit import models as _audit  # noqa: F401
    from matchmaking.bids import models as _bids  # noqa: F401
    from matchmaking.matches import models as _matches  # noqa: F401
    from matchmaking.needs import models as _needs  # noqa: F401
    from matchmaking.reference import models as _reference  # noqa: F401
    from matchmaking.search import models as _search  # noqa: F401
    from matchmaking.stats import models as _stats  # noqa: F401


# Each domain's view modules; every Blueprint defined at module level is registered.
VIEW_MODULES = (
    "matchmaking.accounts.views",
    "matchmaking.needs.views",
    "matchmaking.reference.views",
    "matchmaking.api.views",
    "matchmaking.bids.views",
    "matchmaking.matches.views",
    "matchmaking.stats.views",
    "matchmaking.stats.api",
    "matchmaking.audit.views",
    "matchmaking.search.views",
)
# Each domain's CLI modules; every click group defined at module level is added.
CLI_MODULES = (
    "matchmaking.accounts.cli",
    "matchmaking.needs.cli",
    "matchmaking.reference.cli",
    "matchmaking.audit.cli",
    "matchmaking.demo",
    "matchmaking.matches.cli",
    "matchmaking.search.cli",
    "matchmaking.stats.cli",
)


def _register_blueprints(app: Flask) -> None:
    for name in VIEW_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Blueprint) and value.import_name == name:
                app.register_blueprint(value)


def _register_cli(app: Flask) -> None:
    for name in CLI_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, click.Group):
                app.cli.add_command(value)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a proxy's id only if it is short and plain; otherwise make our own.
        g.request_id = incoming if incoming.isalnum() and len(incoming) <= 40 else uuid.uuid4().hex

    # Rate limiting, session timeouts, second factor and password expiry (after the id).
    security.init_app(app)

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("X-Request-ID", g.get("request_id", ""))
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated or request.authorization:
            h["Cache-Control"] = "no-store"
        h.add("Vary", "Cookie")
        return response

    @app.shell_context_processor
    def shell_context() -> dict[str, Any]:
        return {"db": db}
