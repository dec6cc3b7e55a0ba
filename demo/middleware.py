"""WSGI middleware: code that wraps the whole Flask app, below routing (Q087, Q092).

`RequestIdMiddleware` is written by hand because writing it *is* the answer: a WSGI
middleware is any callable taking `(environ, start_response)` that calls the wrapped app.
It gives every request an id (honouring a sane incoming `X-Request-ID`), echoes it in the
response, and writes one access line with method, path, status and duration once the
body has been sent. `ProxyFix` (Werkzeug's own middleware) is applied inside it.

It also keeps each response to one `Date` header. Werkzeug dates some responses itself
(`send_file`, `make_conditional`), and Werkzeug's development server (`python -m demo`,
`flask run`) writes a `Date` of its own on every response without looking at the app's:
two `Date` headers are invalid, since the field takes a single value (RFC 9110, 5.3 and
6.6.1). Under that server the app's copy is dropped. gunicorn drops it by itself and writes
its own; uWSGI writes none, so there the app's is the one clients get.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
ENVIRON_KEY = "flaskproof.request_id"
# Ids from outside are echoed into logs and headers: accept only a short, plain token.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# SERVER_SOFTWARE prefixes of the servers that add their own Date beside the app's.
SERVERS_THAT_DATE_RESPONSES = ("Werkzeug/",)

access_log = logging.getLogger("demo.access")
# The id of the request this thread (or task) is serving; read by every log record.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def incoming_request_id(value: str | None) -> str:
    """The caller's id when it is safe to reuse, else a fresh random one."""
    if value and _SAFE_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Tag each request with an id and log one access line when its response is done."""

    def __init__(self, app: WSGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request_id = incoming_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        environ["HTTP_X_REQUEST_ID"] = request_id
        current_request_id.set(request_id)
        started = time.perf_counter()
        seen: dict[str, str] = {}
        replaced = ("x-request-id", "date")
        if not environ.get("SERVER_SOFTWARE", "").startswith(SERVERS_THAT_DATE_RESPONSES):
            replaced = ("x-request-id",)

        def start_response_with_id(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            headers = [(k, v) for k, v in headers if k.lower() not in replaced]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        def log_access() -> None:
            if not self.access_log:
                # Worker threads are reused: later lines from this thread belong to no request.
                current_request_id.set("-")
                return
            duration_ms = (time.perf_counter() - started) * 1000
            path = environ.get("PATH_INFO", "")
            method = environ.get("REQUEST_METHOD", "")
            status = seen.get("status", "-")
            # The body may be closed after another request on this thread began (or, in tests,
            # long after): stamp the line with this request's id, whatever is current now.
            current_request_id.set(request_id)
            access_log.info(
                "%s %s %s %.1fms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "status": int(status) if status.isdigit() else None,
                    "duration_ms": round(duration_ms, 2),
                    "remote_addr": environ.get("REMOTE_ADDR"),
                },
            )
            # Worker threads are reused: later lines from this thread belong to no request.
            current_request_id.set("-")

        return ClosingIterator(self.app(environ, start_response_with_id), [log_access])
