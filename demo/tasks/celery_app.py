"""Celery bound to a Flask app, the way the Flask documentation does it (Q166).

`celery_init_app(app)` gives every Flask app its own Celery app:

- its configuration is the dict `app.config["CELERY"]`, built here from the app's settings
  (`CELERY_BROKER_URL` / `CELERY_RESULT_BACKEND`, both defaulting to `REDIS_URL`); a
  ``CELERY={...}`` override passed to `create_app` is merged over it;
- its task class runs every task inside ``app.app_context()``, so a task uses `db`,
  `current_app.config` and the extensions exactly as a view does, with a session of its own;
- it is stored as ``app.extensions["celery"]``, which is what `demo.make_celery` hands to
  ``celery -A demo.make_celery worker`` and ``... beat``.

Embedded mode: with no broker configured, tasks run inline (``task_always_eager``) in the
process that queues them, before `delay` returns, and their results and progress are kept
in this process's memory, so the status pages work the same way. The app logs that once
when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import setup_logging
from flask import Flask

from demo.middleware import current_request_id

log = logging.getLogger(__name__)

# The modules that define tasks; workers import them at start-up (`include`).
TASK_MODULES = (
    "demo.tasks.mail",
    "demo.tasks.exports",
    "demo.tasks.thumbnails",
    "demo.tasks.cleanup",
)
RESULT_TTL_SECONDS = 24 * 3600


def broker_url(config: Mapping[str, Any]) -> str | None:
    """The configured broker, or None for embedded mode."""
    return config.get("CELERY_BROKER_URL") or config.get("REDIS_URL") or None


def celery_settings(app: Flask) -> dict[str, Any]:
    """Celery's configuration for `app`: defaults, then embedded or broker settings, then
    whatever ``app.config["CELERY"]`` already holds (a test's or a deployment's override)."""
    config = app.config
    settings: dict[str, Any] = {
        # Results are what the status page reads; STARTED tells "running" from "queued".
        "task_ignore_result": False,
        "task_track_started": True,
        "result_expires": RESULT_TTL_SECONDS,
        # One message at a time per worker process: long tasks do not sit behind each other
        # in a prefetch buffer, and acks_late tasks hold at most one unacknowledged message.
        "worker_prefetch_multiplier": 1,
        # Defaults for every task (each task may set tighter ones): the soft limit raises
        # SoftTimeLimitExceeded inside the task so it can clean up; the hard one kills it.
        "task_soft_time_limit": 300,
        "task_time_limit": 330,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # Redis redelivers a message nobody acknowledged after this many seconds. It must
        # exceed the longest task and the longest retry countdown, or those run twice.
        "broker_transport_options": {"visibility_timeout": 3600},
        "beat_schedule": {
            "cleanup-expired": {
                "task": "demo.tasks.cleanup.cleanup_expired",
                "schedule": crontab(minute=15),
            },
        },
        "beat_schedule_filename": str(Path(app.instance_path) / "celerybeat-schedule"),
        "include": list(TASK_MODULES),
    }
    broker = broker_url(config)
    if broker is None:
        settings.update(
            broker_url="memory://",
            result_backend="cache+memory://",
            task_always_eager=True,
            # Inline runs behave like a worker's: retries happen (at once, without the
            # countdown), a failure is stored as FAILURE and raised by `.get()`, and never
            # inside the request that queued the task. Propagating would also turn every
            # autoretry into an exception for the caller, so no retry would ever run.
            task_eager_propagates=False,
            task_store_eager_result=True,
        )
    else:
        settings.update(
            broker_url=broker,
            result_backend=config.get("CELERY_RESULT_BACKEND") or config.get("REDIS_URL") or broker,
        )
    settings.update(config.get("CELERY") or {})
    return settings


def celery_init_app(app: Flask) -> Celery:
    """Create `app`'s Celery app, configure it from ``app.config["CELERY"]``, register it."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            # `run`, not `super().__call__`: the worker has already pushed this task's
            # request (its id, retries...); Task.__call__ would push an empty one over it.
            with app.app_context():
                # Log lines written by the task carry its id where a request's would be.
                token = current_request_id.set(f"task:{self.request.id or 'direct'}")
                try:
                    return self.run(*args, **kwargs)
                finally:
                    current_request_id.reset(token)

    app.config["CELERY"] = celery_settings(app)
    celery_app = Celery(app.name, task_cls=FlaskTask)
    # The tasks are `shared_task`s: importing their modules registers them on every Celery
    # app, this one included, whichever modules the rest of the app happened to import.
    for module in TASK_MODULES:
        import_module(module)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    if celery_app.conf.task_always_eager:
        log.info("tasks run inline (no broker configured)")
    return celery_app


@setup_logging.connect
def keep_project_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Stop Celery from replacing the root logger's handlers with its own.

    `create_app` has already installed the project's handler (text or JSON lines, with an
    id per request or task); a connected receiver is Celery's signal to leave logging alone.
    The worker's ``--loglevel`` still applies.
    """
    if loglevel:
        logging.getLogger().setLevel(loglevel)
