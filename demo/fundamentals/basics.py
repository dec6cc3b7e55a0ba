"""Flask basics you can try in the browser (Q001-Q007, Q009-Q013, Q142, Q153, Q156).

A plain-text view, one stack description served both as an HTML page and as JSON, a view
that echoes what Werkzeug did with the request before the view ran, and the active
configuration summarised without revealing a single secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from flask import Response, current_app, jsonify, render_template, request
from sqlalchemy.engine import make_url

from demo.config import DEV_JWT_SECRET_KEY, DEV_SECRET_KEY
from demo.fundamentals import bp

PACKAGES = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")


def stack_summary() -> dict[str, Any]:
    """Flask's own small core (with its versions) and what this app adds to it."""
    return {
        "app": current_app.name,
        "packages": {name: version(name) for name in PACKAGES},
        # Empty on a bare Flask(); every entry here came from an extension's init_app.
        "extensions": sorted(current_app.extensions),
        "blueprints": sorted(current_app.blueprints),
    }


def _qualified_names(cls: type) -> list[str]:
    return [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__ if c is not object]


def secret_status(value: str | None, development_default: str) -> str:
    """Describe a secret without showing it: missing, the development default, or set."""
    if not value:
        return "missing"
    if value == development_default:
        return "development default"
    return "set"


def config_summary(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that differ between environments; secrets only as a status."""
    return {
        "config": config["CONFIG_NAME"],
        "debug": bool(config["DEBUG"]),
        "testing": bool(config["TESTING"]),
        # Backend name only: a URL may carry a password and a host worth keeping private.
        "database": make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name(),
        "redis": "configured" if config.get("REDIS_URL") else "embedded mode",
        "session_cookie_secure": bool(config["SESSION_COOKIE_SECURE"]),
        "log_format": config["LOG_FORMAT"],
        "log_level": config["LOG_LEVEL"],
        "secrets": {
            "SECRET_KEY": secret_status(config.get("SECRET_KEY"), DEV_SECRET_KEY),
            "JWT_SECRET_KEY": secret_status(config.get("JWT_SECRET_KEY"), DEV_JWT_SECRET_KEY),
        },
    }


@bp.get("/basics/hello")
def basics_hello() -> Response:
    """The smallest useful view: plain text, from the `DEMO_GREETING` setting."""
    return Response(current_app.config["DEMO_GREETING"], mimetype="text/plain")


@bp.get("/basics/about")
def basics_about() -> str:
    """The stack as an HTML page rendered by Jinja (autoescaped, like every .html template)."""
    return render_template(
        "fundamentals/basics_about.html",
        greeting=current_app.config["DEMO_GREETING"],
        stack=stack_summary(),
    )


@bp.get("/basics/about.json")
def basics_about_json() -> Response:
    """The same facts as `/basics/about`, for programs instead of people."""
    return jsonify(stack_summary())


@bp.get("/basics/werkzeug/<int:number>")
def basics_werkzeug(number: int) -> Response:
    """What Werkzeug did before this view ran: matched the rule, converted, parsed the query."""
    rule = request.url_rule
    return jsonify(
        rule=rule.rule if rule else None,
        endpoint=request.endpoint,
        number=number,
        number_type=type(number).__name__,
        query=request.args.to_dict(flat=False),
        # Accept parsed into media types, best quality first.
        accept=[mimetype for mimetype, _quality in request.accept_mimetypes],
        request_class=_qualified_names(current_app.request_class),
        response_class=_qualified_names(current_app.response_class),
    )


@bp.get("/basics/config")
def basics_config() -> Response:
    """Which configuration is running and how it differs per environment, minus the secrets."""
    return jsonify(config_summary(current_app.config))
