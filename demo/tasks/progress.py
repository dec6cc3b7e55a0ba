"""Task progress, told twice: in the task's state and as a push to its owner (Q125, Q166).

- ``update_state(state="PROGRESS", meta={"current", "total", "percent"})`` stores progress in
  the result backend, where the status endpoint and page read it (polling);
- `report_progress` pushes the same figures to the owner's browsers and API clients over
  Socket.IO (`demo.websockets.events.notify_user`), from the worker process itself.

Pushes are best effort: a user with nothing connected receives nothing, and a push that
fails must never fail the task whose progress it reports.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from demo.websockets.events import TASK_PROGRESS_EVENT, notify_user

log = logging.getLogger(__name__)


def percent_of(current: int, total: int) -> int:
    """Whole percent done; an empty job is complete."""
    return 100 if total <= 0 else min(100, current * 100 // total)


def report_progress(
    user_id: int, task_id: str | None, state: str, percent: int, **extra: Any
) -> None:
    """Push ``task_progress`` to `user_id`'s connections on /notifications."""
    payload = {"task_id": task_id, "state": state, "percent": percent, **extra}
    try:
        notify_user(user_id, TASK_PROGRESS_EVENT, payload)
    except Exception:  # a push is best effort (see module docstring)
        log.warning("could not push progress of task %s", task_id, exc_info=True)


class ProgressReporter:
    """Record a task's progress in its state and push it, only when the percentage moves.

    At most 101 state writes and pushes per task, however many items it processes.
    """

    def __init__(self, task: Task, user_id: int, name: str) -> None:
        self.task = task
        self.user_id = user_id
        self.name = name
        self._last_percent: int | None = None

    @property
    def task_id(self) -> str | None:
        return self.task.request.id

    def __call__(self, current: int, total: int) -> None:
        percent = percent_of(current, total)
        if percent == self._last_percent:
            return
        self._last_percent = percent
        meta = {"current": current, "total": total, "percent": percent}
        # A plain function call (a unit test) has no task id and no state to update.
        if self.task_id is not None:
            self.task.update_state(state="PROGRESS", meta=meta)
        report_progress(self.user_id, self.task_id, "PROGRESS", percent, name=self.name)

    def finished(self, state: str, **extra: Any) -> None:
        """Push the final state (SUCCESS or FAILURE) with its link or reason."""
        percent = 100 if state == "SUCCESS" else (self._last_percent or 0)
        report_progress(self.user_id, self.task_id, state, percent, name=self.name, **extra)
