"""`/healthz` says the process is alive; `/readyz` says it can serve (Q170).

Liveness must never touch a dependency: a database outage should take the pod out of the
load balancer (readiness), not get every pod restarted in a loop (liveness). `GET` and
`HEAD /healthz` are answered in front of this app by `demo.health.probe`, without the
extension stack; the rule is registered here too, for `url_for`, the route listing and the
405 other methods get. `/readyz` goes through the whole app on purpose.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import text

from demo.extensions import db, limiter, redis_client

bp = Blueprint("health", __name__)
LIVENESS_PATH = "/healthz"


@limiter.request_filter
def probes_are_not_rate_limited() -> bool:
    """Keep the probes that reach this app (`/readyz`) out of Flask-Limiter entirely.

    A load balancer polls readiness every few seconds from one address, so a 429 there would
    take a healthy instance out of service; and a request filter spares a frequent request
    the limiter's search for the limits that apply to it (Q102).
    """
    return request.blueprint == bp.name


@bp.get(LIVENESS_PATH)
def healthz() -> Response:
    """Always 200 while the process can answer HTTP at all."""
    return jsonify(status="ok")


def _check_database() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        db.session.rollback()
        return type(exc).__name__
    return None


def _check_redis() -> str | None:
    client = redis_client.client
    if client is None:
        return None
    try:
        client.ping()
    except Exception as exc:
        return type(exc).__name__
    return None


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database (and Redis, when configured) answer; 503 naming what failed."""
    checks = {"database": _check_database()}
    if redis_client.client is not None:
        checks["redis"] = _check_redis()
    failed = sorted(name for name, error in checks.items() if error)
    body = {
        "status": "unavailable" if failed else "ready",
        "checks": {name: error or "ok" for name, error in checks.items()},
        "failed": failed,
    }
    return jsonify(body), 503 if failed else 200
