"""What makes the hot paths cheap, proven without timing anything (Q102).

The figures come from bench/throughput.py (see bench/README.md); these tests pin down the
properties behind them: a liveness probe does no I/O and skips the rate limiter's
limit lookup, the benchmarked article list is hashed once when cached and then served with
no SQL at all, and through the production nginx.conf a JSON list is gzipped and still
revalidates with a 304.
"""

from __future__ import annotations

import gzip
import http.client
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bench.nginx_local import local_nginx
from demo.api.caching import list_cache_key
from demo.extensions import cache, db, limiter
from tests.api.test_caching import statements_for
from tests.data.builders import make_article, make_user

PAGE_SIZE = 20  # the default page of GET /api/articles, the one the benchmark measures


@pytest.fixture
def twenty_articles(app: Flask) -> None:
    """A full default page: 24 articles by 3 authors, with tags and favourites."""
    authors = [make_user(name) for name in ("ada", "grace", "linus")]
    for number in range(PAGE_SIZE + 4):
        make_article(
            authors[number % 3],
            f"article-{number:02d}",
            tags=("flask", f"topic-{number % 5}"),
            favorited_by=authors[: number % 4],
        )
    db.session.commit()


@pytest.fixture
def limit_resolutions(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The endpoints for which Flask-Limiter worked out which limits apply, in order."""
    seen: list[str | None] = []
    manager = limiter.limit_manager
    original = manager.resolve_limits

    def recording(app: Flask, endpoint: str | None, *args: Any, **kwargs: Any) -> Any:
        seen.append(endpoint)
        return original(app, endpoint, *args, **kwargs)

    monkeypatch.setattr(manager, "resolve_limits", recording)
    return seen


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    """The app behind a threaded Werkzeug server on a free loopback port: its host:port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(base: str, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One GET over real HTTP: status, headers and the raw body.

    Header names are lower-cased and repeated headers joined with ", " (nginx adds its
    own ``Vary`` line beside the app's).
    """
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        merged: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return response.status, merged, response.read()
    finally:
        conn.close()


@pytest.mark.answers("Q102")
def test_a_liveness_probe_runs_no_sql_and_no_rate_limit_lookup(client, limit_resolutions):
    """Flask-Limiter never looks up limits for /healthz or /readyz; /healthz sends no SQL."""
    probe, probe_statements = statements_for(client, "/healthz")
    ready = client.get("/readyz")
    api = client.get("/api/tags")

    assert (probe.status_code, probe.get_json(), probe_statements) == (200, {"status": "ok"}, 0)
    assert ready.status_code == 200
    assert "X-RateLimit-Limit" not in probe.headers
    # Only the API call paid for the limiter, and it is still limited.
    assert limit_resolutions == ["api.tags"]
    assert api.status_code == 200 and "X-RateLimit-Limit" in api.headers


@pytest.mark.answers("Q102")
def test_the_benchmarked_list_is_hashed_once_then_served_without_sql(app, client, twenty_articles):
    """The 20-article page is cached with its ETag; a repeat costs no SQL and no re-hash."""
    first, first_statements = statements_for(client, "/api/articles")
    with app.test_request_context("/api/articles"):
        status, headers, body = cache.get(list_cache_key(per_user=True))
    again, again_statements = statements_for(client, "/api/articles")
    revalidated, revalidated_statements = statements_for(
        client, "/api/articles", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert len(first.get_json()["articles"]) == PAGE_SIZE
    assert first_statements > 0
    # Stored with the ETag computed from its body: a hit replays the header, no hashing.
    assert (status, body) == (200, first.data)
    assert ("ETag", first.headers["ETag"]) in headers
    assert (again.data, again.headers["ETag"], again_statements) == (
        first.data,
        first.headers["ETag"],
        0,
    )
    assert (revalidated.status_code, revalidated.data, revalidated_statements) == (304, b"", 0)


@pytest.mark.answers("Q102")
def test_through_nginx_json_is_gzipped_and_still_revalidates(live_app, twenty_articles):
    """The production nginx.conf compresses the list, and its weakened ETag still gets a 304."""
    direct_status, direct_headers, direct_body = get(live_app, "/api/articles")

    with local_nginx([live_app]) as nginx:
        status, headers, body = get(nginx.url, "/api/articles", **{"Accept-Encoding": "gzip"})
        small = get(nginx.url, "/healthz", **{"Accept-Encoding": "gzip"})
        plain = get(nginx.url, "/api/articles")
        revalidated = get(
            nginx.url,
            "/api/articles",
            **{"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]},
        )

    assert (direct_status, status) == (200, 200)
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert gzip.decompress(body) == direct_body
    assert len(body) * 3 < len(direct_body)
    # nginx marks the ETag weak once it has changed the bytes; If-None-Match compares weakly.
    assert headers["etag"] == f"W/{direct_headers['etag']}"
    assert revalidated[0] == 304 and revalidated[2] == b""
    # Below gzip_min_length, or for a client that did not ask, the body goes as it is.
    assert "content-encoding" not in small[1] and small[2] == b'{"status":"ok"}\n'
    assert "content-encoding" not in plain[1] and plain[2] == direct_body
