"""Request metrics in Prometheus format at GET /metrics (Q170).

Every request is counted and timed, labelled by the Flask *endpoint* (``api.article``,
never the raw path: one label value per route, not one per article slug, or the time series
would grow without bound), the method and the status code. Timing starts in the first
`before_request` hook (ahead of every other hook, rate limits included) and is recorded in
`after_request`, where the endpoint and the status are both known; the hot path is two
`perf_counter()` calls, a dict lookup and prometheus-client's own updates. Hooks rather than
a WSGI wrapper, so the app's middleware stack stays as `demo.middleware` describes it.
Socket.IO traffic is answered by Engine.IO's middleware before Flask routes anything, so it
is not part of these metrics.

Each app gets its own `CollectorRegistry`, so the many apps a test run builds never collide
on metric names. Under gunicorn with several worker processes, each process only sees its
own counts; set `PROMETHEUS_MULTIPROC_DIR` (an empty directory, wiped at each start) in the
server's environment and every process writes its values there, and a scrape of any of them
sums all of them (`prometheus_client.multiprocess`).

Access: /metrics says how busy the app is and names every route, so it is not public. It is
served only to callers from `METRICS_ALLOWED_IPS` (default: loopback and private networks,
where a Prometheus server runs) and, when `METRICS_TOKEN` is set, only with
`Authorization: Bearer <token>`. The address check relies on ProxyFix being configured
(`PROXY_FIX_X_FOR`): without it, every request through a proxy seems to come from the
proxy's private address, so deployments reachable from the internet should set the token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

DEFAULT_ALLOWED_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
START_KEY = "flaskproof.metrics.started"  # in the request's WSGI environ
# No route matched (404, 405): one shared label value. `<` cannot occur in an endpoint name.
UNMATCHED = "<unmatched>"
# Any other method token a client invents is folded into one label value.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

bp = Blueprint("observability", __name__)


class RequestMetrics:
    """The two request metrics of one app, with their labelled children cached."""

    LABELS = ("endpoint", "method", "status")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "flaskproof_http_requests",
            "HTTP requests answered, by Flask endpoint, method and status code.",
            self.LABELS,
            registry=registry,
        )
        self.duration = Histogram(
            "flaskproof_http_request_duration_seconds",
            "Time from receiving a request to its response being ready, in seconds.",
            self.LABELS,
            registry=registry,
        )
        # `labels()` takes a lock and builds a child; a plain dict read is enough after the
        # first request of each kind (dict operations are atomic under the GIL).
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe(self, endpoint: str, method: str, status: str, seconds: float) -> None:
        """Count one answered request and record how long it took."""
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children.setdefault(
                key, (self.requests.labels(*key), self.duration.labels(*key))
            )
        children[0].inc()
        children[1].observe(seconds)


class MetricsState:
    """Per-app metrics state, kept in ``app.extensions["metrics"]``."""

    def __init__(
        self,
        registry: CollectorRegistry,
        networks: Sequence[Network] | None,
        token: str | None,
        multiprocess_dir: str | None,
    ) -> None:
        self.registry = registry
        self.metrics = RequestMetrics(registry)
        self.networks = networks  # None: any address
        self.token = token
        self.multiprocess_dir = multiprocess_dir


def parse_networks(values: Iterable[str]) -> list[Network] | None:
    """Addresses or CIDR networks; ``*`` anywhere means any address (None).

    A typo fails at start-up with the offending value, not at the first scrape.
    """
    items = list(values)
    if "*" in items:
        return None
    return [ipaddress.ip_network(item, strict=False) for item in items]


def address_allowed(address: str | None, networks: Sequence[Network] | None) -> bool:
    """True when `address` lies in one of `networks` (None allows every address)."""
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False  # a Unix socket or a garbled address: not a known scraper
    return any(ip in network for network in networks)


def _endpoint() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else UNMATCHED


def _method() -> str:
    method = request.method
    return method if method in KNOWN_METHODS else "other"


def init_metrics(app: Flask) -> MetricsState:
    """Create this app's registry and metrics, hook them in and register /metrics."""
    registry = CollectorRegistry(auto_describe=True)
    # The library decides at import time, from this same variable, where values are kept.
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
    if multiprocess_dir is None:
        # CPU, memory, open files and the Python version of this process; meaningless when
        # the values of several processes are summed, so only in single-process mode.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    state = MetricsState(
        registry,
        parse_networks(app.config["METRICS_ALLOWED_IPS"]),
        app.config["METRICS_TOKEN"],
        multiprocess_dir,
    )
    app.extensions["metrics"] = state
    observe = state.metrics.observe

    def start() -> None:
        request.environ[START_KEY] = time.perf_counter()

    def record(response: Response) -> Response:
        started = request.environ.pop(START_KEY, None)
        if started is not None:
            observe(
                _endpoint(), _method(), str(response.status_code), time.perf_counter() - started
            )
        return response

    def record_unhandled(error: BaseException | None) -> None:
        # An exception no handler took (PROPAGATE_EXCEPTIONS): no response object ever
        # existed, and the server answers 500.
        started = request.environ.pop(START_KEY, None)
        if error is not None and started is not None:
            observe(_endpoint(), _method(), "500", time.perf_counter() - started)

    # First of the app's before_request hooks, wherever init_metrics is called from.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(record)
    app.teardown_request(record_unhandled)
    app.register_blueprint(bp)
    return state


def _check_access(state: MetricsState) -> None:
    if not address_allowed(request.remote_addr, state.networks):
        raise Forbidden("Metrics are served to the monitoring network only.")
    if state.token is None:
        return
    auth = request.authorization
    presented = (auth.token or "") if auth is not None and auth.type == "bearer" else ""
    # Compared as bytes: compare_digest refuses non-ASCII str, and a 500 is not an answer.
    if not hmac.compare_digest(presented.encode(), state.token.encode()):
        raise Unauthorized(
            "A valid metrics bearer token is required.",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "metrics"}),
        )


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format (or OpenMetrics, when the scraper asks for it)."""
    state: MetricsState = current_app.extensions["metrics"]
    _check_access(state)
    registry = state.registry
    if state.multiprocess_dir is not None:
        # Built per scrape, as prometheus-client documents: it reads every process's files.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=state.multiprocess_dir)
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encode(registry), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
