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


def _csv(value: str | None, default: tuple[str, ...]) -> list[str]:
    """A comma-separated list; unset or blank means the default."""
    if value is None or not value.strip():
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


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
        self._api_platform_settings(env)
        # The Redis pub/sub channel Socket.IO servers share; processes on one channel form one
        # cluster (Q110). Pub/sub ignores the Redis db number, so separate clusters need names.
        self.SOCKETIO_CHANNEL = env.get("SOCKETIO_CHANNEL") or "flask-socketio"
        # bcrypt work factor (Q047): each step doubles the cost of a guess.
        self.BCRYPT_LOG_ROUNDS = _int(env.get("BCRYPT_LOG_ROUNDS"), self.default_bcrypt_rounds)
        self._oauth_settings(env)
        self._task_and_mail_settings(env)

        # `or`, not a .get() default: an empty `KEY=` line in .env means "use the default".
        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        self.LOG_FORMAT = env.get("LOG_FORMAT") or self.default_log_format
        # One access line per request: the app's own JSON line (demo.middleware), unless the
        # server already writes one. gunicorn.conf.py turns it off while gunicorn's access log
        # (which carries the same request id) is on: a second line per request costs worker
        # time on every request and says nothing new (Q102, bench/README.md).
        self.ACCESS_LOG = _bool(env.get("ACCESS_LOG"), True)
        # How many proxies in front of the app may set X-Forwarded-* (0 = trust none).
        self.PROXY_FIX_X_FOR = _int(env.get("PROXY_FIX_X_FOR"), 0)
        self.PROXY_FIX_X_PROTO = _int(env.get("PROXY_FIX_X_PROTO"), self.PROXY_FIX_X_FOR)
        self.PROXY_FIX_X_HOST = _int(env.get("PROXY_FIX_X_HOST"), 0)

        self.MAX_CONTENT_LENGTH = _int(env.get("MAX_CONTENT_LENGTH"), 16 * 1024 * 1024)
        # Multipart limits (Q100): every text field of this app's multipart forms is a token
        # or an id, so 64 KiB per field and 50 parts are generous, and far below Flask's
        # defaults (500 kB, 1000 parts) that a hostile form could otherwise use up.
        self.MAX_FORM_MEMORY_SIZE = _int(env.get("MAX_FORM_MEMORY_SIZE"), 64 * 1024)
        self.MAX_FORM_PARTS = _int(env.get("MAX_FORM_PARTS"), 50)
        # User uploads (Q099-Q101): outside static/; unset means <instance folder>/uploads.
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER") or None
        self.UPLOAD_MAX_IMAGE_PIXELS = _int(env.get("UPLOAD_MAX_IMAGE_PIXELS"), 25_000_000)
        # The streaming endpoint's own cap; it replaces MAX_CONTENT_LENGTH for that view only.
        self.UPLOAD_STREAM_MAX_BYTES = _int(env.get("UPLOAD_STREAM_MAX_BYTES"), 1024**3)
        self.PERMANENT_SESSION_LIFETIME = timedelta(
            seconds=_int(env.get("SESSION_LIFETIME_SECONDS"), 14 * 24 * 3600)
        )
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), self.secure_cookies)
        self._browser_session_settings(env)
        # Static assets change name when they change, so browsers may keep them long.
        self.SEND_FILE_MAX_AGE_DEFAULT = _int(env.get("SEND_FILE_MAX_AGE_DEFAULT"), 3600)
        self.DEMO_GREETING = env.get("DEMO_GREETING") or "Hello from flaskproof"

        # Flask-JWT-Extended (Q048, Q144): short-lived access tokens, long-lived refresh tokens,
        # carried in the Authorization header (API clients) or in cookies (browsers).
        self.JWT_ALGORITHM = "HS256"
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(
            seconds=_int(env.get("JWT_ACCESS_TOKEN_SECONDS"), 15 * 60)
        )
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(
            seconds=_int(env.get("JWT_REFRESH_TOKEN_SECONDS"), 30 * 24 * 3600)
        )
        self.JWT_TOKEN_LOCATION = ["headers", "cookies"]
        self.JWT_COOKIE_CSRF_PROTECT = True
        self.JWT_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.JWT_COOKIE_SAMESITE = "Lax"
        # Cookies that outlive the browser session as long as their token lives; the access
        # cookie is only sent to the API and the refresh cookie only to the refresh endpoint.
        self.JWT_SESSION_COOKIE = False
        self.JWT_ACCESS_COOKIE_PATH = "/api/"
        self.JWT_REFRESH_COOKIE_PATH = "/api/auth/refresh"
        # Requests per API key, counted across every route the key can reach (Q098).
        self.API_KEY_RATE_LIMIT = env.get("API_KEY_RATE_LIMIT") or "60/minute"

    # Flask-Babel (Q065, Q159): the languages the pages are translated into, the one used when
    # nothing else decides, and the zone dates are shown in. Catalogs live in demo/translations.
    LANGUAGES: tuple[str, ...] = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    default_log_format = "text"
    secure_cookies = False
    default_bcrypt_rounds = 12
    # Where a Conduit front end usually runs while developing (create-react-app, Vite).
    default_cors_origins: tuple[str, ...] = (
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://localhost:5173",
        "http://127.0.0.1:5173",
    )
    hsts_max_age = 0  # no Strict-Transport-Security header outside production

    def _browser_session_settings(self, env: Mapping[str, str]) -> None:
        """Where sessions live, remember-me cookies, login throttling, HSTS (Q039, Q143, Q145).

        `SESSION_BACKEND`: ``redis`` (the default when `REDIS_URL` is set), ``cachelib`` (the
        embedded default: files under the instance folder, memory in tests) or ``cookie``
        (Flask's own signed-cookie session). None means "choose from REDIS_URL at start-up".
        """
        self.SESSION_BACKEND = (env.get("SESSION_BACKEND") or "").strip().lower() or None
        # Flask-Session makes every session permanent by default; keep Flask's behaviour
        # instead: a session cookie dies with the browser unless a view sets session.permanent.
        self.SESSION_PERMANENT = False
        self.SESSION_KEY_PREFIX = "session:"
        # Flask-Login's remember-me cookie: same flags as the session cookie, its own lifetime.
        self.REMEMBER_COOKIE_DURATION = timedelta(days=_int(env.get("REMEMBER_COOKIE_DAYS"), 30))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # Password guessing through the login and registration pages (Flask-Limiter syntax).
        self.AUTH_RATE_LIMIT_PER_ACCOUNT = env.get("AUTH_RATE_LIMIT_PER_ACCOUNT") or "5/minute"
        self.AUTH_RATE_LIMIT_PER_ADDRESS = env.get("AUTH_RATE_LIMIT_PER_ADDRESS") or "10/minute"
        self.HSTS_MAX_AGE = self.hsts_max_age

    def _api_platform_settings(self, env: Mapping[str, str]) -> None:
        """CORS, API rate limits, response caching and GraphQL (Q069, Q073, Q103, Q152)."""
        # Browser origins that may call /api from their pages; "*" means any origin, and then
        # never with credentials. Production allows none unless told (see demo.api.cors).
        self.CORS_ORIGINS = _csv(env.get("CORS_ORIGINS"), self.default_cors_origins)
        # How long a browser may reuse a preflight answer (Chromium caps it at two hours).
        self.CORS_MAX_AGE = _int(env.get("CORS_MAX_AGE"), 600)
        # One budget per caller across every /api route: the verified user, else the address.
        self.RATELIMIT_API_DEFAULT = env.get("RATELIMIT_API_DEFAULT") or "300/minute"
        # Redis unreachable: keep limiting, with the same limits counted in this process,
        # rather than failing every request or dropping all limits (see demo.api.ratelimits).
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # A dead Redis must cost a request a second at most, not the OS connect timeout.
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_connect_timeout": 1, "socket_timeout": 1}
            if self.RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://"))
            else {}
        )
        # Flask-Caching: the shared Redis when there is one, else this process's memory.
        self.CACHE_TYPE = "RedisCache" if self.REDIS_URL else "SimpleCache"
        self.CACHE_REDIS_URL = self.REDIS_URL
        self.CACHE_OPTIONS = (
            {"socket_connect_timeout": 1, "socket_timeout": 1} if self.REDIS_URL else {}
        )
        self.CACHE_KEY_PREFIX = "flaskproof:"
        self.CACHE_DEFAULT_TIMEOUT = _int(env.get("CACHE_DEFAULT_TIMEOUT"), 300)
        # The in-browser GraphiQL page at GET /api/graphql: on with the debugger, else off.
        self.GRAPHQL_IDE = _bool(env.get("GRAPHQL_IDE"), self.DEBUG)

    def _oauth_settings(self, env: Mapping[str, str]) -> None:
        """ "Log in with ..." providers (Q127): each is offered only when its credentials are set.

        Client secrets come from the environment only; `demo.auth.oauth` turns these settings
        into Authlib clients.
        """
        self.OAUTH_PROVIDERS = tuple(
            name.strip().lower()
            for name in (env.get("OAUTH_PROVIDERS") or "github,google,generic").split(",")
            if name.strip()
        )
        self.GITHUB_CLIENT_ID = env.get("GITHUB_CLIENT_ID") or None
        self.GITHUB_CLIENT_SECRET = env.get("GITHUB_CLIENT_SECRET") or None
        # GitHub Enterprise Server: https://HOST and https://HOST/api/v3/.
        self.GITHUB_BASE_URL = env.get("GITHUB_BASE_URL") or "https://github.com"
        self.GITHUB_API_URL = env.get("GITHUB_API_URL") or "https://api.github.com/"
        self.GOOGLE_CLIENT_ID = env.get("GOOGLE_CLIENT_ID") or None
        self.GOOGLE_CLIENT_SECRET = env.get("GOOGLE_CLIENT_SECRET") or None
        # Any other OpenID Connect provider (Keycloak, Auth0, Okta, GitLab, ...).
        self.OIDC_CLIENT_ID = env.get("OIDC_CLIENT_ID") or None
        self.OIDC_CLIENT_SECRET = env.get("OIDC_CLIENT_SECRET") or None
        self.OIDC_NAME = env.get("OIDC_NAME") or "OpenID Connect"
        self.OIDC_SCOPE = env.get("OIDC_SCOPE") or "openid email profile"
        self.OIDC_DISCOVERY_URL = env.get("OIDC_DISCOVERY_URL") or None
        # Without discovery, the endpoints one by one.
        self.OIDC_AUTHORIZE_URL = env.get("OIDC_AUTHORIZE_URL") or None
        self.OIDC_TOKEN_URL = env.get("OIDC_TOKEN_URL") or None
        self.OIDC_USERINFO_URL = env.get("OIDC_USERINFO_URL") or None
        self.OIDC_JWKS_URL = env.get("OIDC_JWKS_URL") or None
        self.OIDC_ISSUER = env.get("OIDC_ISSUER") or None

    def _task_and_mail_settings(self, env: Mapping[str, str]) -> None:
        """Celery and Flask-Mail (Q060, Q166); `demo.tasks.celery_app` builds Celery's config.

        No broker (neither `CELERY_BROKER_URL` nor `REDIS_URL`): tasks run inline, in the
        process that queues them. No `MAIL_SERVER`: mail is logged instead of sent.
        """
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL") or None
        self.CELERY_RESULT_BACKEND = env.get("CELERY_RESULT_BACKEND") or None
        self.MAIL_SERVER = env.get("MAIL_SERVER") or "localhost"
        self.MAIL_PORT = _int(env.get("MAIL_PORT"), 25)
        self.MAIL_USE_TLS = _bool(env.get("MAIL_USE_TLS"))
        self.MAIL_USE_SSL = _bool(env.get("MAIL_USE_SSL"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = (
            env.get("MAIL_DEFAULT_SENDER") or "flaskproof <noreply@localhost>"
        )
        self.MAIL_SUPPRESS_SEND = _bool(env.get("MAIL_SUPPRESS_SEND"), not env.get("MAIL_SERVER"))
        # Unset: <instance folder>/exports. Exports and revoked API keys older than these go.
        self.EXPORT_FOLDER = env.get("EXPORT_FOLDER") or None
        self.EXPORT_RETENTION_HOURS = _int(env.get("EXPORT_RETENTION_HOURS"), 24)
        self.API_KEY_RETENTION_DAYS = _int(env.get("API_KEY_RETENTION_DAYS"), 90)

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
        env.pop("SESSION_BACKEND", None)
        for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "MAIL_SERVER"):
            env.pop(name, None)
        super().__init__(env)
        self.SQLALCHEMY_ENGINE_OPTIONS = {} if not test_db else self.SQLALCHEMY_ENGINE_OPTIONS
        self.SERVER_NAME = None


class ProductionConfig(BaseConfig):
    """Behind gunicorn and a proxy: JSON logs, secure cookies, secrets required."""

    NAME = "production"
    default_log_format = "json"
    secure_cookies = True
    # A production API is called cross-origin only by the front ends it names.
    default_cors_origins = ()
    hsts_max_age = 365 * 24 * 3600

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
