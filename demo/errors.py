"""The single error path: JSON for API clients, an HTML page for browsers (Q116, Q117, Q119, Q120).

Every `HTTPException` (including `abort(...)`) and every unexpected exception ends here.
JSON errors always have the shape ``{"errors": {"body": ["message"], <field>: [...]}}``,
the RealWorld Conduit shape, so one client-side parser handles every failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Flask, Response, current_app, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

# Headers the original error response carries that clients need (Allow on 405,
# Retry-After on 429, WWW-Authenticate on 401); the body and its type are replaced.
_DROPPED_HEADERS = {"content-type", "content-length"}

ErrorDetail = str | Mapping[str, Sequence[str]]


def wants_json() -> bool:
    """True when the client is an API client: an `/api` URL, a JSON body or `Accept`."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return True
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept["application/json"] > accept["text/html"]


def error_body(status: int, detail: ErrorDetail) -> dict[str, dict[str, list[str]]]:
    """The stable JSON error shape; field errors keep their keys and gain a ``body`` summary."""
    if isinstance(detail, str):
        return {"errors": {"body": [detail]}}
    errors = {key: [str(m) for m in messages] for key, messages in detail.items()}
    if "body" not in errors:
        errors["body"] = [f"{key} {message}" for key, msgs in errors.items() for message in msgs]
    return {"errors": errors}


def error_response(
    status: int, detail: ErrorDetail | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """Build the error response in the format this request's client expects."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    detail = detail if detail is not None else title
    if wants_json():
        response = jsonify(error_body(status, detail))
    else:
        message = (
            detail
            if isinstance(detail, str)
            else "; ".join(error_body(status, detail)["errors"]["body"])
        )
        response = Response(_render_error_page(status, title, message), mimetype="text/html")
    response.status_code = status
    for key, value in (headers or {}).items():
        if key.lower() not in _DROPPED_HEADERS:
            response.headers[key] = value
    return response


def _render_error_page(status: int, title: str, message: str) -> str:
    """The site's error page; a bare page if the template itself cannot render.

    The error page runs context processors (the current user, the CSRF token ...); if one
    of those is what failed, the client must still get an answer, not a second exception.
    """
    try:
        return render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:
        current_app.logger.exception("The error page failed to render")
        return (
            f"<!doctype html><html lang=en><title>{status} {escape(title)}</title>"
            f"<h1>{status} {escape(title)}</h1><p>{escape(message)}</p></html>"
        )


def handle_http_exception(error: HTTPException) -> Response:
    """`abort(404)`, an unknown URL, a wrong method, a too-large body: all come here."""
    status = error.code or 500
    original = error.get_response()
    return error_response(status, error.description or None, headers=dict(original.headers))


def handle_unexpected_exception(error: Exception) -> Response:
    """Log the traceback for the operators; tell the client nothing about internals.

    In debug mode (or with ``PROPAGATE_EXCEPTIONS = True``) the exception is re-raised
    after logging: a catch-all handler would otherwise swallow every exception before the
    Werkzeug debugger of `flask run --debug` could show it (Q163).
    """
    current_app.logger.exception("Unhandled exception on %s %s", request.method, request.path)
    propagate = current_app.config.get("PROPAGATE_EXCEPTIONS")
    # Unlike Flask's own default, TESTING alone does not propagate: tests see the real 500.
    if propagate or (propagate is None and current_app.debug):
        raise error
    return error_response(500, InternalServerError.description)


def register_error_handlers(app: Flask) -> None:
    """Bind both handlers; Flask picks the most specific class, so HTTP errors stay HTTP."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected_exception)
