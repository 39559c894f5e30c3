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
    "SESSION_COOKIE_NAME": "session",  # "__Host-session" when the cookie is Secure
    "REMEMBER_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # Checked on the server from timestamps in the session (matchmaking.security.sessions).
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
    # Bureau accounts: a second factor (TOTP) and a password that expires.
    "MFA_ROLES": ("bureau",),
    "PASSWORD_MAX_AGE": {"bureau": timedelta(days=90)},
    "TOTP_ISSUER": "桐乡揭榜平台",
    # Per-IP throttle on sign-in (Flask-Limiter; storage shared across workers when redis://).
    "LOGIN_RATE_LIMIT": "30 per minute;300 per hour",
    # Full-text search costs CPU: generous for people, a brake on scrapers (per IP).
    "SEARCH_RATE_LIMIT": "120 per minute;3000 per hour",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_KEY_PREFIX": "matchmaking",
    # The audit log is kept at least 184 days (≈6 months, 网络安全法); purge refuses younger rows.
    "AUDIT_RETENTION_DAYS": 184,
    "AUDIT_PAGE_SIZE": 50,
    "AUDIT_EXPORT_MAX_ROWS": 100_000,
    "TRUSTED_HOSTS": None,
    "SEARCH_SYNC_AFTER_COMMIT": True,
    "SEARCH_TIME_LIMIT": 0.5,  # seconds; slower searches return the best found so far
    "SEARCH_LOCK_TIMEOUT": 2.0,  # seconds the request path waits for the index writer
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,  # bid attachments and contract files (PDF)
    "LAPSE_AFTER_DAYS": 90,  # 流榜: closed this long with no live match
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
    "TRUSTED_HOSTS": lambda v: [h.strip() for h in v.split(",") if h.strip()],
    "LOGIN_RATE_LIMIT": str,
    "SEARCH_RATE_LIMIT": str,
    "AUDIT_RETENTION_DAYS": int,
    "LAPSE_AFTER_DAYS": int,
}

# The audit log may never be kept for less than this many days (网络安全法 §21(三): ≥ 6 months).
MIN_AUDIT_RETENTION_DAYS = 184

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
    secure_from_env = False
    for name, parse in ENVIRONMENT.items():
        raw = os.environ.get(f"MATCHMAKING_{name}", os.environ.get(name))
        if raw is not None and raw != "":
            cfg[name] = parse(raw)
            secure_from_env |= name == "SESSION_COOKIE_SECURE"
    if "DATABASE_URL" in cfg:
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg.pop("DATABASE_URL")
    if test_config:
        cfg.update(test_config)
        secure_from_env |= "SESSION_COOKIE_SECURE" in test_config
    if cfg["ENV_NAME"] == "production" and not secure_from_env:
        # Production is served over HTTPS; set SESSION_COOKIE_SECURE=0 to opt out explicitly.
        cfg["SESSION_COOKIE_SECURE"] = True
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            instance_path, "matchmaking.db"
        )
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    cfg.setdefault("SEARCH_INDEX_DIR", None)
    cfg["SEARCH_INDEX_DIR"] = cfg["SEARCH_INDEX_DIR"] or os.path.join(instance_path, "search")
    cfg["UPLOAD_DIR"] = cfg["UPLOAD_DIR"] or os.path.join(instance_path, "uploads")
    _check_secret(cfg, instance_path)
    _harden_cookies(cfg)
    _check_retention(cfg)
    return cfg


def _harden_cookies(cfg: dict[str, Any]) -> None:
    # A Secure cookie gets the __Host- prefix: the browser then refuses it unless it was set
    # over HTTPS, for path /, without a Domain — a sibling subdomain cannot plant or read it.
    if cfg.get("SESSION_COOKIE_SECURE"):
        cfg["REMEMBER_COOKIE_SECURE"] = True
        if cfg.get("SESSION_COOKIE_NAME", "session") == "session":
            cfg["SESSION_COOKIE_NAME"] = "__Host-session"
        cfg["SESSION_COOKIE_DOMAIN"] = None
        cfg["SESSION_COOKIE_PATH"] = "/"
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["REMEMBER_COOKIE_HTTPONLY"] = True
    if cfg.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        cfg["SESSION_COOKIE_SAMESITE"] = "Lax"


def _check_retention(cfg: dict[str, Any]) -> None:
    if int(cfg["AUDIT_RETENTION_DAYS"]) < MIN_AUDIT_RETENTION_DAYS:
        raise ConfigError(
            f"AUDIT_RETENTION_DAYS 不能少于 {MIN_AUDIT_RETENTION_DAYS} 天"
            "（审计日志至少保存六个月）。"
        )


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
