"""Configuration classes fed from environment variables (Q114, Q153, Q156).

Each class reads the environment when it is *instantiated*, not when this module is
imported, so a test or a process manager can change the environment and build a new app.
`REDIS_URL` unset means embedded mode: in-process cache and rate-limit storage, SQLite,
and tasks run inline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

# A development-only secret: production refuses to start with it (see `check_production`).
DEV_SECRET_KEY = "dev-only-secret-key-change-me-please-0123456789"  # noqa: S105
DEV_JWT_SECRET_KEY = "dev-only-jwt-secret-change-me-please-0123456789"  # noqa: S105
MIN_SECRET_LENGTH = 32  # 256 bits of hex or more


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Map the URL schemes platforms hand out onto the driver this project installs.

    Heroku-style `postgres://` and plain `postgresql://` both mean psycopg 3 here.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BaseConfig:
    """Settings shared by every environment; subclasses change only what differs."""

    NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.SECRET_KEY = env.get("SECRET_KEY") or DEV_SECRET_KEY
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY") or DEV_JWT_SECRET_KEY

        database_url = env.get("DATABASE_URL")
        # Relative SQLite paths resolve inside the instance folder (Flask-SQLAlchemy 3).
        self.SQLALCHEMY_DATABASE_URI = (
            normalise_database_url(database_url) if database_url else "sqlite:///flaskproof.db"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = self._engine_options(env)
        self.SQLALCHEMY_RECORD_QUERIES = False

        # One Redis serves everything unless a more specific variable overrides it.
        self.REDIS_URL = env.get("REDIS_URL") or None
        # Rate-limit counters live in Redis when there is one, else in this process.
        self.RATELIMIT_STORAGE_URI = (
            env.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        )
        self.RATELIMIT_HEADERS_ENABLED = True
        # bcrypt work factor (Q047): each step doubles the cost of a guess.
        self.BCRYPT_LOG_ROUNDS = _int(env.get("BCRYPT_LOG_ROUNDS"), self.default_bcrypt_rounds)

        # `or`, not a .get() default: an empty `KEY=` line in .env means "use the default".
        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        self.LOG_FORMAT = env.get("LOG_FORMAT") or self.default_log_format
        # How many proxies in front of the app may set X-Forwarded-* (0 = trust none).
        self.PROXY_FIX_X_FOR = _int(env.get("PROXY_FIX_X_FOR"), 0)
        self.PROXY_FIX_X_PROTO = _int(env.get("PROXY_FIX_X_PROTO"), self.PROXY_FIX_X_FOR)
        self.PROXY_FIX_X_HOST = _int(env.get("PROXY_FIX_X_HOST"), 0)

        self.MAX_CONTENT_LENGTH = _int(env.get("MAX_CONTENT_LENGTH"), 16 * 1024 * 1024)
        self.PERMANENT_SESSION_LIFETIME = timedelta(
            seconds=_int(env.get("SESSION_LIFETIME_SECONDS"), 14 * 24 * 3600)
        )
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), self.secure_cookies)
        # Static assets change name when they change, so browsers may keep them long.
        self.SEND_FILE_MAX_AGE_DEFAULT = _int(env.get("SEND_FILE_MAX_AGE_DEFAULT"), 3600)
        self.DEMO_GREETING = env.get("DEMO_GREETING") or "Hello from flaskproof"

    default_log_format = "text"
    secure_cookies = False
    default_bcrypt_rounds = 12

    @staticmethod
    def _engine_options(env: Mapping[str, str]) -> dict[str, Any]:
        """Pool settings (Q076): pre-ping drops dead connections, recycle beats server timeouts."""
        options: dict[str, Any] = {
            "pool_pre_ping": _bool(env.get("DB_POOL_PRE_PING"), True),
            "pool_recycle": _int(env.get("DB_POOL_RECYCLE"), 1800),
        }
        if env.get("DB_POOL_SIZE"):
            options["pool_size"] = _int(env.get("DB_POOL_SIZE"), 5)
        if env.get("DB_MAX_OVERFLOW"):
            options["max_overflow"] = _int(env.get("DB_MAX_OVERFLOW"), 10)
        return options


class DevelopmentConfig(BaseConfig):
    """Local work: debugger and reloader on, readable logs."""

    NAME = "development"
    DEBUG = True


class TestingConfig(BaseConfig):
    """pytest: in-memory SQLite unless TEST_DATABASE_URL points at a real server."""

    NAME = "testing"
    TESTING = True
    # The minimum bcrypt allows: test hashes protect nothing and must be fast.
    default_bcrypt_rounds = 4

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        # Tests never touch the developer's database or Redis by accident.
        test_db = env.get("TEST_DATABASE_URL")
        env["DATABASE_URL"] = test_db or "sqlite://"
        env.pop("REDIS_URL", None)
        super().__init__(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = {} if not test_db else self.SQLALCHEMY_ENGINE_OPTIONS
        self.SERVER_NAME = None


class ProductionConfig(BaseConfig):
    """Behind gunicorn and a proxy: JSON logs, secure cookies, secrets required."""

    NAME = "production"
    default_log_format = "json"
    secure_cookies = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(env)
        # Remember what was really provided, so the check below sees defaults for what they are.
        self.SECRET_KEY = env.get("SECRET_KEY", "")
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY", "")


CONFIGS: dict[str, type[BaseConfig]] = {
    cls.NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)
}


def config_class(name: str | None) -> type[BaseConfig]:
    """The class for a name such as ``production``; `FLASK_CONFIG` picks it by default."""
    key = (name or os.environ.get("FLASK_CONFIG") or "development").lower()
    try:
        return CONFIGS[key]
    except KeyError:
        raise RuntimeError(
            f"Unknown FLASK_CONFIG {key!r}; expected one of {', '.join(sorted(CONFIGS))}"
        ) from None


class InsecureConfigError(RuntimeError):
    """Raised at start-up when production settings would be unsafe to serve with."""


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to start production with a missing, default or short secret (Q153)."""
    problems = []
    for key, default in (("SECRET_KEY", DEV_SECRET_KEY), ("JWT_SECRET_KEY", DEV_JWT_SECRET_KEY)):
        value = config.get(key) or ""
        if not value:
            problems.append(f"{key} is not set")
        elif value == default:
            problems.append(f"{key} is the development default")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{key} is shorter than {MIN_SECRET_LENGTH} characters")
    if problems:
        raise InsecureConfigError(
            "Refusing to start in production: "
            + "; ".join(problems)
            + ". Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
