"""Cross-origin access to the JSON API with Flask-CORS, from an allow-list in config (Q069).

A page on ``http://localhost:3000`` calling ``/api/...`` here is a cross-origin request: the
browser sends it with an ``Origin`` header and only lets the page read the response if the
response names that origin in ``Access-Control-Allow-Origin``. Anything beyond a simple
request (an ``Authorization`` header, a JSON body, PUT or DELETE) is first asked about in a
preflight ``OPTIONS`` request, answered with the allowed methods and headers.

- Only ``/api`` and below get CORS headers; the HTML pages never do.
- ``CORS_ORIGINS`` lists the allowed origins. An allowed origin is echoed back, with
  ``Access-Control-Allow-Credentials: true`` so cookie-JWT clients work; any other origin gets
  no CORS header at all. ``*`` allows every origin and then never credentials: echoing
  arbitrary origins together with credentials would let any site act as the logged-in user.
- ``Vary: Origin`` is on every API response, whatever the origin: the headers depend on it,
  and a shared cache must not hand one origin's answer to another.

CORS is enforced by browsers, for their users. It does not stop curl or a server calling the
API, so it is no substitute for authentication, rate limits or CSRF protection.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request

from demo.extensions import cors

API_PATHS = r"^/api(/.*)?$"
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# What API clients send: tokens, JSON, API keys, the cookie-JWT CSRF header, a request id.
ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-API-Key", "X-CSRF-TOKEN", "X-Request-ID"]
# Beyond the few "safelisted" response headers, scripts may read only those listed here.
EXPOSED_HEADERS = [
    "ETag",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Request-ID",
]
_ORIGIN = re.compile(r"^https?://[^/\s*?#]+$", re.IGNORECASE)


class InvalidOriginError(ValueError):
    """A `CORS_ORIGINS` entry that no browser would ever send as its `Origin`."""


def allowed_origins(configured: list[str]) -> list[str]:
    """The configured origins, checked: scheme and host (and port), no path.

    ``http://localhost:3000/`` is the usual mistake: a browser's ``Origin`` never ends with
    a slash, so that entry would silently match nothing. It is accepted without the slash.
    """
    origins = []
    for entry in configured:
        origin = entry.strip().rstrip("/")
        if origin != "*" and not _ORIGIN.match(origin):
            raise InvalidOriginError(
                f"CORS_ORIGINS entry {entry!r} is not an origin such as https://app.example.com"
            )
        origins.append(origin)
    return origins


def cors_options(configured_origins: list[str], max_age: int) -> dict[str, Any]:
    """Flask-CORS options for the API resources."""
    origins = allowed_origins(configured_origins)
    any_origin = "*" in origins
    return {
        "origins": "*" if any_origin else origins,
        "send_wildcard": any_origin,
        "supports_credentials": not any_origin,
        "methods": ALLOWED_METHODS,
        "allow_headers": ALLOWED_HEADERS,
        "expose_headers": EXPOSED_HEADERS,
        "max_age": max_age,
        # By default Flask-CORS lists every allowed origin on requests without an Origin
        # header (one header per origin: invalid) and adds Vary only for several origins.
        "always_send": False,
        "vary_header": False,
    }


def init_cors(app: Flask) -> None:
    """Bind Flask-CORS to `app` for the API paths only."""
    options = cors_options(app.config["CORS_ORIGINS"], app.config["CORS_MAX_AGE"])
    cors.init_app(app, resources={API_PATHS: options})
    if options["origins"] != "*":
        app.after_request(_vary_on_origin)


def _vary_on_origin(response: Response) -> Response:
    if request.path == "/api" or request.path.startswith("/api/"):
        response.vary.add("Origin")
    return response
