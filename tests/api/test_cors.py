"""CORS on the JSON API: an allow-list from config, /api only, credentials only if named (Q069)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from demo import create_app
from demo.api.cors import InvalidOriginError
from demo.config import DevelopmentConfig, ProductionConfig

FRONTEND = "https://app.example.com"
OTHER_SITE = "https://evil.example"


@pytest.fixture
def api(make_app: Callable[..., Flask]) -> Any:
    """A client of an app whose allow-list is the front end and a local dev server."""
    return make_app(CORS_ORIGINS=[FRONTEND, "http://localhost:3000"]).test_client()


def preflight(client: Any, path: str, origin: str, method: str, headers: str) -> Any:
    """What a browser sends before a non-simple cross-origin request."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.answers("Q069")
def test_an_allowed_origin_is_echoed_with_credentials_and_readable_headers(api):
    """An allowed origin gets itself back (not "*"), credentials, and the headers it may read."""
    response = api.get("/api/tags", headers={"Origin": FRONTEND})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.vary
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-RateLimit-Remaining", "Retry-After", "ETag", "X-Request-ID"} <= exposed


@pytest.mark.answers("Q069")
def test_a_preflight_from_an_allowed_origin_lists_methods_headers_and_max_age(api):
    """The preflight answer allows the API's methods and headers, and may be reused 600 s."""
    response = preflight(
        api, "/api/articles", FRONTEND, "POST", "Authorization, Content-Type, X-API-Key"
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods
    allowed = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"Authorization", "Content-Type", "X-API-Key"}
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.data == b""


@pytest.mark.answers("Q069")
def test_a_header_outside_the_list_is_left_out_of_the_preflight_answer(api):
    """Only listed request headers are allowed back, so the browser refuses the others."""
    response = preflight(api, "/api/tags", FRONTEND, "GET", "Authorization, X-Custom-Tracking")

    allowed = {h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"Authorization"}


@pytest.mark.answers("Q069")
def test_another_origin_gets_no_cors_headers_though_the_request_still_runs(api):
    """Unlisted origins get no CORS header at all: the browser hides the answer from the page.

    The server still answers: CORS protects the user's browser, it is not access control.
    """
    simple = api.get("/api/tags", headers={"Origin": OTHER_SITE})
    asked = preflight(api, "/api/articles", OTHER_SITE, "POST", "Authorization, Content-Type")

    assert simple.status_code == 200
    for response in (simple, asked):
        assert not [name for name, _ in response.headers if name.startswith("Access-Control")]
        assert "Origin" in response.vary


@pytest.mark.answers("Q069")
def test_a_request_without_origin_gets_no_cors_headers_but_still_varies_on_origin(api):
    """Same-origin and non-browser calls get no CORS headers; caches still key on Origin."""
    response = api.get("/api/tags")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.vary


@pytest.mark.answers("Q069")
def test_cors_applies_to_the_api_only(api):
    """Pages and probes outside /api never answer cross-origin, even to an allowed origin."""
    for path in ("/healthz", "/"):
        response = api.get(path, headers={"Origin": FRONTEND})
        assert response.status_code == 200, path
        assert "Access-Control-Allow-Origin" not in response.headers, path


@pytest.mark.answers("Q069")
def test_error_answers_carry_cors_headers_so_the_page_can_read_them(api):
    """A 404 or 401 from the API reaches the front end's code, not a bare CORS failure."""
    missing = api.get("/api/articles/no-such-article", headers={"Origin": FRONTEND})
    refused = api.get("/api/user", headers={"Origin": FRONTEND})

    assert (missing.status_code, refused.status_code) == (404, 401)
    for response in (missing, refused):
        assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert response.get_json()["errors"]["body"]


@pytest.mark.answers("Q069")
def test_a_wildcard_allows_every_origin_but_never_with_credentials(make_app):
    """``*`` is answered with ``*`` and no credentials: browsers then send no cookies."""
    client = make_app(CORS_ORIGINS=["*"]).test_client()

    response = client.get("/api/tags", headers={"Origin": OTHER_SITE})
    asked = preflight(client, "/api/articles", OTHER_SITE, "POST", "Content-Type")

    for answer in (response, asked):
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.answers("Q069")
def test_production_allows_no_origin_until_configured_and_development_allows_local_front_ends():
    """The allow-list comes from CORS_ORIGINS; production's default is empty."""
    assert ProductionConfig(environ={}).CORS_ORIGINS == []
    configured = ProductionConfig(environ={"CORS_ORIGINS": f" {FRONTEND} , https://admin.example "})
    assert configured.CORS_ORIGINS == [FRONTEND, "https://admin.example"]
    assert "http://localhost:3000" in DevelopmentConfig(environ={}).CORS_ORIGINS


@pytest.mark.answers("Q069")
def test_an_entry_that_is_not_an_origin_stops_the_app_at_start_up(make_app):
    """A path or a missing scheme would never match a browser's Origin: refuse it loudly."""
    with pytest.raises(InvalidOriginError, match=r"app\.example\.com"):
        create_app("testing", CORS_ORIGINS=["app.example.com"])
    with pytest.raises(InvalidOriginError):
        create_app("testing", CORS_ORIGINS=["https://app.example.com/spa"])

    # The common slip, a trailing slash, is forgiven: Origin never has one.
    client = make_app(CORS_ORIGINS=[f"{FRONTEND}/"]).test_client()
    response = client.get("/api/tags", headers={"Origin": FRONTEND})
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
