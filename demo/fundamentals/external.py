"""Calling an external HTTP service, and failing gracefully when it fails (Q162).

`fetch_quote()` is the one seam between this app and the quotes service: tests either
replace it (monkeypatch) or point `EXTERNAL_QUOTES_URL` at a fake server on loopback.
The view turns every failure into a JSON 502 (the service answered badly) or 503 (it
could not be reached in time) instead of a 500 with a traceback.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, jsonify

from demo.errors import error_body
from demo.fundamentals import bp
from demo.middleware import REQUEST_ID_HEADER, current_request_id

# Where a locally run quotes stub would listen. Nothing listens there by default, so an
# unconfigured app demonstrates the 503 path instead of calling out to the internet.
DEFAULT_QUOTES_URL = "http://127.0.0.1:8089"
DEFAULT_TIMEOUT_SECONDS = 2.0
# An upstream that streams megabytes at us is a failure too, not something to buffer.
MAX_BODY_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 30


class ExternalServiceError(Exception):
    """Base class: the quotes service could not give us a usable answer."""


class ExternalServiceUnavailable(ExternalServiceError):
    """Not reachable, refused the connection or did not answer within the timeout."""


class ExternalServiceBadResponse(ExternalServiceError):
    """Answered, but with an error status or a body we cannot use."""


def fetch_json(path: str) -> Any:
    """GET ``EXTERNAL_QUOTES_URL + path`` and decode its JSON body, with a timeout."""
    base_url = current_app.config.get("EXTERNAL_QUOTES_URL", DEFAULT_QUOTES_URL)
    timeout = float(current_app.config.get("EXTERNAL_QUOTES_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    url = base_url.rstrip("/") + path
    if urlsplit(url).scheme not in {"http", "https"}:
        # urllib also opens file:// and ftp:// URLs; a config typo must not read local files.
        raise ExternalServiceUnavailable(f"refusing non-HTTP URL {url!r}")
    outgoing = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        headers={
            "Accept": "application/json",
            "User-Agent": "flaskproof",
            # Forwarded so one id finds this request in both services' logs.
            REQUEST_ID_HEADER: current_request_id.get(),
        },
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_BODY_BYTES + 1)
    except urllib.error.HTTPError as error:
        with error:  # it holds the open connection
            raise ExternalServiceBadResponse(f"{url} answered {error.code}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise ExternalServiceUnavailable(f"{url} unreachable: {error}") from error
    except http.client.HTTPException as error:  # a malformed or truncated HTTP answer
        raise ExternalServiceBadResponse(f"{url} broke the protocol: {error!r}") from error
    if len(body) > MAX_BODY_BYTES:
        raise ExternalServiceBadResponse(f"{url} sent more than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as error:
        raise ExternalServiceBadResponse(f"{url} sent invalid JSON") from error


def fetch_quote() -> dict[str, str]:
    """A random quote as ``{"text": ..., "author": ...}``, validated."""
    data = fetch_json("/quotes/random")
    if not (
        isinstance(data, dict)
        and isinstance(data.get("text"), str)
        and isinstance(data.get("author"), str)
    ):
        raise ExternalServiceBadResponse("quote without text and author")
    return {"text": data["text"], "author": data["author"]}


@bp.get("/external/quote")
def quote_of_the_day() -> Response:
    """The upstream quote, or a JSON 502/503 saying the quotes service is at fault."""
    try:
        quote = fetch_quote()
    except ExternalServiceUnavailable as error:
        current_app.logger.warning("Quotes service unavailable: %s", error)
        response = jsonify(error_body(503, "The quotes service is unavailable; try again soon."))
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    except ExternalServiceBadResponse as error:
        current_app.logger.warning("Quotes service answered badly: %s", error)
        response = jsonify(error_body(502, "The quotes service sent an unusable answer."))
        response.status_code = 502
        return response
    return jsonify(quote=quote)
