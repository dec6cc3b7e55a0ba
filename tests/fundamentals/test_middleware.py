"""WSGI middleware: the request id, the access line, ProxyFix, and how they wrap the app."""

from __future__ import annotations

import inspect
import logging
import re
import threading

import pytest
import requests
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

from demo import create_app
from demo.health.probe import LivenessRouter
from demo.middleware import REQUEST_ID_HEADER, RequestIdMiddleware

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def middleware_layers(app: Flask) -> list[type]:
    """The WSGI layers around Flask's own `wsgi_app`, outermost first."""
    layers, layer = [], app.wsgi_app
    while not inspect.ismethod(layer):
        layers.append(type(layer))
        # Werkzeug-style middleware keeps the wrapped app in `.app`, Engine.IO's in `.wsgi_app`.
        layer = layer.app if hasattr(layer, "app") else layer.wsgi_app
    assert layer.__func__ is Flask.wsgi_app
    return layers


@pytest.mark.answers("Q087", "Q092")
def test_middleware_wraps_wsgi_app_not_the_flask_object(app):
    """create_app wraps `app.wsgi_app`: request id, the probe router, ProxyFix, Socket.IO's."""
    outer, probe_router, proxy_fix, socketio_layer = middleware_layers(app)
    assert outer is RequestIdMiddleware
    assert probe_router is LivenessRouter
    assert proxy_fix is ProxyFix
    assert socketio_layer.__module__ == "flask_socketio"
    # What servers import is still the Flask object itself, with its config and methods.
    assert isinstance(app, Flask)


@pytest.mark.answers("Q087", "Q092")
def test_every_response_gets_a_generated_request_id(client):
    """Without an incoming id the middleware generates one and returns it in the response."""
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[REQUEST_ID_HEADER]
    assert GENERATED_ID.match(first)
    assert GENERATED_ID.match(second)
    assert first != second


@pytest.mark.answers("Q087", "Q092")
def test_sane_incoming_request_id_is_echoed_and_seen_by_the_view(client):
    """An id set by a proxy upstream is kept, returned, and visible inside Flask."""
    response = client.get("/hooks/client", headers={"X-Request-ID": "edge-42.a:b"})
    assert response.headers[REQUEST_ID_HEADER] == "edge-42.a:b"
    assert response.get_json()["request_id"] == "edge-42.a:b"


@pytest.mark.answers("Q092")
@pytest.mark.parametrize(
    "hostile",
    ["abc\r\nSet-Cookie: session=stolen", "x" * 500, "two words", ""],
    ids=["header-injection", "500-chars", "space", "empty"],
)
def test_hostile_incoming_request_id_is_replaced(client, hostile):
    """An id that could forge headers or flood logs is dropped for a fresh one."""
    # environ_overrides: the test client itself refuses a header value with a newline.
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": hostile})
    assert GENERATED_ID.match(response.headers[REQUEST_ID_HEADER])
    assert "Set-Cookie" not in response.headers


@pytest.mark.answers("Q087", "Q092")
def test_access_line_is_written_when_the_body_is_closed(client, caplog):
    """One access record per request, with method, path, status, duration and the request id."""
    caplog.set_level(logging.INFO, logger="demo.access")
    response = client.get("/hooks/trace", headers={"X-Request-ID": "trace-me"})
    # The line is written when the server closes the response iterable, not before.
    assert not [r for r in caplog.records if r.name == "demo.access"]
    response.close()

    (line,) = [r for r in caplog.records if r.name == "demo.access"]
    assert (line.method, line.path, line.status) == ("GET", "/hooks/trace", 200)
    assert line.duration_ms >= 0
    assert line.request_id == "trace-me"
    assert line.getMessage().startswith("GET /hooks/trace 200 ")


@pytest.mark.answers("Q087")
def test_proxyfix_ignores_forwarded_headers_by_default(client):
    """With no trusted proxies configured, a client cannot spoof its address or scheme."""
    response = client.get(
        "/hooks/client",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert response.get_json()["remote_addr"] == "127.0.0.1"
    assert response.get_json()["scheme"] == "http"


@pytest.mark.answers("Q087")
def test_proxyfix_trusts_one_proxy_when_configured():
    """With PROXY_FIX_X_FOR=1 the app sees the address and scheme the proxy forwarded."""
    app = create_app("testing", PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    response = app.test_client().get(
        "/hooks/client",
        headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    # Only the last hop was added by the trusted proxy; the first could be forged.
    assert response.get_json()["remote_addr"] == "203.0.113.7"
    assert response.get_json()["scheme"] == "https"


@pytest.mark.answers("Q092")
def test_request_id_middleware_wraps_any_wsgi_app(caplog):
    """The middleware is plain WSGI: it works around a bare WSGI callable with no Flask at all."""
    caplog.set_level(logging.INFO, logger="demo.access")

    def plain_wsgi_app(environ, start_response):
        body = environ["HTTP_X_REQUEST_ID"].encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    client = Client(RequestIdMiddleware(plain_wsgi_app), Response)
    response = client.get("/anything", headers={"X-Request-ID": "wsgi-only"})
    response.close()

    assert response.get_data(as_text=True) == "wsgi-only"
    assert response.headers[REQUEST_ID_HEADER] == "wsgi-only"
    assert [r.path for r in caplog.records if r.name == "demo.access"] == ["/anything"]


@pytest.mark.answers("Q087", "Q092")
def test_access_line_can_be_left_to_the_server(caplog):
    """ACCESS_LOG=false (gunicorn's own line is on): ids still flow, no second access line."""
    caplog.set_level(logging.INFO, logger="demo.access")
    app = create_app("testing", ACCESS_LOG=False)
    response = app.test_client().get("/hooks/trace", headers={"X-Request-ID": "served-once"})
    response.close()

    assert response.headers[REQUEST_ID_HEADER] == "served-once"
    assert not [r for r in caplog.records if r.name == "demo.access"]


@pytest.mark.answers("Q092")
@pytest.mark.parametrize(
    ("server", "app_date_kept"),
    [("Werkzeug/3.1.3", False), ("gunicorn/27.0.1", True), ("uWSGI", True), (None, True)],
)
def test_a_response_reaches_the_server_with_at_most_one_date(app, server, app_date_kept):
    """The app's Date is dropped only for Werkzeug's server, which would send its own beside it."""
    environ = {"SERVER_SOFTWARE": server} if server else {}
    client = app.test_client()
    # A static file (send_file) and a conditional answer: the two places Werkzeug dates one.
    for url in ("/static/site.css", "/api/tags"):
        response = client.get(url, environ_base=environ)
        response.close()
        assert response.status_code == 200, url
        assert len(response.headers.getlist("Date")) == (1 if app_date_kept else 0), url


@pytest.mark.answers("Q092")
def test_werkzeugs_own_server_sends_one_date_header(app):
    """Over the wire from Werkzeug's server (`python -m demo`'s): one Date, the server's."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/static/site.css", "/api/tags"):
            response = requests.get(f"http://127.0.0.1:{server.server_port}{path}", timeout=10)
            assert response.status_code == 200, path
            assert len(response.raw.headers.getlist("Date")) == 1, path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
