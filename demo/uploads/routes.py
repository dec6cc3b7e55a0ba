"""The upload pages: list, upload forms, download, delete (Q099, Q101).

Browser users are identified by the Flask-Login session and every POST carries a CSRF
token. Anonymous visitors are sent to the login page for anything but a public avatar;
signed-in users get 404 for files that are not theirs, the same answer as for a file
that does not exist, so ids cannot be probed to learn which files exist.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from demo.extensions import db
from demo.models import Article, User
from demo.uploads import bp
from demo.uploads.forms import AttachmentForm, AvatarForm
from demo.uploads.services import (
    delete_upload,
    find_own,
    find_readable,
    get_storage,
    list_uploads,
    send_upload,
    store_upload,
)
from demo.uploads.thumbnails import thumbnail_name
from demo.uploads.validation import UploadRefused

PageResult = str | tuple[str, int]


def _me() -> User:
    # The real object behind the proxy: SQLAlchemy relationships cannot hold a LocalProxy.
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _own_articles(user: User) -> list[Article]:
    query = select(Article).where(Article.author_id == user.id).order_by(Article.title)
    return list(db.session.scalars(query))


def _index_page(
    avatar_form: AvatarForm | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> PageResult:
    user = _me()
    attachment_form = attachment_form or AttachmentForm()
    attachment_form.article.choices = [(a.id, a.title) for a in _own_articles(user)]
    page = render_template(
        "uploads/index.html",
        uploads=list_uploads(user),
        avatar_form=avatar_form or AvatarForm(),
        attachment_form=attachment_form,
        storage=get_storage(),
        thumbnail_name=thumbnail_name,
    )
    return page, status


def _refusal_status(form: AvatarForm | AttachmentForm) -> int:
    # No file at all is a malformed request; a file the validators refuse is unprocessable.
    return 400 if not form.file.data else 422


@bp.get("/")
@login_required
def index() -> PageResult:
    """The user's files, with the avatar and attachment upload forms."""
    return _index_page()


@bp.post("/avatar")
@login_required
def upload_avatar() -> PageResult | Response:
    """Store a new avatar image and point the user's profile image at it."""
    form = AvatarForm()
    if not form.validate_on_submit():
        return _index_page(avatar_form=form, status=_refusal_status(form))
    upload = form.file.data
    try:
        store_upload(_me(), upload.stream, upload.filename, purpose="avatar")
    except UploadRefused as refused:
        form.file.errors = [*form.file.errors, refused.message]
        return _index_page(avatar_form=form, status=refused.status)
    flash("Your avatar was updated.")
    return redirect(url_for(".index"), 303)


@bp.post("/attachments")
@login_required
def upload_attachment() -> PageResult | Response:
    """Attach a file to one of the user's own articles."""
    user = _me()
    form = AttachmentForm()
    form.article.choices = [(a.id, a.title) for a in _own_articles(user)]
    if not form.validate_on_submit():
        return _index_page(attachment_form=form, status=_refusal_status(form))
    article = db.session.get(Article, form.article.data)
    upload = form.file.data
    try:
        store_upload(user, upload.stream, upload.filename, purpose="attachment", article=article)
    except UploadRefused as refused:
        form.file.errors = [*form.file.errors, refused.message]
        return _index_page(attachment_form=form, status=refused.status)
    flash(f"Attached {upload.filename} to “{article.title}”.")
    return redirect(url_for(".index"), 303)


def _reader() -> User | None:
    return _me() if current_user.is_authenticated else None


def _not_readable() -> Response:
    if not current_user.is_authenticated:
        # The same answer whether or not the id exists: sign in first.
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    abort(404)


@bp.get("/<int:upload_id>")
def download(upload_id: int) -> Response:
    """Serve a file its reader may see: the owner's own, or anyone's public avatar."""
    upload = find_readable(upload_id, _reader())
    if upload is None:
        return _not_readable()
    return send_upload(upload)


@bp.get("/<int:upload_id>/thumbnail")
def thumbnail(upload_id: int) -> Response:
    """Serve an image upload's thumbnail once it has been made (404 until then)."""
    upload = find_readable(upload_id, _reader())
    if upload is None:
        return _not_readable()
    if not get_storage().exists(thumbnail_name(upload.stored_name)):
        abort(404)
    return send_upload(upload, thumbnail=True)


@bp.post("/<int:upload_id>/delete")
@login_required
def delete(upload_id: int) -> Response:
    """Delete one of the user's files: its row and its bytes together."""
    upload = find_own(upload_id, _me())
    if upload is None:
        abort(404)
    name = upload.original_name
    delete_upload(upload)
    flash(f"Deleted {name}.")
    return redirect(url_for(".index"), 303)
