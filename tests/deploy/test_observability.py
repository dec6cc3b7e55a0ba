"""/metrics in Prometheus format and Sentry error tracking, exercised for real (Q170, Q164).

Metrics are read back with prometheus-client's own text parser. Sentry events are delivered
by the real SDK, over HTTP, to a small collector this module runs on loopback.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.datastructures import WWWAuthenticate

from demo import create_app
from demo.observability import observability_settings

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = "flaskproof_http_requests"
DURATION = "flaskproof_http_request_duration_seconds"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called `name` in an exposition, keyed by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def request_count(text: str, endpoint: str, method: str, status: str) -> float:
    """One series of the request counter (0 when absent)."""
    key = (("endpoint", endpoint), ("method", method), ("status", status))
    return samples(text, f"{REQUESTS}_total").get(key, 0.0)


def scrape(client, **kwargs) -> str:
    """GET /metrics and return its text, insisting on 200."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


# --- metrics -------------------------------------------------------------------------------


@pytest.mark.answers("Q170")
def test_requests_are_counted_by_endpoint_method_and_status_not_by_path(client):
    """Two article URLs are one `api.article` series; counts are split by method and status."""
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/articles/first-slug").status_code == 404
    assert client.get("/api/articles/second-slug").status_code == 404
    assert client.post("/healthz").status_code == 405

    text = scrape(client)
    response = client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert request_count(text, "health.readyz", "GET", "200") == 2
    assert request_count(text, "api.article", "GET", "404") == 2
    assert "first-slug" not in text and "second-slug" not in text
    # A method the rule does not allow matches no rule: the shared "unmatched" label.
    assert request_count(text, "<unmatched>", "POST", "405") == 1


@pytest.mark.answers("Q170")
def test_unknown_urls_and_invented_methods_cannot_grow_the_label_sets(client):
    """Any number of unknown paths share one series; invented methods are folded into `other`."""
    for number in range(5):
        assert client.get(f"/no/such/page/{number}").status_code == 404
        client.open("/healthz", method=f"PROBE{number}")

    text = scrape(client)
    assert request_count(text, "<unmatched>", "GET", "404") == 5
    assert request_count(text, "<unmatched>", "other", "405") == 5
    methods = {dict(labels)["method"] for labels in samples(text, f"{REQUESTS}_total")}
    assert not any(method.startswith("PROBE") for method in methods)


@pytest.mark.answers("Q170")
def test_latency_histogram_has_buckets_count_and_sum_per_series(client):
    """Each answered request lands in the latency histogram of its endpoint, method and status."""
    for _ in range(3):
        client.get("/readyz")

    text = scrape(client)
    labels = (("endpoint", "health.readyz"), ("method", "GET"), ("status", "200"))
    assert samples(text, f"{DURATION}_count")[labels] == 3
    assert samples(text, f"{DURATION}_sum")[labels] > 0
    buckets = {
        dict(key)["le"]: value
        for key, value in samples(text, f"{DURATION}_bucket").items()
        if dict(key)["endpoint"] == "health.readyz"
    }
    assert buckets["+Inf"] == 3
    ordered = sorted(buckets.items(), key=lambda item: float(item[0]))
    assert [value for _, value in ordered] == sorted(value for _, value in ordered)


@pytest.mark.answers("Q170")
def test_a_crash_is_counted_as_a_500_of_its_endpoint(make_app):
    """Handled crashes, and crashes that propagate out of Flask, both count as 500s."""
    app = make_app()
    client = app.test_client()
    assert client.get("/errors/crash").status_code == 500
    assert request_count(scrape(client), "fundamentals.crash", "GET", "500") == 1

    propagating = make_app(PROPAGATE_EXCEPTIONS=True)
    client = propagating.test_client()
    with pytest.raises(RuntimeError):
        client.get("/errors/crash")
    assert request_count(scrape(client), "fundamentals.crash", "GET", "500") == 1


def test_each_app_has_its_own_registry():
    """Two apps in one process keep separate counts and never clash on metric names."""
    first, second = create_app("testing"), create_app("testing")
    assert first.extensions["metrics"].registry is not second.extensions["metrics"].registry
    first.test_client().get("/readyz")
    first.test_client().get("/readyz")
    second.test_client().get("/readyz")

    assert request_count(scrape(first.test_client()), "health.readyz", "GET", "200") == 2
    assert request_count(scrape(second.test_client()), "health.readyz", "GET", "200") == 1


