"""Configuration: defaults < environment < the test mapping passed to create_app()."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

DEFAULTS: dict[str, Any] = {
    "ENV_NAME": "development",
    "SQLALCHEMY_DATABASE_URI": None,  # filled with SQLite under instance/ when not set
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SEARCH_INDEX_DIR": None,  # default: instance/search
    "UPLOAD_DIR": None,  # default: instance/uploads (outside the web root)
    "TIMEZONE": "Asia/Shanghai",
    "BOARD_PAGE_SIZE": 20,
    "API_MAX_PER_PAGE": 100,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500 * 1024,
    "MAX_FORM_PARTS": 1000,
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "SEARCH_SYNC_AFTER_COMMIT": True,
    "PROXY_FIX_HOPS": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    "JSON_AS_ASCII": False,
}

# Environment variables that may override a default, with their parser.
ENVIRONMENT: dict[str, Any] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "SEARCH_INDEX_DIR": str,
    "UPLOAD_DIR": str,
    "RATELIMIT_STORAGE_URI": str,
    "PROXY_FIX_HOPS": int,
    "SESSION_COOKIE_SECURE": lambda v: v.lower() in {"1", "true", "yes"},
    "ENV_NAME": str,
}

MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(instance_path: str, test_config: dict[str, Any] | None) -> dict[str, Any]:
    """Return the effective configuration for an app whose instance folder is given."""
    cfg = dict(DEFAULTS)
    for name, parse in ENVIRONMENT.items():
        raw = os.environ.get(f"MATCHMAKING_{name}", os.environ.get(name))
        if raw is not None and raw != "":
            cfg[name] = parse(raw)
    if "DATABASE_URL" in cfg:
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg.pop("DATABASE_URL")
    if test_config:
        cfg.update(test_config)
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            instance_path, "matchmaking.db"
        )
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    cfg.setdefault("SEARCH_INDEX_DIR", None)
    cfg["SEARCH_INDEX_DIR"] = cfg["SEARCH_INDEX_DIR"] or os.path.join(instance_path, "search")
    cfg["UPLOAD_DIR"] = cfg["UPLOAD_DIR"] or os.path.join(instance_path, "uploads")
    _check_secret(cfg, instance_path)
    return cfg


def _check_secret(cfg: dict[str, Any], instance_path: str) -> None:
    if cfg.get("TESTING"):
        return
    if not cfg.get("SECRET_KEY") and cfg["ENV_NAME"] != "production":
        # Development convenience only: `make run` writes a random key (mode 0600) into the
        # instance folder, which is never committed. Production takes it from the environment.
        path = os.path.join(instance_path, "secret_key")
        if os.path.exists(path):
            with open(path, encoding="ascii") as fh:
                cfg["SECRET_KEY"] = fh.read().strip()
    key = cfg.get("SECRET_KEY")
    if not key or len(str(key)) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "SECRET_KEY 未设置或过短：请通过环境变量 SECRET_KEY 提供至少 "
            f"{MIN_SECRET_KEY_LENGTH} 个字符的随机密钥（例如 python -c "
            "'import secrets; print(secrets.token_hex(32))'）。"
        )
