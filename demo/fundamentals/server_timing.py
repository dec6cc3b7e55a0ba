"""A complete Flask extension in a few lines: `ServerTiming` (Q055, Q056).

It follows the same contract as Flask-SQLAlchemy or Flask-Migrate: the object can be
created without an app, `init_app(app)` reads the app's config, registers hooks and keeps
its per-app state in `app.extensions`, and the same object can serve any number of apps.
The header it adds, ``Server-Timing: app;dur=12.3``, shows up in the browser's dev tools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g

EXTENSION_KEY = "server_timing"


@dataclass(frozen=True)
class ServerTimingState:
    """What one app configured; looked up through `current_app`, never stored on the extension."""

    metric: str


class ServerTiming:
    """Add a `Server-Timing` header with the time Flask spent on each request."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Bind to one app: read its config, store its state, register its hooks."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("ServerTiming is already initialised on this app.")
        app.config.setdefault("SERVER_TIMING_METRIC", "app")
        app.extensions[EXTENSION_KEY] = ServerTimingState(app.config["SERVER_TIMING_METRIC"])
        app.before_request(_start_clock)
        app.after_request(_add_header)


def _start_clock() -> None:
    g.server_timing_started = time.perf_counter()


def _add_header(response: Response) -> Response:
    started = g.get("server_timing_started")
    if started is not None:
        state: ServerTimingState = current_app.extensions[EXTENSION_KEY]
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers.add("Server-Timing", f"{state.metric};dur={elapsed_ms:.1f}")
    return response