def test_the_process_collector_reports_this_process(client):
    """Single-process mode also exports CPU and memory of the serving process."""
    text = scrape(client)
    assert samples(text, "process_resident_memory_bytes")[()] > 0
    assert "python_info" in text


def test_openmetrics_is_served_when_the_scraper_asks_for_it(client):
    """`Accept: application/openmetrics-text` gets the OpenMetrics format, ending in `# EOF`."""
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.status_code == 200
    assert response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).endswith("# EOF\n")


# --- who may scrape -----------------------------------------------------------------------


@pytest.mark.answers("Q170")
def test_metrics_are_refused_to_addresses_outside_the_allowed_networks(make_app):
    """A public address gets 403 (JSON for an API client); loopback and private ones get 200."""
    client = make_app().test_client()
    refused = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 403
    assert refused.json == {
        "errors": {"body": ["Metrics are served to the monitoring network only."]}
    }
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.7", "::1"):
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_checked(make_app):
    """With ProxyFix trusting one hop, a public client reaching the app through nginx gets 403."""
    client = make_app(PROXY_FIX_X_FOR=1).test_client()
    through_proxy = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert through_proxy.status_code == 403
    scraper = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": "10.0.0.9"},
    )
    assert scraper.status_code == 200


@pytest.mark.answers("Q170")
def test_with_a_token_set_a_scrape_needs_the_bearer_token(make_app):
    """METRICS_TOKEN: no or wrong token is 401 with a Bearer challenge; the right one is 200."""
    client = make_app(METRICS_TOKEN="s3cret-scrape-token").test_client()
    missing = client.get("/metrics", headers={"Accept": "application/json"})
    assert missing.status_code == 401
    challenge = WWWAuthenticate.from_header(missing.headers["WWW-Authenticate"])
    assert challenge is not None
    assert (challenge.type, challenge.parameters) == ("bearer", {"realm": "metrics"})
    for presented in ("Bearer wrong", "Basic czNjcmV0OnRva2Vu", "Bearer s3cret-scrape-tokén"):
        assert client.get("/metrics", headers={"Authorization": presented}).status_code == 401
    granted = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert granted.status_code == 200
    assert "flaskproof_http_requests_total" in granted.get_data(as_text=True)


def test_star_opens_metrics_to_any_address_and_a_bad_network_stops_start_up(make_app):
    """`METRICS_ALLOWED_IPS=*` allows everyone; a malformed network fails at start-up."""
    client = make_app(METRICS_ALLOWED_IPS=["*"]).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        create_app("testing", METRICS_ALLOWED_IPS=["10.0.0.300/8"])


def test_settings_are_read_from_the_environment():
    """Every observability setting comes from its variable; TESTING never takes the DSN."""
    env = {
        "METRICS_ALLOWED_IPS": "10.0.0.0/8, 127.0.0.1",
        "METRICS_TOKEN": "tok",
        "SENTRY_DSN": "https://key@sentry.example/1",
        "SENTRY_ENVIRONMENT": "staging",
        "SENTRY_RELEASE": "abc123",
        "SENTRY_TRACES_SAMPLE_RATE": "0.25",
    }
    settings = observability_settings(env)
    assert settings == {
        "METRICS_ALLOWED_IPS": ["10.0.0.0/8", "127.0.0.1"],
        "METRICS_TOKEN": "tok",
        "SENTRY_DSN": "https://key@sentry.example/1",
        "SENTRY_ENVIRONMENT": "staging",
        "SENTRY_RELEASE": "abc123",
        "SENTRY_TRACES_SAMPLE_RATE": 0.25,
    }
    assert observability_settings(env, testing=True)["SENTRY_DSN"] is None
    defaults = observability_settings({})
    assert defaults["SENTRY_DSN"] is None and defaults["SENTRY_TRACES_SAMPLE_RATE"] is None
    assert "127.0.0.0/8" in defaults["METRICS_ALLOWED_IPS"]


# --- several worker processes ---------------------------------------------------------------

