"""Application and request contexts, context-locals and thread safety.

Serves Q037 (thread-local objects), Q049-Q053 (the two contexts and how to reach them),
Q054 (context processors), Q128 (a thread-safe operation) and Q129 (thread-safe globals).
Every URL lives under /contexts/.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import (
    Response,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask.blueprints import BlueprintSetupState

from demo.fundamentals import bp

try:
    APP_VERSION = version("flaskproof")
except PackageNotFoundError:  # running from a source tree that was never installed
    APP_VERSION = "0+unknown"


# --- Q049-Q053: what each context provides ---------------------------------------------


def context_snapshot() -> dict[str, Any]:
    """Which contexts are active here and what the context-locals point at.

    Safe to call anywhere (a view, a CLI command, a background job): it asks
    `has_app_context()` / `has_request_context()` before touching a proxy.
    """
    snapshot: dict[str, Any] = {
        "app_context": has_app_context(),
        "request_context": has_request_context(),
        "config_name": None,
        "g_keys": [],
        "method": None,
        "path": None,
    }
    if has_app_context():
        snapshot["config_name"] = current_app.config["CONFIG_NAME"]
        snapshot["g_keys"] = sorted(g)
    if has_request_context():
        snapshot["method"] = request.method
        snapshot["path"] = request.path
    return snapshot


@bp.get("/contexts/")
def contexts_overview() -> str:
    """A page showing both contexts from inside a request, and the context processor's value."""
    g.rendered_by = "contexts_overview"
    return render_template("fundamentals/contexts_index.html", snapshot=context_snapshot())


# --- Q054: a context processor feeds every template ------------------------------------


@bp.app_context_processor
def inject_build_info() -> dict[str, str]:
    """Add `app_version` to every template the app renders, not only this blueprint's."""
    return {"app_version": APP_VERSION}


# --- Q037/Q129: context-locals are per request, even on shared threads -----------------


@dataclass
class Caller:
    """Who is calling: set once per request on `g`, read by code deep inside it."""

    name: str


def greet_current_caller() -> str:
    """Read the caller from `g` without it being passed in: `g` is this request's own."""
    return f"Hello, {g.caller.name}!"


@bp.get("/contexts/whoami")
def contexts_whoami() -> Response:
    """Store `?name=` on `g`, then read it back through a helper that takes no arguments."""
    g.caller = Caller(request.args.get("name", "anonymous"))
    return jsonify(greeting=greet_current_caller(), thread=threading.get_ident())


@bp.get("/contexts/background")
def contexts_background() -> Response:
    """A thread started in a view sees no request unless the request context is copied in."""
    seen: dict[str, Any] = {}

    def plain_thread() -> None:
        seen["plain_has_request"] = has_request_context()

    @copy_current_request_context
    def copied_thread() -> None:
        seen["copied_has_request"] = has_request_context()
        seen["copied_sees_name"] = request.args.get("name")

    # Joined before returning: a copied context must not outlive the response for real
    # work; that belongs in a task queue.
    for target in (plain_thread, copied_thread):
        worker = threading.Thread(target=target)
        worker.start()
        worker.join()
    return jsonify(seen)


# --- Q128: a thread-safe operation ------------------------------------------------------


class HitCounter:
    """A counter safe to share between the threads of one worker process.

    `+=` is a read, an add and a write; two threads can read the same old value and one
    increment is lost. The lock makes the three steps one indivisible operation.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def increment(self) -> int:
        """Add one and return the new total, which no other caller can also receive."""
        with self._lock:
            self._value += 1
            return self._value

    @property
    def value(self) -> int:
        """The current total."""
        return self._value


@bp.record_once
def _attach_hit_counter(state: BlueprintSetupState) -> None:
    # One counter per app, not per module: every app the factory builds starts at zero.
    state.app.extensions["hit_counter"] = HitCounter()


def hit_counter() -> HitCounter:
    """The current app's counter."""
    return current_app.extensions["hit_counter"]


@bp.get("/contexts/hits")
def contexts_hits() -> Response:
    """How many hits this worker process has counted."""
    return jsonify(hits=hit_counter().value)


@bp.post("/contexts/hits")
def contexts_add_hit() -> Response:
    """Count one hit; concurrent requests never lose an increment."""
    return jsonify(hits=hit_counter().increment())
