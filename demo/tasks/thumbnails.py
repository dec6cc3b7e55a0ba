"""Thumbnails of uploaded images, made by a worker (Q099, Q166).

The work is `demo.uploads.thumbnails.make_thumbnail`, a plain function of an upload id that
needs only an app context; this task is the Celery wrapper the upload code queues through
its `schedule_thumbnail` seam. The function is idempotent (a finished thumbnail is found and
returned, each write is an atomic rename), so the task acknowledges late: a worker that dies
while decoding a large image leaves the job to another worker.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="demo.tasks.thumbnails.make_thumbnail",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=60,
)
def make_thumbnail(upload_id: int) -> str | None:
    """The thumbnail's stored name, or None when the upload is gone or is not an image."""
    from demo.uploads.thumbnails import make_thumbnail as build_thumbnail

    return build_thumbnail(upload_id)
