"""Request hooks around the views under /hooks/ (Q088, Q089, Q090, Q091) and what the WSGI
middleware did to the request before Flask saw it (Q087, Q092).

The hooks are registered on a blueprint nested in the fundamentals blueprint, so they run
only for /hooks/ URLs and never slow down or change another topic's views. Each hook appends
its name to a trace kept on `g`; `after_request` returns that trace in `X-Hook-Trace`, and
`teardown_request` logs it (it runs after the response exists, so it cannot be in it).
"""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import Blueprint, Response, g, jsonify, request

from demo.errors import error_response
from demo.fundamentals import bp
from demo.middleware import ENVIRON_KEY

hooks = Blueprint("hooks", __name__, url_prefix="/hooks")
bp.register_blueprint(hooks)

TRACE_HEADER = "X-Hook-Trace"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
hook_log = logging.getLogger("demo.hooks")


def record_step(step: str) -> None:
    """Append one lifecycle step to this request's trace."""
    g.setdefault("hook_trace", []).append(step)


@hooks.before_request
def require_json_for_writes() -> Response | None:
    """Runs before every /hooks/ view; returning a response here means the view never runs."""
    # A fresh list, not setdefault: `g` belongs to the app context, which a request reuses
    # when one is already pushed (as in tests), so an old trace could still be there.
    g.hook_trace = ["before_request"]
    if request.method in WRITE_METHODS and not request.is_json:
        return error_response(415, "Send a JSON body (Content-Type: application/json).")
    return None


@hooks.after_request
def expose_trace(response: Response) -> Response:
    """Runs on every response, including short-circuited and error responses."""
    record_step("after_request")
    response.headers[TRACE_HEADER] = ",".join(g.hook_trace)
    return response


@hooks.teardown_request
def log_trace(error: BaseException | None) -> None:
    """Runs last, even after a failure; `error` is set only when no handler dealt with it."""
    hook_log.info(
        "teardown_request after %s %s",
        request.method,
        request.path,
        extra={
            "trace": [*g.get("hook_trace", []), "teardown_request"],
            "error": type(error).__name__ if error is not None else None,
        },
    )


@hooks.get("/trace")
def trace() -> Response:
    """Show which hooks ran before this view; the header adds the ones that ran after it."""
    record_step("view")
    return jsonify(trace=g.hook_trace)


@hooks.post("/echo")
def echo() -> Response:
    """Echo a JSON body; a non-JSON body is refused by `before_request` before it gets here."""
    record_step("view")
    return jsonify(received=request.get_json(), trace=g.hook_trace)


@hooks.get("/boom")
def boom() -> NoReturn:
    """Fail on purpose, to show which hooks still run after a view raises."""
    record_step("view")
    raise RuntimeError("deliberate failure in /hooks/boom")


@hooks.get("/client")
def client_info() -> Response:
    """What the app sees after ProxyFix and RequestIdMiddleware rewrote the WSGI environ."""
    return jsonify(
        remote_addr=request.remote_addr,
        scheme=request.scheme,
        host=request.host,
        request_id=request.environ.get(ENVIRON_KEY),
    )
