"""Thumbnails of uploaded images, made after the upload commits (Q099, Q100).

`make_thumbnail` is a plain function that needs only an app context and an upload id, so
a Celery task can wrap it unchanged; `demo.uploads.services.schedule_thumbnail` is the one
place that decides whether it runs inline or in a worker. It is idempotent: the thumbnail's
name is derived from the upload's stored name, so a retried or duplicated task finds the
finished file and returns, and two concurrent runs both end in one complete file
(each write is an atomic rename).
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from flask import current_app
from PIL import Image, ImageOps

from demo.extensions import db
from demo.models import UploadedFile
from demo.uploads.services import get_storage, kind_of
from demo.uploads.validation import check_image_size

THUMBNAIL_SIZE = (256, 256)


def thumbnail_name(stored_name: str) -> str:
    """The stored name of an upload's thumbnail (always PNG)."""
    return f"{PurePosixPath(stored_name).stem}.thumb.png"


def make_thumbnail(upload_id: int) -> str | None:
    """Make (or find) the thumbnail of an image upload; None when there is nothing to do."""
    upload = db.session.get(UploadedFile, upload_id)
    if upload is None:
        return None  # deleted before the task ran
    kind = kind_of(upload)
    if not kind.is_image:
        return None
    storage = get_storage()
    name = thumbnail_name(upload.stored_name)
    if storage.exists(name):
        return name
    max_pixels = current_app.config["UPLOAD_MAX_IMAGE_PIXELS"]
    with storage.open(upload.stored_name) as source:
        # Checked at upload time already; checked again because this is where decoding
        # happens, and the limit may have been lowered since.
        check_image_size(source, kind, max_pixels)
        source.seek(0)
        with Image.open(source, formats=[kind.pillow_format]) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale
            oriented = ImageOps.exif_transpose(image)
            oriented.thumbnail(THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            oriented.convert("RGBA").save(buffer, "PNG")
    buffer.seek(0)
    storage.save_stream(buffer, ".png", name=name)
    return name
