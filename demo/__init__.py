"""flaskproof: the application factory (Q155).

`create_app()` builds a fresh, fully configured app each time it is called: tests build one
per test, gunicorn one per worker, the CLI one per command. Nothing app-specific lives at
module level, so nothing leaks between those apps.
"""

from __future__ import annotations

import logging
from typing import Any

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from demo.config import BaseConfig, check_production, config_class
from demo.extensions import (
    csrf,
    db,
    jwt,
    login_manager,
    mail,
    migrate,
    redis_client,
    socketio,
)
from demo.middleware import RequestIdMiddleware

log = logging.getLogger(__name__)

ConfigLike = str | type[BaseConfig] | BaseConfig | None


def create_app(config: ConfigLike = None, **overrides: Any) -> Flask:
    """Build the app from a config name or class, then `instance/config.py`, then overrides.

    ``create_app("testing", SQLALCHEMY_DATABASE_URI=...)`` is how tests vary one setting.
    """
    # Values in `.env` fill in what the real environment does not set (Q114).
    load_dotenv(override=False)
    app = Flask(__name__, instance_relative_config=True)

    if isinstance(config, BaseConfig):
        settings = config
    else:
        cls = config if isinstance(config, type) else config_class(config)
        settings = cls()
    app.config.from_object(settings)
    app.config["CONFIG_NAME"] = settings.NAME
    # Deployment-specific secrets or tweaks, kept out of version control (Q141).
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(overrides)
    if app.config["CONFIG_NAME"] == "production":
        check_production(app.config)

    from demo.logs import configure_logging

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    from demo.api.ratelimits import limit_api_blueprints

    # After every blueprint: the API budget goes on each one serving under /api (Q152).
    limit_api_blueprints(app)

    from demo.errors import register_error_handlers

    register_error_handlers(app)

    from demo.security import register_security_headers

    register_security_headers(app)

    from demo.cli import register_commands

    register_commands(app)

    from demo.observability import init_observability

    # Metrics at /metrics, and Sentry when SENTRY_DSN is set (Q170): hooks, no middleware.
    init_observability(app)

    # Innermost first: ProxyFix must rewrite the environ before anything reads the client IP.
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app,
        x_for=app.config["PROXY_FIX_X_FOR"],
        x_proto=app.config["PROXY_FIX_X_PROTO"],
        x_host=app.config["PROXY_FIX_X_HOST"],
    )
    from demo.health.probe import LivenessRouter

    # Liveness probes skip the extension stack (Q170): see demo.health.probe.
    app.wsgi_app = LivenessRouter(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = RequestIdMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, access_log=app.config["ACCESS_LOG"]
    )
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extension objects from `demo.extensions` to this app."""
    import demo.models  # noqa: F401  (registers every table on db.metadata for migrations)

    db.init_app(app)
    migrate.init_app(app, db)
    redis_client.init_app(app)
    from demo.auth.sessions import configure_sessions

    configure_sessions(app)  # after Redis: the redis backend reuses its connection pool
    from demo.websockets import client_manager, register_namespaces

    # Redis pub/sub when REDIS_URL is set, so every process can emit to every client (Q110).
    socketio.init_app(app, client_manager=client_manager(app.config), async_mode="threading")
    register_namespaces(app)
    login_manager.init_app(app)
    from demo.i18n import init_babel

    init_babel(app)  # its locale selector reads the logged-in user's setting (Q159)
    csrf.init_app(app)
    jwt.init_app(app)
    from demo.api.ratelimits import init_rate_limits

    init_rate_limits(app)
    # Not the shared `demo.extensions.oauth`: Authlib's registry holds one app and caches its
    # clients, so each app gets a registry of its own (see demo.auth.oauth).
    from demo.auth.oauth import init_oauth

    init_oauth(app)
    from demo.api.caching import init_cache
    from demo.api.cors import init_cors

    init_cors(app)
    init_cache(app)
    mail.init_app(app)
    # After Redis: the task store reuses its connection pool (Q166).
    from demo.tasks.celery_app import celery_init_app

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per topic; each package owns its routes, templates and helpers."""
    from demo.answers.routes import bp as answers_bp
    from demo.api import bp as api_bp
    from demo.api.v2 import bp as api_v2_bp
    from demo.auth import bp as auth_bp
    from demo.auth.api import api_bp as auth_api_bp
    from demo.fundamentals import bp as fundamentals_bp
    from demo.health.routes import bp as health_bp
    from demo.websockets.pages import bp as websockets_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(fundamentals_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(auth_api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_v2_bp)  # /api/v2 beside v1 (Q126)
    app.register_blueprint(answers_bp, url_prefix="/answers")
    app.register_blueprint(websockets_bp)

    # CSRF protection is on for every POST in the app. The fundamentals demos (and the
    # blueprints nested in them) are exempt: their POSTs store nothing beyond the caller's
    # own session, they exist to show routing, parsing and hooks, and tokens there would bury
    # those lessons. The auth pages show CSRF for real (Q093, Q097).
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith(f"{fundamentals_bp.name}."):
            csrf.exempt(view)
    # The token API authenticates with headers a browser never adds by itself (Bearer JWTs,
    # API keys), so there is nothing for a form token to protect; its cookie JWTs carry
    # Flask-JWT-Extended's own double-submit CSRF check instead (Q144).
    csrf.exempt(auth_api_bp)
    # The Conduit API (Q085) likewise: `Authorization: Token <jwt>` is never sent by a browser
    # on its own, so a forged cross-site form cannot carry it.
    csrf.exempt(api_bp)
    csrf.exempt(api_v2_bp)

    # Read-only GraphQL (Q073): JSON in, JSON out, no cookie identifies the caller.
    from demo.graphql import bp as graphql_bp

    app.register_blueprint(graphql_bp)
    csrf.exempt(graphql_bp)

    # User uploads (Q099-Q101): pages with CSRF-protected forms, and a JWT API (no session
    # cookie identifies its callers, so no form token is needed there).
    from demo.uploads import bp as uploads_bp
    from demo.uploads.api import api_bp as uploads_api_bp

    app.register_blueprint(uploads_bp)
    app.register_blueprint(uploads_api_bp)
    csrf.exempt(uploads_api_bp)

    # Background tasks (Q166): status pages, and a JWT / API-key API like the others.
    from demo.tasks import api_bp as tasks_api_bp
    from demo.tasks import bp as tasks_bp

    app.register_blueprint(tasks_bp)
    app.register_blueprint(tasks_api_bp)
    csrf.exempt(tasks_api_bp)

    # Languages (Q159): the language page and its switcher; CSRF-protected like every form.
    from demo.i18n import bp as i18n_bp

    app.register_blueprint(i18n_bp)

    # The Conduit articles as pages (Q158, Q160), over the API's services; CSRF-protected.
    from demo.articles import bp as articles_bp

    app.register_blueprint(articles_bp)

    # Flask-Admin at /admin (Q136): one Admin per app, see demo.admin; its POSTs are checked
    # by the global CSRFProtect like every other form.
    from demo.admin import init_admin

    init_admin(app)


def describe_mode(app: Flask) -> list[str]:
    """Human-readable lines saying which embedded defaults are in use (logged by `make run`)."""
    lines = [f"config: {app.config['CONFIG_NAME']}"]
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        lines.append(f"database: SQLite ({db.engine.url.database or 'in memory'})")
    else:
        lines.append(f"database: {db.engine.url.get_backend_name()} at {db.engine.url.host}")
    if app.config.get("REDIS_URL"):
        lines.append("redis: configured (cache, rate limits, Socket.IO queue, task broker)")
    else:
        lines.append(
            "redis: not configured - embedded mode: in-process cache and rate-limit storage, "
            "tasks run inline"
        )
    return lines