_WORKER = """
import sys
from demo import create_app

client = create_app("testing").test_client()
for _ in range(int(sys.argv[1])):
    assert client.get("/readyz").status_code == 200
if sys.argv[2:] == ["scrape"]:
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def _worker(count: int, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(count), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.answers("Q170")
def test_with_a_multiprocess_dir_any_process_reports_the_sum_of_all(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: one process serves 3 requests, another 2, and scrapes 5."""
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    first = _worker(3, env)
    _, errors = first.communicate(timeout=120)
    assert first.returncode == 0, errors
    second = _worker(2, env, "scrape")
    text, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors

    assert request_count(text, "health.readyz", "GET", "200") == 5
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per serving process
    # Per-process collectors are off: their values cannot be summed meaningfully.
    assert "process_resident_memory_bytes" not in text


# --- Sentry ---------------------------------------------------------------------------------


class SentryCollector(ThreadingHTTPServer):
    """A loopback stand-in for Sentry's ingestion endpoint that keeps every envelope."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EnvelopeHandler)
        self.envelopes: list[tuple[str, bytes]] = []
        self.received = threading.Condition()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/42"

    def items(self, kind: str) -> list[dict]:
        """Every item of type `kind` (event, transaction ...) of every envelope, decoded."""
        found = []
        for _, body in self.envelopes:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == kind:
                    found.append(json.loads(payload))
        return found


class _EnvelopeHandler(BaseHTTPRequestHandler):
    server: SentryCollector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.server.received:
            self.server.envelopes.append((self.path, body))
            self.server.received.notify_all()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def sentry_collector() -> Iterator[SentryCollector]:
    """A running collector; afterwards the SDK's process-wide client is closed and disabled."""
    collector = SentryCollector()
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        collector.shutdown()
        collector.server_close()
        thread.join(timeout=5)


@pytest.mark.answers("Q170", "Q164")
def test_a_crash_in_a_view_is_delivered_to_sentry_once_tagged_and_without_pii(
    make_app, sentry_collector
):
    """With SENTRY_DSN set, one crash sends one event: its type, request id, no secrets."""
    app = make_app(
        SENTRY_DSN=sentry_collector.dsn, SENTRY_ENVIRONMENT="ci", SENTRY_RELEASE="flaskproof@test"
    )
    client = app.test_client()
    assert client.get("/errors/abort/404").status_code == 404  # expected outcomes stay out
    response = client.get(
        "/errors/crash",
        headers={"Authorization": "Bearer caller-secret-token", "Cookie": "session=cookie-secret"},
    )
    assert response.status_code == 500
    assert sentry_sdk.flush(timeout=10) is None
    sentry_sdk.get_client().close(timeout=5)

    paths = {path for path, _ in sentry_collector.envelopes}
    assert paths == {"/api/42/envelope/"}
    events = sentry_collector.items("event")
    assert len(events) == 1, events
    event = events[0]
    assert [value["type"] for value in event["exception"]["values"]] == ["RuntimeError"]
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    assert event["environment"] == "ci"
    assert event["release"] == "flaskproof@test"
    assert event["request"]["url"].endswith("/errors/crash")
    raw = b"".join(body for _, body in sentry_collector.envelopes)
    assert b"caller-secret-token" not in raw
    assert b"cookie-secret" not in raw


@pytest.mark.answers("Q170")
def test_with_a_sample_rate_requests_are_traced_under_their_url_rule(make_app, sentry_collector):
    """SENTRY_TRACES_SAMPLE_RATE=1: each request becomes a transaction named by its URL rule."""
    app = make_app(SENTRY_DSN=sentry_collector.dsn, SENTRY_TRACES_SAMPLE_RATE=1.0)
    client = app.test_client()
    assert client.get("/api/articles/first-slug").status_code == 404
    assert client.get("/api/articles/second-slug").status_code == 404
    sentry_sdk.get_client().close(timeout=5)

    transactions = sentry_collector.items("transaction")
    assert [t["transaction"] for t in transactions] == ["/api/articles/<slug>"] * 2
    assert {t["contexts"]["trace"]["status"] for t in transactions} == {"not_found"}


@pytest.mark.answers("Q170")
def test_without_a_dsn_sentry_is_never_initialised(make_app, monkeypatch):
    """No SENTRY_DSN: `sentry_sdk.init` is never called and no client is active.

    Under TESTING even a DSN in the environment is ignored, so tests never report.
    """
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("SENTRY_DSN", "http://publickey@127.0.0.1:9/1")
    app = make_app()
    assert app.config["SENTRY_DSN"] is None
    assert app.test_client().get("/errors/crash").status_code == 500
    assert calls == []
    assert "sentry" not in app.extensions
    assert not sentry_sdk.get_client().is_active()
