"""WSGI vs ASGI: the same Flask app served by a WSGI server and, through asgiref, by uvicorn."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from urllib.request import urlopen

import pytest
import uvicorn
from asgiref.wsgi import WsgiToAsgi
from flask import Flask
from werkzeug.serving import make_server

from demo import create_app
from demo.asgi import CloseAfterIteration, asgi_app, build_asgi_app, flask_app
from demo.middleware import RequestIdMiddleware
from demo.wsgi import app as wsgi_entry_app

# Upper bound for things that must happen; a broken server fails the test instead of hanging.
PATIENCE = 5.0
# How long to keep looking for something that must NOT happen while the first request blocks.
NO_OVERLAP_WINDOW = 0.3


@contextmanager
def wsgi_server(app: Flask) -> Iterator[str]:
    """Serve `app` with Werkzeug's threaded WSGI server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(PATIENCE)


@contextmanager
def asgi_server(app) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port."""
    # Listening before uvicorn starts: early connections wait in the backlog, so no start-up poll.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    config = uvicorn.Config(
        app, lifespan="off", http="h11", ws="none", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(PATIENCE)
        sock.close()


def fetch(url: str) -> tuple[int, Message, bytes]:
    """GET `url`: status, headers, body."""
    with urlopen(url, timeout=PATIENCE) as response:
        return response.status, response.headers, response.read()


@pytest.mark.answers("Q106")
def test_same_app_answers_the_same_over_wsgi_and_asgi():
    """One Flask object, two protocols: same status, body and middleware; different servers."""
    app = create_app("testing")
    adapter = build_asgi_app(app)
    scopes = []

    async def record_scope(scope, receive, send):
        scopes.append((scope["type"], scope["asgi"]["version"]))
        await adapter(scope, receive, send)

    with wsgi_server(app) as wsgi_url, asgi_server(record_scope) as asgi_url:
        wsgi_status, wsgi_headers, wsgi_body = fetch(f"{wsgi_url}/healthz")
        asgi_status, asgi_headers, asgi_body = fetch(f"{asgi_url}/healthz")

    assert wsgi_status == asgi_status == 200
    assert json.loads(wsgi_body) == json.loads(asgi_body) == {"status": "ok"}
    # The WSGI middleware runs in both cases, because the adapter calls the whole WSGI app.
    assert wsgi_headers["X-Request-ID"] and asgi_headers["X-Request-ID"]
    assert wsgi_headers["Server"].startswith("Werkzeug/")
    assert asgi_headers["Server"] == "uvicorn"
    assert scopes == [("http", "3.0")]


def blocking_app() -> tuple[Flask, dict[str, threading.Event], threading.Event]:
    """An app whose `first` request blocks until released, to see if `second` can run meanwhile."""
    app = create_app("testing")
    entered = {"first": threading.Event(), "second": threading.Event()}
    release = threading.Event()

    @app.get("/block/<name>")
    def block(name):
        entered[name].set()
        if name == "first":
            release.wait(PATIENCE)
        return {"name": name}

    return app, entered, release


def second_runs_while_first_blocks(
    base_url: str, entered: dict[str, threading.Event], release: threading.Event, window: float
) -> bool:
    """Start `first`, then `second`; report whether `second` reached its view within `window`."""
    statuses: dict[str, int] = {}

    def get(name):
        statuses[name] = fetch(f"{base_url}/block/{name}")[0]

    first = threading.Thread(target=get, args=("first",))
    second = threading.Thread(target=get, args=("second",))
    first.start()
    assert entered["first"].wait(PATIENCE)
    second.start()
    overlapped = entered["second"].wait(window)
    release.set()
    first.join(PATIENCE)
    second.join(PATIENCE)
    assert statuses == {"first": 200, "second": 200}
    return overlapped


@pytest.mark.answers("Q106")
def test_wsgi_threads_overlap_but_the_asgiref_adapter_serves_one_request_at_a_time():
    """Wrapping a WSGI app for ASGI does not make it concurrent: asgiref runs it on one thread."""
    app, entered, release = blocking_app()
    with wsgi_server(app) as url:
        assert second_runs_while_first_blocks(url, entered, release, window=PATIENCE)

    app, entered, release = blocking_app()
    with asgi_server(build_asgi_app(app)) as url:
        assert not second_runs_while_first_blocks(url, entered, release, window=NO_OVERLAP_WINDOW)


async def call_asgi(app, path: str) -> tuple[int, bytes]:
    """Drive an ASGI app in-process with one GET request, as a server would."""
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
    }
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


@pytest.mark.answers("Q106")
def test_server_entry_points_wrap_the_factory_app():
    """`demo.wsgi:app` is the factory's app; `demo.asgi:asgi_app` is an adapter around one."""
    assert isinstance(wsgi_entry_app, Flask)
    assert isinstance(wsgi_entry_app.wsgi_app, RequestIdMiddleware)
    assert isinstance(asgi_app, WsgiToAsgi)
    assert isinstance(asgi_app.wsgi_application, CloseAfterIteration)
    assert asgi_app.wsgi_application.app is flask_app
    assert isinstance(flask_app.wsgi_app, RequestIdMiddleware)

    status, body = asyncio.run(call_asgi(asgi_app, "/healthz"))
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def access_paths(caplog) -> list[str]:
    """Paths of the access lines RequestIdMiddleware wrote."""
    return [r.path for r in caplog.records if r.name == "demo.access"]


@pytest.mark.answers("Q106")
def test_asgi_entry_point_closes_the_response_so_the_access_line_is_written(caplog):
    """Behind `build_asgi_app` the WSGI response is closed, so its access line appears."""
    caplog.set_level(logging.INFO, logger="demo.access")
    app = create_app("testing")

    status, _ = asyncio.run(call_asgi(build_asgi_app(app), "/healthz"))
    assert status == 200
    assert access_paths(caplog) == ["/healthz"]

    caplog.clear()
    status, _ = asyncio.run(call_asgi(WsgiToAsgi(app), "/healthz"))
    assert status == 200
    assert access_paths(caplog) == [], (
        "asgiref now closes WSGI responses itself (django/asgiref#587): "
        "CloseAfterIteration in demo/asgi.py can go"
    )
