"""What a task is doing, in words a user can read (Q166).

Celery's states map onto the JSON the status endpoint answers and the page shows:

- PENDING: queued, no worker has it yet (unknown ids never get here: see `registry`);
- STARTED: a worker is running it (``task_track_started``);
- PROGRESS: running, with ``current``/``total``/``percent`` from ``update_state``;
- RETRY: a transient error; it will run again;
- SUCCESS: done, with its result and, for an export, the download link;
- FAILURE: a readable reason. Tracebacks and exception text stay in the worker's log: they
  can hold SQL, paths or addresses a user has no business seeing.
"""

from __future__ import annotations

import smtplib
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError
from celery import states

from demo.tasks.registry import TaskRecord, result_of


class TaskFailedError(Exception):
    """A failure whose message is written for the user (raised by tasks on purpose)."""


_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((SoftTimeLimitExceeded, TimeLimitExceeded), "The task took too long and was stopped."),
    ((WorkerLostError,), "The worker running the task stopped unexpectedly."),
    (
        (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected),
        "A server the task needs could not be reached.",
    ),
)


def failure_reason(error: BaseException | None) -> str:
    """A sentence for the user about why a task failed or is being retried."""
    if isinstance(error, TaskFailedError):
        return str(error)
    for types, reason in _REASONS:
        if isinstance(error, types):
            return reason
    return "The task failed unexpectedly. The details are in the worker's log."


def describe(record: TaskRecord, download_url: str | None = None) -> dict[str, Any]:
    """The status of a recorded task as a JSON-ready dict."""
    result = result_of(record)
    state = result.state
    info = result.info
    status: dict[str, Any] = {
        "id": record.task_id,
        "kind": record.kind,
        "state": state,
        "ready": state in states.READY_STATES,
        "percent": 0,
    }
    if state == "PROGRESS" and isinstance(info, dict):
        status.update(
            percent=int(info.get("percent", 0)),
            current=info.get("current"),
            total=info.get("total"),
        )
    elif state == states.SUCCESS:
        status.update(percent=100, result=info)
        if download_url:
            status["download_url"] = download_url
    elif state in (states.FAILURE, states.RETRY):
        status["error"] = failure_reason(info if isinstance(info, BaseException) else None)
    elif state == states.REVOKED:
        status["error"] = "The task was cancelled."
    return status
