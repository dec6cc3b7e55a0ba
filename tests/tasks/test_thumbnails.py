"""Upload thumbnails are made by a worker: the upload queues the task, the worker runs it."""

from __future__ import annotations

import io
import threading

import pytest
from celery.signals import task_postrun
from PIL import Image

from demo.tasks.thumbnails import make_thumbnail
from demo.uploads.services import get_storage, store_upload
from demo.uploads.thumbnails import thumbnail_name
from tests.tasks.support import (
    broker_settings,
    close_connections,
    ignore_redis_setex_warning,
    worker_thread,
)


def png(width, height):
    """The bytes of a grey PNG image."""
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def upload_app(make_app, redis_db, redis_url, run_token, tmp_path):
    """An app with a broker and its own upload folder."""
    app = make_app(UPLOAD_FOLDER=str(tmp_path), **broker_settings(redis_url, run_token))
    yield app
    close_connections(app)


@pytest.mark.answers("Q124", "Q166")
@ignore_redis_setex_warning
def test_an_upload_queues_its_thumbnail_and_a_worker_makes_it(upload_app, make_user):
    """No thumbnail while no worker runs; a worker picks up the queued task and makes it."""
    ada = make_user("ada")
    upload = store_upload(ada, io.BytesIO(png(600, 300)), "wide.png", purpose="file")
    thumbnail = thumbnail_name(upload.stored_name)
    assert not get_storage().exists(thumbnail)  # queued, not run: the request did not wait

    done = threading.Event()

    def finished(sender=None, retval=None, **_):
        if sender.name == make_thumbnail.name:
            done.set()

    task_postrun.connect(finished)
    try:
        with worker_thread(upload_app):
            assert done.wait(timeout=30)
    finally:
        task_postrun.disconnect(finished)
    with get_storage().open(thumbnail) as stored, Image.open(stored) as image:
        assert image.size == (256, 128)


def test_thumbnail_task_is_acknowledged_late():
    """The thumbnail function is idempotent, so its task may be redelivered after a crash."""
    assert make_thumbnail.acks_late is True
    assert make_thumbnail.reject_on_worker_lost is True
