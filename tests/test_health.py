"""Liveness and readiness probes answer as load balancers and orchestrators expect."""

from __future__ import annotations

import socket

import pytest

from demo import create_app


def _closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_200_json(client):
    """`/healthz` answers 200 with a small JSON body and touches no dependency."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client):
    """`/readyz` checks the database and reports each check by name."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok"}, "failed": []}


def test_readyz_is_503_naming_an_unreachable_redis():
    """With Redis configured but down, `/readyz` is 503 and names `redis` as the failed check."""
    app = create_app("testing", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["redis"]
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"] == "ConnectionError"


def test_readyz_is_503_naming_an_unreachable_database():
    """An unreachable database makes `/readyz` 503 naming `database`; `/healthz` stays 200."""
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["database"]
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


@pytest.mark.answers("Q170", "Q102")
def test_liveness_is_answered_without_the_extension_stack(app, client):
    """GET /healthz skips every app hook: a broken hook fails readiness, never liveness."""

    @app.before_request
    def broken_extension():
        raise RuntimeError("an extension that cannot reach its store")

    probe = client.get("/healthz")
    assert probe.status_code == 200
    assert probe.json == {"status": "ok"}
    # Nothing the stack adds: no session cookie, no rate-limit or CORS headers.
    assert "Set-Cookie" not in probe.headers
    assert not [name for name, _ in probe.headers.items() if name.startswith("X-RateLimit")]
    # Still inside the request-id middleware, so the server's access line can name it.
    assert probe.headers["X-Request-ID"]
    assert client.head("/healthz").status_code == 200
    # Readiness goes through the whole app, so the broken hook shows there.
    assert client.get("/readyz").status_code == 500


@pytest.mark.answers("Q170")
def test_other_methods_on_healthz_get_the_apps_own_405(client):
    """Only GET and HEAD are routed to the probe app; a POST gets the app's JSON 405."""
    response = client.post("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.answers("Q170")
def test_liveness_probes_are_not_counted_in_the_request_metrics(client):
    """Probes reach no hook, so /metrics counts the real traffic only."""
    client.get("/healthz")
    client.get("/readyz")
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="health.readyz"' in metrics
    assert 'endpoint="health.healthz"' not in metrics
