"""Liveness answered by a Flask app of its own, in front of the main one (Q170, Q102, Q087).

A liveness probe asks one question: can this process still answer HTTP? The main app makes
every request pass through a dozen extension hooks (sessions, CSRF, the rate limiter, CORS,
metrics, security headers, Flask-Login, Babel); none of them has anything to say about a
probe, and the load balancer or kubelet calls it every few seconds. So `GET` and `HEAD
/healthz` go to a minimal Flask app with that one route and no extensions, and everything
else, other methods on /healthz included, goes to the main app.

What that buys:

- A probe costs about what it costs bare Flask (`make bench` compares the two), so frequent
  probes take no capacity from real requests.
- Liveness cannot fail because of something a restart would not fix: a misconfigured
  extension, a Redis-backed session or limiter store that is down. Those belong to
  *readiness*: `/readyz` stays in the main app and goes through the whole stack on purpose,
  so a broken stack takes the instance out of the load balancer instead of restarting it.
- The rule stays registered in the main app (`demo.health.routes`), so `url_for`, the route
  listing and `405 Method Not Allowed` for other methods work as for any other route.

The router is written by hand because it is the answer: choosing a WSGI app per request is
all Werkzeug's `DispatcherMiddleware` does too, but that one mounts by path *prefix* and
rewrites `SCRIPT_NAME`; a probe is one exact path. It sits inside `RequestIdMiddleware`, so
probes still get an `X-Request-ID` and the server's access line, and outside `ProxyFix`,
which a probe has no use for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from demo.health.routes import LIVENESS_PATH, healthz

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PROBE_METHODS = frozenset({"GET", "HEAD"})


def create_probe_app() -> Flask:
    """A Flask app serving only the liveness route: no config, extensions or hooks."""
    probe = Flask(__name__)
    probe.add_url_rule(LIVENESS_PATH, endpoint="healthz", view_func=healthz)
    return probe


class LivenessRouter:
    """Send `GET`/`HEAD` of the liveness path to the probe app, every other request to `app`."""

    def __init__(self, app: WSGIApp, probe: WSGIApp | None = None) -> None:
        self.app = app
        self.probe = probe or create_probe_app()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") == LIVENESS_PATH
            and environ.get("REQUEST_METHOD") in PROBE_METHODS
        ):
            return self.probe(environ, start_response)
        return self.app(environ, start_response)
