"""Extensions: created once, bound per app with init_app, state kept in `app.extensions`."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from demo import create_app
from demo.extensions import db
from demo.fundamentals.server_timing import ServerTiming, ServerTimingState

SERVER_TIMING = re.compile(r"^(?P<metric>[a-z]+);dur=\d+\.\d$")


@pytest.mark.answers("Q055", "Q056")
def test_factory_binds_every_project_extension(app):
    """A bare Flask app has no extensions; the factory's app has each one registered."""
    assert Flask(__name__).extensions == {}
    assert {"sqlalchemy", "migrate", "redis", "socketio"} <= set(app.extensions)
    assert app.extensions["sqlalchemy"] is db


@pytest.mark.answers("Q055", "Q056")
def test_one_extension_object_serves_two_apps_with_their_own_state(tmp_path):
    """The same `db` gives each app its own engine, chosen by the app that is current."""
    first = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'one.db'}")
    second = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'two.db'}")
    with first.app_context():
        first_engine = db.engine
    with second.app_context():
        second_engine = db.engine
    assert first_engine is not second_engine
    assert first_engine.url.database.endswith("one.db")
    assert second_engine.url.database.endswith("two.db")


@pytest.mark.answers("Q055")
def test_extension_needs_an_app_context_to_find_its_app():
    """Unbound at import time, the extension only knows its app through `current_app`."""
    with pytest.raises(RuntimeError, match="application context"):
        db.engine  # noqa: B018  (the attribute access is the behaviour under test)


@pytest.mark.answers("Q055", "Q056")
def test_custom_extension_init_app_registers_hooks_per_app():
    """`ServerTiming().init_app(app)` times only the apps it was bound to, with their config."""
    timing = ServerTiming()
    timed = create_app("testing", SERVER_TIMING_METRIC="flask")
    untimed = create_app("testing")
    timing.init_app(timed)

    header = timed.test_client().get("/readyz").headers["Server-Timing"]
    assert SERVER_TIMING.match(header)["metric"] == "flask"
    assert timed.extensions["server_timing"] == ServerTimingState(metric="flask")
    assert "Server-Timing" not in untimed.test_client().get("/readyz").headers
    assert "server_timing" not in untimed.extensions


@pytest.mark.answers("Q056")
def test_custom_extension_accepts_the_app_directly_and_refuses_a_second_init():
    """`ServerTiming(app)` is the one-app shortcut; binding twice would double the hooks."""
    app = Flask(__name__)

    @app.get("/")
    def index():
        return "ok"

    timing = ServerTiming(app)
    response = app.test_client().get("/")
    assert SERVER_TIMING.match(response.headers["Server-Timing"])["metric"] == "app"
    with pytest.raises(RuntimeError, match="already initialised"):
        timing.init_app(app)
