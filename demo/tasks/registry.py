"""Queue a task for a user, and find it again by id (Q166).

Celery cannot tell an unknown task id from a queued one: the result backend has nothing for
either, so both read as PENDING. `enqueue` therefore records every user-facing task before
queueing it (owner, kind, and the task's name) in the shared store, for as long as Celery
keeps results. The status endpoint answers 404 for an id with no record, which covers ids
that never existed, ids whose results have expired, and other users' tasks alike.

Why a record and not a signed task id: a signature proves the server minted an id, not that
the task was ever queued, and it cannot expire with the result; the record also gives the
owner check and the task's kind in one read.
"""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.result import AsyncResult
from flask import current_app
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from demo.tasks.store import task_store


class QueueUnavailableError(RuntimeError):
    """The broker (or the Redis holding task records) could not be reached: nothing queued."""


@dataclass(frozen=True)
class TaskRecord:
    """What the app remembers about a task it queued for someone."""

    task_id: str
    name: str
    kind: str
    owner_id: int | None


def current_celery() -> Celery:
    """The current Flask app's Celery app."""
    return current_app.extensions["celery"]


def _record_key(task_id: str) -> str:
    return f"record:{task_id}"


def enqueue(
    task: Task,
    *args: Any,
    owner_id: int | None = None,
    kind: str | None = None,
    **kwargs: Any,
) -> AsyncResult:
    """Queue `task` on the current app's Celery, recording it first when it has an owner.

    The record is written before the message is sent: a fast worker (or inline mode, which
    runs the task right here) may report progress before `apply_async` returns.

    In embedded mode the task runs now, and a failure is stored, not raised: the caller
    never sees a worker's exception either, and a welcome mail that cannot be sent must not
    undo a registration. Raises `QueueUnavailableError` when the broker cannot be reached.
    """
    celery_app = current_celery()
    bound = celery_app.tasks[task.name]  # this app's instance, not the proxy's current one
    task_id = str(uuid.uuid4())
    store = task_store()
    try:
        if owner_id is not None:
            record = TaskRecord(task_id, bound.name, kind or bound.name, owner_id)
            store.set(_record_key(task_id), json.dumps(asdict(record)), _ttl(celery_app))
        return bound.apply_async(args, kwargs, task_id=task_id)
    except (OperationalError, RedisError) as exc:
        with suppress(RedisError):
            store.delete(_record_key(task_id))
        raise QueueUnavailableError(f"the task queue is unavailable: {exc}") from exc


def _ttl(celery_app: Celery) -> int:
    """Records live as long as Celery keeps results (`result_expires`)."""
    expires = celery_app.conf.result_expires
    return int(expires.total_seconds()) if isinstance(expires, timedelta) else int(expires)


def find_task(task_id: str) -> TaskRecord | None:
    """The record of a task queued by `enqueue`, or None if there is none (any more)."""
    try:
        task_id = str(uuid.UUID(task_id))
    except ValueError:
        return None
    raw = task_store().get(_record_key(task_id))
    return TaskRecord(**json.loads(raw)) if raw else None


def result_of(record: TaskRecord) -> AsyncResult:
    """The Celery result handle for a recorded task."""
    return current_celery().AsyncResult(record.task_id)
