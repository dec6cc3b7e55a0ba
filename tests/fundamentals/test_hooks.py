"""Request hooks: their order, short-circuiting, and what still runs after a failure."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, g
from sqlalchemy import text

from demo import create_app
from demo.extensions import db
from demo.fundamentals.hooks import TRACE_HEADER

JSON = {"Accept": "application/json"}


@pytest.fixture
def fresh_app():
    """A factory-built app with no context pushed, so each request pushes and pops its own."""
    return create_app("testing")


def record_every_hook(app: Flask, steps: list[str]) -> None:
    """Register one of each hook on `app`, each appending its name to `steps`."""

    @app.before_request
    def before():
        steps.append("before_request")

    @app.after_request
    def after(response):
        steps.append("after_request")
        return response

    @app.teardown_request
    def teardown_request(error):
        steps.append("teardown_request")

    @app.teardown_appcontext
    def teardown_appcontext(error):
        steps.append("teardown_appcontext")


@pytest.mark.answers("Q088", "Q089", "Q090", "Q091")
def test_hooks_run_in_lifecycle_order(fresh_app):
    """One request runs before_request, the view, after_request, then both teardowns, in order."""
    steps: list[str] = []
    record_every_hook(fresh_app, steps)

    @fresh_app.get("/probe")
    def probe():
        steps.append("view")
        return "ok"

    assert fresh_app.test_client().get("/probe").status_code == 200
    assert steps == [
        "before_request",
        "view",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
    ]


@pytest.mark.answers("Q088", "Q089")
def test_trace_header_shows_hooks_around_the_view(client):
    """The view sees only before_request; after_request adds itself and sets a header."""
    response = client.get("/hooks/trace")
    assert response.status_code == 200
    assert response.get_json() == {"trace": ["before_request", "view"]}
    assert response.headers[TRACE_HEADER] == "before_request,view,after_request"


@pytest.mark.answers("Q088", "Q089")
def test_before_request_response_skips_the_view(client):
    """A response returned by before_request is final: the view never runs, after_request does."""
    refused = client.post("/hooks/echo", data={"name": "Ada"}, headers=JSON)
    assert refused.status_code == 415
    assert refused.get_json() == {
        "errors": {"body": ["Send a JSON body (Content-Type: application/json)."]}
    }
    assert refused.headers[TRACE_HEADER] == "before_request,after_request"

    accepted = client.post("/hooks/echo", json={"name": "Ada"})
    assert accepted.status_code == 200
    assert accepted.get_json()["received"] == {"name": "Ada"}
    assert accepted.headers[TRACE_HEADER] == "before_request,view,after_request"


@pytest.mark.answers("Q089", "Q090")
def test_handled_exception_still_runs_after_request_and_teardown(client, caplog):
    """The error handler answers 500; after_request decorates it; teardown gets no error."""
    caplog.set_level(logging.INFO, logger="demo.hooks")
    response = client.get("/hooks/boom", headers=JSON)

    assert response.status_code == 500
    assert "deliberate failure" not in response.get_data(as_text=True)
    assert response.headers[TRACE_HEADER] == "before_request,view,after_request"
    (teardown,) = [r for r in caplog.records if r.name == "demo.hooks"]
    assert teardown.trace == ["before_request", "view", "after_request", "teardown_request"]
    # The project's catch-all handler dealt with the exception, so teardown is told "no error".
    assert teardown.error is None


@pytest.mark.answers("Q090", "Q091")
def test_teardowns_receive_an_unhandled_exception():
    """Without a handler for it, the exception reaches both teardowns and the client gets 500."""
    app = Flask(__name__)  # a bare app: no catch-all error handler, not in testing mode
    received: dict[str, BaseException | None] = {}
    app.teardown_request(lambda error: received.setdefault("request", error))
    app.teardown_appcontext(lambda error: received.setdefault("appcontext", error))

    @app.get("/fail")
    def fail():
        raise LookupError("no such thing")

    response = app.test_client().get("/fail")

    assert response.status_code == 500
    assert isinstance(received["request"], LookupError)
    assert received["appcontext"] is received["request"]


@pytest.mark.answers("Q091")
def test_teardown_appcontext_runs_without_any_request(fresh_app):
    """A hand-pushed app context (CLI, scripts) runs teardown_appcontext, not teardown_request."""
    steps: list[str] = []
    record_every_hook(fresh_app, steps)
    with fresh_app.app_context():
        g.job = "nightly report"
    assert steps == ["teardown_appcontext"]


@pytest.mark.answers("Q091")
def test_request_inside_an_open_app_context_defers_teardown_appcontext(fresh_app):
    """A request reuses an app context that is already pushed, so the app teardown waits for it."""
    steps: list[str] = []
    record_every_hook(fresh_app, steps)
    with fresh_app.app_context():
        fresh_app.test_client().get("/readyz")
        assert steps == ["before_request", "after_request", "teardown_request"]
    assert steps[-1] == "teardown_appcontext"


@pytest.mark.answers("Q091")
def test_flask_sqlalchemy_closes_the_session_at_appcontext_teardown(fresh_app):
    """Flask-SQLAlchemy's teardown_appcontext closes the session, ending its open transaction."""
    with fresh_app.app_context():
        session = db.session()
        session.execute(text("SELECT 1"))
        assert session.in_transaction()
    assert not session.in_transaction()
