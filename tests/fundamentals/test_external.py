"""Mocking an external service two ways: replace the client function, or fake the server."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from demo.fundamentals import external

QUOTE = {"text": "Simple is better than complex.", "author": "Tim Peters"}
UNAVAILABLE = {"errors": {"body": ["The quotes service is unavailable; try again soon."]}}
BAD_ANSWER = {"errors": {"body": ["The quotes service sent an unusable answer."]}}


# --- Style 1: replace the client function --------------------------------------------------


@pytest.mark.answers("Q162")
def test_monkeypatched_client_feeds_the_view(client, monkeypatch):
    """`monkeypatch.setattr` swaps `fetch_quote` for the test; no network is touched."""
    monkeypatch.setattr(external, "fetch_quote", lambda: QUOTE)

    response = client.get("/external/quote")

    assert response.status_code == 200
    assert response.get_json() == {"quote": QUOTE}


@pytest.mark.answers("Q162")
@pytest.mark.parametrize(
    ("failure", "status", "body"),
    [
        (external.ExternalServiceUnavailable("connection refused"), 503, UNAVAILABLE),
        (external.ExternalServiceBadResponse("answered 500"), 502, BAD_ANSWER),
    ],
    ids=["unavailable-503", "bad-answer-502"],
)
def test_monkeypatched_failures_degrade_gracefully(
    client, monkeypatch, caplog, failure, status, body
):
    """A failing service becomes a JSON 503 or 502 and a warning in the log, never a 500."""

    def failing_fetch() -> dict[str, str]:
        raise failure

    monkeypatch.setattr(external, "fetch_quote", failing_fetch)
    caplog.set_level(logging.WARNING, logger="demo")

    response = client.get("/external/quote")

    assert response.status_code == status
    assert response.get_json() == body
    assert [record.levelname for record in caplog.records] == ["WARNING"]


@pytest.mark.answers("Q162")
def test_mock_patch_checks_how_the_service_was_called(client):
    """`mock.patch(autospec=True)` replaces one layer down and records the calls it got."""
    with mock.patch.object(external, "fetch_json", autospec=True, return_value=QUOTE) as fake:
        response = client.get("/external/quote")

    assert response.get_json() == {"quote": QUOTE}
    fake.assert_called_once_with("/quotes/random")


# --- Style 2: a real HTTP server on loopback ------------------------------------------------


@dataclass
class FakeQuotesService:
    """A WSGI app standing in for the quotes service; it records what it was sent."""

    status: int = 200
    body: bytes = json.dumps(QUOTE).encode()
    hang: bool = False
    received: list[Request] = field(default_factory=list)
    # Set at teardown so a hanging reply can finish and the server can shut down.
    release: threading.Event = field(default_factory=threading.Event)

    @Request.application
    def __call__(self, request: Request) -> Response:
        self.received.append(request)
        if self.hang:
            self.release.wait()
        return Response(self.body, status=self.status, mimetype="application/json")


@pytest.fixture
def quotes_service(app) -> Iterator[FakeQuotesService]:
    """Serve a `FakeQuotesService` on a free loopback port and point the app's config at it."""
    service = FakeQuotesService()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, service)
    # A short poll interval only makes `shutdown()` return quickly at teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    app.config["EXTERNAL_QUOTES_URL"] = f"http://127.0.0.1:{server.port}"
    yield service
    service.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.answers("Q162")
def test_fake_server_receives_the_expected_request(client, quotes_service):
    """The client asks for JSON at `/quotes/random` and forwards this request's id."""
    response = client.get("/external/quote")

    assert response.status_code == 200
    assert response.get_json() == {"quote": QUOTE}
    [sent] = quotes_service.received
    assert (sent.method, sent.path) == ("GET", "/quotes/random")
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["X-Request-ID"] == response.headers["X-Request-ID"]


@pytest.mark.answers("Q162")
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"error": "boom"}'),
        (200, b"<html>maintenance</html>"),
        (200, b'{"quote": "no author field"}'),
        (200, b'"' + b"x" * external.MAX_BODY_BYTES + b'"'),
    ],
    ids=["upstream-500", "not-json", "wrong-shape", "too-large"],
)
def test_fake_server_bad_answers_become_502(client, quotes_service, status, body):
    """An error status, a non-JSON body, a wrong shape or a huge body: all a 502."""
    quotes_service.status, quotes_service.body = status, body

    response = client.get("/external/quote")

    assert response.status_code == 502
    assert response.get_json() == BAD_ANSWER


@pytest.mark.answers("Q162")
def test_fake_server_that_never_answers_hits_the_timeout(app, client, quotes_service):
    """A hung service costs one timeout, then a 503 with `Retry-After`, not a stuck worker."""
    quotes_service.hang = True
    app.config["EXTERNAL_QUOTES_TIMEOUT"] = 0.05

    response = client.get("/external/quote")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(external.RETRY_AFTER_SECONDS)
    assert response.get_json() == UNAVAILABLE
    assert len(quotes_service.received) == 1


@pytest.mark.answers("Q162")
def test_nothing_listening_becomes_503(app, client):
    """Connection refused (the service is down) is a 503 too."""
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config["EXTERNAL_QUOTES_URL"] = f"http://127.0.0.1:{closed_port}"

    response = client.get("/external/quote")

    assert response.status_code == 503
    assert response.get_json() == UNAVAILABLE


@pytest.mark.answers("Q162")
def test_a_non_http_service_url_is_refused(app, client, tmp_path):
    """A `file://` URL in config is refused instead of letting urllib read a local file."""
    (tmp_path / "quotes").mkdir()
    (tmp_path / "quotes" / "random").write_text(json.dumps(QUOTE))
    app.config["EXTERNAL_QUOTES_URL"] = tmp_path.as_uri()

    response = client.get("/external/quote")

    assert response.status_code == 503
