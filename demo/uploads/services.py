"""Uploads as operations: store, find, serve, delete, each all-or-nothing (Q099, Q100, Q101).

The order of every operation is chosen so that a failure at any step leaves the database
and the disk agreeing:

- store: bytes first (temp file, fsync, rename), then the row; if the row cannot be
  committed, the file is deleted again. A crash between the two leaves at worst a file
  no row points to, which nobody can reach and `flask uploads sweep` can remove.
- delete: delete the row and flush (constraints fire now), rename the file to a trash
  name, commit, and only then unlink. A failed commit renames the file back, so the row
  and the bytes either both go or both stay.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import IO
from urllib.parse import quote

from flask import Response, current_app, url_for
from sqlalchemy import select

from demo.extensions import db
from demo.models import Article, UploadedFile, User
from demo.uploads.storage import SizeLimitExceeded, Storage
from demo.uploads.validation import (
    ALL_EXTENSIONS,
    IMAGE_EXTENSIONS,
    KINDS,
    FileKind,
    UploadRefused,
    ascii_fallback,
    check_content,
    check_filename,
)

log = logging.getLogger(__name__)


def get_storage() -> Storage:
    """The current app's storage backend (built when the blueprint was registered)."""
    return current_app.extensions["uploads.storage"]


def kind_of(upload: UploadedFile) -> FileKind:
    """The accepted type an upload was stored as, from its stored extension."""
    return KINDS[upload.stored_name[upload.stored_name.rindex(".") :]]


def store_upload(
    owner: User,
    stream: IO[bytes],
    filename: str | None,
    *,
    purpose: str,
    article: Article | None = None,
    max_bytes: int | None = None,
) -> UploadedFile:
    """Validate and store one upload for `owner`; raises `UploadRefused` with the status."""
    if purpose == "attachment" and (article is None or article.author_id != owner.id):
        raise UploadRefused(403, "attachments can only be added to your own articles")
    allowed = IMAGE_EXTENSIONS if purpose == "avatar" else ALL_EXTENSIONS
    checked = check_filename(filename, allowed)
    max_pixels = current_app.config["UPLOAD_MAX_IMAGE_PIXELS"]

    def verify(written: IO[bytes]) -> None:
        check_content(written, checked.kind, max_pixels)

    storage = get_storage()
    try:
        stored = storage.save_stream(stream, checked.extension, max_bytes=max_bytes, verify=verify)
    except SizeLimitExceeded as exc:
        raise UploadRefused(413, f"file is larger than {exc.limit:,} bytes") from None

    try:
        upload = UploadedFile(
            owner=owner,
            stored_name=stored.name,
            original_name=checked.display_name,
            content_type=checked.kind.mimetype,
            size=stored.size,
            sha256=stored.sha256,
            purpose=purpose,
            article=article,
        )
        db.session.add(upload)
        if purpose == "avatar":
            db.session.flush()  # the id is part of the avatar's URL
            owner.image = download_url(upload)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _remove_quietly(storage, stored.name)
        raise
    schedule_thumbnail(upload.id)
    return upload


def schedule_thumbnail(upload_id: int) -> None:
    """The one seam for background work: queue the Celery task (Q166).

    A worker makes the thumbnail; in embedded mode (no broker) it runs inline, right here.
    Runs after the upload committed, so a thumbnail failure, or a broker that cannot be
    reached, must not undo the upload: `enqueue` logs an inline task's failure itself.
    """
    from demo.tasks.registry import QueueUnavailableError, enqueue
    from demo.tasks.thumbnails import make_thumbnail

    try:
        enqueue(make_thumbnail, upload_id)
    except QueueUnavailableError:
        log.exception("Thumbnail for upload %s not queued", upload_id)


def download_url(upload: UploadedFile) -> str:
    """The page URL that serves an upload (what `User.image` holds for an avatar)."""
    return url_for("uploads.download", upload_id=upload.id)


