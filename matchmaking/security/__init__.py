"""Security plumbing shared by every blueprint: session rules, TOTP, rate limiting."""

from __future__ import annotations

from flask import Flask

from matchmaking.config import ConfigError
from matchmaking.extensions import limiter


def init_app(app: Flask) -> None:
    from matchmaking.security import sessions

    if app.config.get("ENV_NAME") == "production" and app.debug:
        # The Werkzeug debugger executes code for whoever reaches it (CVE-2024-34069).
        raise ConfigError("生产环境不得开启调试模式（FLASK_DEBUG）。")
    limiter.init_app(app)
    sessions.init_app(app)
