"""Thumbnails: made after the upload commits, idempotent, never fatal to the upload (Q099)."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image

from demo.extensions import db
from demo.models import UploadedFile
from demo.uploads import thumbnails
from demo.uploads.thumbnails import make_thumbnail, thumbnail_name
from tests.uploads.conftest import auth_headers, fetch, jpeg_bytes, multipart

pytestmark = pytest.mark.answers("Q099")


def upload(client, user, filename, content, purpose="avatar"):
    """Upload through the API and return the row."""
    response = client.post(
        "/api/uploads",
        data=multipart(filename, content, purpose=purpose),
        headers=auth_headers(user),
    )
    assert response.status_code == 201, response.get_json()
    return db.session.get(UploadedFile, response.get_json()["upload"]["id"])


def test_image_upload_gets_a_bounded_png_thumbnail(client, alice, upload_dir):
    """A 900x600 JPEG gets a 256x171 PNG thumbnail, served by the thumbnail route."""
    row = upload(client, alice, "wide.jpg", jpeg_bytes(900, 600))
    thumb = upload_dir / thumbnail_name(row.stored_name)
    with Image.open(thumb) as image:
        assert image.format == "PNG" and image.size == (256, 171)
    response = fetch(client, f"/uploads/{row.id}/thumbnail")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert 'filename="wide.thumbnail.png"' in response.headers["Content-Disposition"]
    assert response.data == thumb.read_bytes()


def test_make_thumbnail_is_idempotent(client, alice, upload_dir, monkeypatch):
    """A second run finds the finished thumbnail and does not write again."""
    row = upload(client, alice, "me.jpg", jpeg_bytes())
    first_mtime = (upload_dir / thumbnail_name(row.stored_name)).stat().st_mtime_ns
    monkeypatch.setattr(Image.Image, "save", lambda *a, **k: pytest.fail("thumbnail written twice"))
    assert make_thumbnail(row.id) == thumbnail_name(row.stored_name)
    assert (upload_dir / thumbnail_name(row.stored_name)).stat().st_mtime_ns == first_mtime


def test_make_thumbnail_skips_what_is_not_there_or_not_an_image(client, alice):
    """Deleted uploads and PDFs have no thumbnail: the task returns None."""
    assert make_thumbnail(10**9) is None
    response = client.post(
        "/api/uploads/stream?filename=doc.pdf", data=b"%PDF-1.4\n", headers=auth_headers(alice)
    )
    assert make_thumbnail(response.get_json()["upload"]["id"]) is None


def test_thumbnail_failure_does_not_undo_the_upload(client, alice, monkeypatch, caplog):
    """The upload has committed before the thumbnail runs; its failure is only logged."""

    def broken(_upload_id):
        raise OSError("disk full")

    monkeypatch.setattr(thumbnails, "make_thumbnail", broken)
    caplog.set_level(logging.ERROR)
    row = upload(client, alice, "me.jpg", jpeg_bytes())
    assert row is not None
    assert "disk full" in caplog.text
    assert fetch(client, f"/uploads/{row.id}/thumbnail").status_code == 404


def test_thumbnail_keeps_the_pixel_limit_when_decoding(app, client, alice, upload_dir):
    """If the limit dropped after the upload, the thumbnail refuses to decode the image."""
    app.config["UPLOAD_MAX_IMAGE_PIXELS"] = 10**6
    row = upload(client, alice, "big.png", _png(1200, 800))
    (upload_dir / thumbnail_name(row.stored_name)).unlink()
    app.config["UPLOAD_MAX_IMAGE_PIXELS"] = 1000
    with pytest.raises(Exception, match="limit"):
        make_thumbnail(row.id)
    assert not (upload_dir / thumbnail_name(row.stored_name)).exists()


def _png(width, height):
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()
