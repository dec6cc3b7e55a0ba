"""Tasks that exist only for the tests, and the hook that tells a test its worker is ready.

Workers in other processes load this module with ``celery worker --include
tests.tasks.worker_tasks``. Tests and tasks signal each other through Redis lists: a task
pushes to ``<key>:started`` and blocks on ``<key>:release``; the test blocks on the first
and pushes to the second. BLPOP waits without polling or sleeping, across processes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import redis
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from flask import current_app, g

from demo.tasks.progress import ProgressReporter
from demo.tasks.status import TaskFailedError

log = logging.getLogger(__name__)
WAIT_SECONDS = 30
READY_KEY_VARIABLE = "TEST_WORKER_READY_KEY"


def blocking_client(redis_url: str) -> redis.Redis:
    """A client whose BLPOP may wait longer than redis-py's default 5 s socket timeout."""
    return redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=None)


def _wait_for_release(client: redis.Redis, key: str) -> None:
    if client.blpop([f"{key}:release"], timeout=WAIT_SECONDS) is None:
        raise TimeoutError(f"{key} was never released")


@shared_task(name="tests.tasks.hold", acks_late=True, reject_on_worker_lost=True)
def hold(redis_url: str, key: str) -> int:
    """Tell the test which process runs this attempt, wait to be released; that pid."""
    client = blocking_client(redis_url)
    try:
        client.rpush(f"{key}:started", os.getpid())
        _wait_for_release(client, key)
        return os.getpid()
    finally:
        client.close()


@shared_task(bind=True, name="tests.tasks.progress_then_hold")
def progress_then_hold(self: Task, redis_url: str, key: str, user_id: int) -> str:
    """Report 2 of 5 done, then wait to be released."""
    client = blocking_client(redis_url)
    try:
        ProgressReporter(self, user_id, "test")(2, 5)
        client.rpush(f"{key}:started", os.getpid())
        _wait_for_release(client, key)
        return "released"
    finally:
        client.close()


@shared_task(name="tests.tasks.overrun", soft_time_limit=0.5, time_limit=20)
def overrun(redis_url: str, key: str) -> None:
    """Wait far longer than the soft limit allows; clean up when the limit interrupts."""
    client = blocking_client(redis_url)
    try:
        client.rpush(f"{key}:started", os.getpid())
        _wait_for_release(client, key)  # never released: the soft limit ends the wait
    except SoftTimeLimitExceeded:
        client.rpush(f"{key}:cleaned", "partial results removed")
        raise
    finally:
        client.close()


@shared_task(name="tests.tasks.context_probe")
def context_probe() -> dict[str, Any]:
    """What a task sees of Flask: which app, whether `g` is fresh; logs one line."""
    log.info("probing the task's context")
    return {"app_id": id(current_app._get_current_object()), "g_marker": g.get("marker")}


@shared_task(name="tests.tasks.fail")
def fail(message: str, readable: bool) -> None:
    """Fail with `message`, as a user-facing `TaskFailedError` or as an internal error."""
    if readable:
        raise TaskFailedError(message)
    raise RuntimeError(message)


@worker_ready.connect
def announce_ready(sender: Any = None, **_: Any) -> None:
    """Push this worker's pid to the key the test named, once it consumes its queues."""
    key = os.environ.get(READY_KEY_VARIABLE)
    if key:
        client = blocking_client(os.environ["REDIS_URL"])
        try:
            client.rpush(key, os.getpid())
        finally:
            client.close()
