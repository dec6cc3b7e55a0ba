"""Blueprints: a self-contained component, nested and registered twice (Q023, Q123, Q138, Q139).

`widgets` carries its own views, URL value preprocessor, request hooks and 404 handler, none
of which touch the rest of the app. It is nested in the fundamentals blueprint twice, as API
versions 1 and 2: same code, different name, URL prefix and default values. Its hooks record
the order in which Flask dispatches a request, returned in the ``X-Dispatch-Trace`` header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from demo.errors import error_body
from demo.fundamentals import bp

WIDGETS = {1: "sprocket", 2: "flange", 3: "grommet"}
TRACE_HEADER = "X-Dispatch-Trace"

widgets = Blueprint("widgets", __name__)


def _trace(step: str) -> None:
    g.setdefault("dispatch_trace", []).append(step)


@widgets.url_value_preprocessor
def pull_api_version(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Move the version out of the view arguments into `g`: the views need not declare it."""
    _trace("url_value_preprocessor")
    g.api_version = values.pop("api_version") if values else None


@widgets.before_request
def before_widget_request() -> None:
    """Runs for this blueprint's views only, after the app's own before_request hooks."""
    _trace("before_request")


@widgets.after_request
def after_widget_request(response: Response) -> Response:
    """Runs for this blueprint's views only, before the app's after_request hooks."""
    _trace("after_request")
    response.headers[TRACE_HEADER] = ", ".join(g.dispatch_trace)
    return response


@widgets.errorhandler(404)
def widget_not_found(error: NotFound) -> tuple[Response, int]:
    """JSON for `abort(404)` raised in these views; URLs that match no rule never get here."""
    return jsonify(error_body(404, error.description or "Not found")), 404


@widgets.get("/")
def list_widgets() -> dict[str, Any]:
    """Every widget, with URLs built relative to whichever registration served the request."""
    _trace("view")
    return {
        "api_version": g.api_version,
        "blueprint": request.blueprint,
        "widgets": [
            {"id": widget_id, "name": name, "url": url_for(".show_widget", widget_id=widget_id)}
            for widget_id, name in WIDGETS.items()
        ],
    }


@widgets.get("/<int:widget_id>")
def show_widget(widget_id: int) -> dict[str, Any]:
    """One widget, or a 404 answered by this blueprint's own handler."""
    _trace("view")
    if widget_id not in WIDGETS:
        abort(404, description=f"There is no widget {widget_id}.")
    return {"api_version": g.api_version, "id": widget_id, "name": WIDGETS[widget_id]}


# Registering one blueprint object twice needs a distinct `name` each time, else Flask
# refuses: endpoint names, hooks and handlers are all keyed by that name.
for version in (1, 2):
    bp.register_blueprint(
        widgets,
        name=f"widgets_v{version}",
        url_prefix=f"/routing/blueprints/v{version}/widgets",
        url_defaults={"api_version": version},
    )
