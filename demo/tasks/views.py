"""Starting tasks and watching them: pages under /tasks, JSON under /api/tasks (Q166).

Both sides use `demo.auth.permissions.authenticated`: pages identify the caller by the
session, the API by a JWT or an API key. A task is visible to its owner only; anyone else,
like an id that never existed, gets a 404, so ids cannot be probed.

- ``POST /api/tasks/exports`` ``{"format": "csv"}``: 202, ``Location: /api/tasks/<id>``;
- ``GET /api/tasks/<id>``: ``{"task": {"id", "kind", "state", "ready", "percent", ...}}``;
- ``GET /tasks/<id>``: the same as a page, refreshing itself until the task is done;
- ``GET /tasks/<id>/download`` and ``/api/tasks/<id>/download``: the finished export.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import states
from flask import (
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import NotFound

from demo.auth.permissions import authenticated, current_principal
from demo.errors import error_response
from demo.tasks import api_bp, bp
from demo.tasks.exports import FORMATS, export_articles, export_folder
from demo.tasks.forms import ExportForm
from demo.tasks.registry import QueueUnavailableError, TaskRecord, enqueue, find_task, result_of
from demo.tasks.status import describe

log = logging.getLogger(__name__)

EXPORT_KIND = "export"
RETRY_AFTER_SECONDS = 60
# Seconds between reloads of the status page while the task runs (no script needed).
REFRESH_SECONDS = 2


def _owner_id() -> int:
    principal = current_principal()
    assert principal is not None  # guaranteed by @authenticated
    return principal.user.id


def _own_task(task_id: str) -> TaskRecord:
    """The caller's task `task_id`, or a 404 that says nothing about other users' tasks."""
    record = find_task(task_id)
    if record is None or record.owner_id != _owner_id():
        raise NotFound("No such task.")
    return record


def _status(record: TaskRecord, download_endpoint: str) -> dict[str, Any]:
    download_url = (
        url_for(download_endpoint, task_id=record.task_id) if record.kind == EXPORT_KIND else None
    )
    return describe(record, download_url=download_url)


def _start_export(fmt: str) -> TaskRecord | Response:
    owner_id = _owner_id()
    try:
        result = enqueue(export_articles, owner_id, fmt, owner_id=owner_id, kind=EXPORT_KIND)
    except QueueUnavailableError:
        log.exception("export for user %s not queued", owner_id)
        return error_response(
            503,
            "The task queue is unavailable; try again in a minute.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    record = find_task(result.id)
    assert record is not None  # enqueue records owned tasks before queueing them
    return record


def _download(task_id: str) -> Response:
    record = _own_task(task_id)
    result = result_of(record)
    if record.kind != EXPORT_KIND or result.state != states.SUCCESS:
        raise NotFound("This task has no file to download (yet).")
    info = result.info
    # The name comes from our own task's result, and send_from_directory refuses any path
    # that would leave the folder anyway.
    return send_from_directory(
        export_folder(),
        info["filename"],
        as_attachment=True,
        download_name=f"articles.{info['format']}",
    )


# --- pages ----------------------------------------------------------------------------------


@bp.route("/export", methods=["GET", "POST"])
@authenticated
def export_page() -> Any:
    """A form to export one's articles; submitting it starts the task and shows its page."""
    form = ExportForm()
    if form.validate_on_submit():
        outcome = _start_export(form.format.data)
        if isinstance(outcome, Response):
            return outcome
        return redirect(url_for("tasks.status_page", task_id=outcome.task_id), code=303)
    return render_template("tasks/export.html", form=form)


@bp.get("/<task_id>")
@authenticated
def status_page(task_id: str) -> Response:
    """The task's state as a page; reloads itself (``Refresh`` header) until it is done."""
    status = _status(_own_task(task_id), "tasks.download")
    response = Response(render_template("tasks/status.html", task=status))
    if not status["ready"]:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.get("/<task_id>/download")
@authenticated
def download(task_id: str) -> Response:
    """The finished export, for its owner only."""
    return _download(task_id)


# --- JSON API -------------------------------------------------------------------------------


@api_bp.post("/exports")
@authenticated
def start_export() -> Response:
    """Start exporting the caller's articles: 202 with the task and its status URL."""
    payload = request.get_json(silent=True)
    fmt = payload.get("format", "csv") if isinstance(payload, dict) else "csv"
    if fmt not in FORMATS:
        return error_response(422, {"format": [f"must be one of: {', '.join(FORMATS)}"]})
    outcome = _start_export(fmt)
    if isinstance(outcome, Response):
        return outcome
    response = jsonify(task=_status(outcome, "tasks_api.download"))
    response.status_code = 202
    response.headers["Location"] = url_for("tasks_api.task_status", task_id=outcome.task_id)
    return response


@api_bp.get("/<task_id>")
@authenticated
def task_status(task_id: str) -> Response:
    """The task's state, progress, result link or failure reason."""
    return jsonify(task=_status(_own_task(task_id), "tasks_api.download"))


@api_bp.get("/<task_id>/download", endpoint="download")
@authenticated
def api_download(task_id: str) -> Response:
    """The finished export, for its owner only."""
    return _download(task_id)
