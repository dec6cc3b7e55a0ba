"""The uploads JSON API under /api/uploads: multipart and streaming uploads (Q099, Q100).

Every route needs a JWT (anonymous: 401). The blueprint is exempt from session CSRF: a
header token is something a cross-site form cannot send, and a JWT cookie carries
Flask-JWT-Extended's own double-submit CSRF check.

- ``POST /api/uploads`` takes ``multipart/form-data``: ``file``, ``purpose`` (``avatar`` or
  ``attachment``) and, for attachments, ``article`` (a slug of one of your articles).
  Werkzeug spools the file to a temporary file past 500 kB, so it is never all in memory,
  but it is written twice; it is limited by ``MAX_CONTENT_LENGTH``.
- ``POST /api/uploads/stream?filename=report.pdf[&article=slug]`` takes the raw bytes as
  the body and copies ``request.stream`` to storage chunk by chunk, hashing as it goes;
  the answer carries the SHA-256 so the client can check what arrived. This view raises
  the body limit to ``UPLOAD_STREAM_MAX_BYTES`` for itself only (Flask 3.1 lets a view set
  ``request.max_content_length``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_jwt_extended import get_current_user, jwt_required
from sqlalchemy import select

from demo.auth.tokens import accept_token_scheme
from demo.errors import error_response
from demo.extensions import db
from demo.models import Article, UploadedFile, User
from demo.uploads.services import (
    delete_upload,
    find_own,
    find_readable,
    list_uploads,
    send_upload,
    store_upload,
)
from demo.uploads.validation import UploadRefused

api_bp = Blueprint("uploads_api", __name__, url_prefix="/api/uploads")
# `Authorization: Token <jwt>` (the Conduit spelling) works here as well as `Bearer <jwt>`.
api_bp.before_request(accept_token_scheme)

JsonResult = tuple[dict[str, Any], int, dict[str, str]] | dict[str, Any]


@api_bp.errorhandler(UploadRefused)
def _refused(refused: UploadRefused) -> Response:
    return error_response(refused.status, {"file": [refused.message]})


def _api_user() -> User:
    # Loaded by demo.auth.tokens' user_lookup_loader, which also refuses (401) the tokens of
    # deleted users and of users who logged out everywhere.
    user = get_current_user()
    if user is None:
        abort(401)
    return user


def _own_article(user: User, slug: str | None) -> Article:
    if not slug:
        abort(error_response(422, {"article": ["is required for an attachment"]}))
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        abort(error_response(404, {"article": [f"{slug!r} does not exist"]}))
    return article  # whether the user owns it is the service's rule (403)


def upload_json(upload: UploadedFile) -> dict[str, Any]:
    """The API's view of one upload (camelCase, like the rest of the Conduit API)."""
    return {
        "id": upload.id,
        "filename": upload.original_name,
        "contentType": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "purpose": upload.purpose,
        "public": upload.is_public,
        "article": upload.article.slug if upload.article else None,
        "url": url_for("uploads_api.content", upload_id=upload.id),
        "createdAt": upload.created_at.isoformat(),
    }


def _created(upload: UploadedFile) -> JsonResult:
    location = url_for("uploads_api.show", upload_id=upload.id)
    return {"upload": upload_json(upload)}, 201, {"Location": location}


@api_bp.get("")
@jwt_required()
def index() -> JsonResult:
    """The caller's own files, newest first."""
    uploads = [upload_json(upload) for upload in list_uploads(_api_user())]
    return {"uploads": uploads, "uploadsCount": len(uploads)}


@api_bp.post("")
@jwt_required()
def create() -> JsonResult:
    """A multipart upload: an avatar, or an attachment to one of the caller's articles."""
    user = _api_user()
    # Reading request.files parses the body: MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE and
    # MAX_FORM_PARTS apply here (413), and a Content-Length over the limit is refused
    # before a byte of the body is read.
    file = request.files.get("file")
    purpose = request.form.get("purpose", "attachment")
    if purpose not in ("avatar", "attachment"):
        abort(error_response(422, {"purpose": ["must be avatar or attachment"]}))
    if file is None:
        raise UploadRefused(400, "is missing: send it as the multipart field 'file'")
    article = _own_article(user, request.form.get("article")) if purpose == "attachment" else None
    upload = store_upload(user, file.stream, file.filename, purpose=purpose, article=article)
    return _created(upload)


@api_bp.post("/stream")
@jwt_required()
def stream() -> JsonResult:
    """The raw body is the file: streamed to disk in chunks, hashed on the way, never buffered."""
    limit = current_app.config["UPLOAD_STREAM_MAX_BYTES"]
    # Before anything touches request.stream, which is built once with the limit then in force.
    request.max_content_length = limit
    user = _api_user()
    slug = request.args.get("article")
    article = _own_article(user, slug) if slug is not None else None
    upload = store_upload(
        user,
        request.stream,
        request.args.get("filename"),
        purpose="attachment" if article else "file",
        article=article,
        max_bytes=limit,
    )
    return _created(upload)


@api_bp.get("/<int:upload_id>")
@jwt_required()
def show(upload_id: int) -> JsonResult:
    """One file's metadata, if the caller may read it (others' private files: 404)."""
    upload = find_readable(upload_id, _api_user())
    if upload is None:
        abort(404)
    return {"upload": upload_json(upload)}


@api_bp.get("/<int:upload_id>/content")
@jwt_required()
def content(upload_id: int) -> Response:
    """The file's bytes, if the caller may read it (others' private files: 404)."""
    upload = find_readable(upload_id, _api_user())
    if upload is None:
        abort(404)
    return send_upload(upload)


@api_bp.delete("/<int:upload_id>")
@jwt_required()
def destroy(upload_id: int) -> tuple[str, int]:
    """Delete one of the caller's files, row and bytes together."""
    upload = find_own(upload_id, _api_user())
    if upload is None:
        abort(404)
    delete_upload(upload)
    return "", 204