def list_uploads(owner: User) -> list[UploadedFile]:
    """The owner's files, newest first."""
    query = (
        select(UploadedFile)
        .where(UploadedFile.owner_id == owner.id)
        .order_by(UploadedFile.created_at.desc(), UploadedFile.id.desc())
    )
    return list(db.session.scalars(query))


def find_readable(upload_id: int, reader: User | None) -> UploadedFile | None:
    """The upload if `reader` may read it, else None: a stranger cannot tell the difference
    between someone else's private file and no file at all (the views answer 404)."""
    upload = db.session.get(UploadedFile, upload_id)
    if upload is None:
        return None
    if upload.is_public or (reader is not None and upload.owner_id == reader.id):
        return upload
    return None


def find_own(upload_id: int, owner: User) -> UploadedFile | None:
    """The upload if `owner` owns it (for deleting), else None."""
    upload = db.session.get(UploadedFile, upload_id)
    return upload if upload is not None and upload.owner_id == owner.id else None


def content_disposition(disposition: str, display_name: str) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients plus the exact UTF-8 ``filename*``."""
    fallback = ascii_fallback(display_name)
    encoded = quote(display_name, safe="!#$&+-.^_`|~")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def send_upload(upload: UploadedFile, *, thumbnail: bool = False) -> Response:
    """Serve an upload (or its PNG thumbnail) with safe headers.

    Only raster images are shown inline; everything else is a download, so a PDF or a
    text file with HTML inside can never render as a page of this origin. `nosniff`
    stops browsers from second-guessing the declared type. Private files must not sit
    in shared caches, and are revalidated on every use.
    """
    from demo.uploads.thumbnails import thumbnail_name

    kind = kind_of(upload)
    inline = kind.is_image
    if thumbnail:
        stored_name, mimetype = thumbnail_name(upload.stored_name), "image/png"
        display_name = f"{PurePosixPath(upload.original_name).stem}.thumbnail.png"
    else:
        stored_name, mimetype, display_name = (
            upload.stored_name,
            kind.mimetype,
            upload.original_name,
        )
    max_age = (current_app.get_send_file_max_age(None) or 0) if upload.is_public else 0
    response = get_storage().send(
        stored_name,
        mimetype=mimetype,
        as_attachment=not inline,
        download_name=display_name,
        max_age=max_age,
    )
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", display_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not upload.is_public:
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def delete_upload(upload: UploadedFile) -> None:
    """Delete the row and the bytes together: both go, or (on any failure) neither does."""
    from demo.uploads.thumbnails import thumbnail_name

    storage = get_storage()
    name = upload.stored_name
    owner = upload.owner
    if upload.purpose == "avatar" and owner.image == download_url(upload):
        owner.image = None
    try:
        db.session.delete(upload)
        db.session.flush()
        trash_name = _trash_if_present(storage, name)
    except BaseException:
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if trash_name is not None:
            storage.restore(trash_name, name)
        raise
    # Committed: the row is gone for good. An unlink that fails now leaves only a trash
    # file nobody can reach, which `flask uploads sweep` removes later.
    for leftover in (trash_name, thumbnail_name(name)):
        if leftover is not None:
            _remove_quietly(storage, leftover)


def _trash_if_present(storage: Storage, name: str) -> str | None:
    # Bytes already missing (lost disk, manual cleanup): deleting the row repairs that.
    try:
        return storage.move_to_trash(name)
    except FileNotFoundError:
        log.warning("Deleting upload %s whose file was already missing", name)
        return None


def _remove_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        log.exception("Could not remove %s; `flask uploads sweep` will retry", name)


def sweep(older_than_seconds: float) -> list[str]:
    """Remove leftovers older than the threshold: temp and trash files, and stored files
    (or thumbnails) that no row points to. Returns the names removed."""
    from demo.uploads.thumbnails import thumbnail_name

    referenced = set()
    for name in db.session.scalars(select(UploadedFile.stored_name)):
        referenced.update((name, thumbnail_name(name)))
    return get_storage().sweep(older_than_seconds, keep=referenced.__contains__)
