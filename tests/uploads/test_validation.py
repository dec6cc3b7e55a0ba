"""What gets refused: names, extensions, signatures, pixel counts, each with nothing written
(Q101)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from demo.extensions import db
from demo.models import UploadedFile
from demo.uploads.validation import (
    PNG,
    UploadRefused,
    check_filename,
    check_image_size,
)
from tests.uploads.conftest import (
    PDF_BYTES,
    assert_nothing_stored,
    auth_headers,
    files_in,
    jpeg_bytes,
    multipart,
    png_bytes,
    png_declaring,
)

pytestmark = pytest.mark.answers("Q101")


def post_file(client, user, filename, content, **fields):
    """POST one file as an avatar (images) or a plain streamed file (anything else)."""
    fields.setdefault("purpose", "avatar")
    return client.post(
        "/api/uploads", data=multipart(filename, content, **fields), headers=auth_headers(user)
    )


def stream_file(client, user, filename, content, **headers):
    """POST raw bytes to the streaming endpoint under `filename`."""
    return client.post(
        "/api/uploads/stream",
        query_string={"filename": filename},
        data=content,
        headers={**auth_headers(user), **headers},
    )


@pytest.mark.parametrize(
    ("filename", "status", "message"),
    [
        ("", 400, "name is empty"),
        ("   ", 400, "name is empty"),
        ("../../etc/cron.d/x.png", 400, "not a path"),
        ("..\\..\\boot.png", 400, "not a path"),
        ("..", 400, "not a path"),
        ("a\x00.png", 400, "NUL byte"),
        ("tab\there.png", 400, "control characters"),
        ("a" * 197 + ".png", 422, "longer than 200"),
        ("shell.php", 422, "extension .php is not allowed"),
        ("x.png.php", 422, "extension .php is not allowed"),
        ("page.html", 422, "extension .html is not allowed"),
        ("logo.svg", 422, "extension .svg is not allowed"),
        ("README", 422, "no extension"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(
    client, alice, upload_dir, filename, status, message
):
    """Malformed names are 400, names the policy refuses are 422; nothing reaches the disk."""
    response = stream_file(client, alice, filename, b"hello\n")
    assert response.status_code == status
    assert message in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


def test_multipart_names_go_through_the_same_checks(client, alice, upload_dir):
    """A multipart file part named with a path is refused exactly like a streamed one."""
    response = post_file(client, alice, "../avatar.png", png_bytes())
    assert response.status_code == 400
    assert "not a path" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


def test_the_name_limit_is_inclusive():
    """A 200-character name passes; the check counts characters, not bytes."""
    assert check_filename("é" * 196 + ".txt").extension == ".txt"


def test_non_ascii_names_keep_their_extension_and_display_name():
    """`secure_filename` strips a non-ASCII stem entirely; the extension is still judged."""
    checked = check_filename("отчёт.pdf")
    assert checked.extension == ".pdf"
    assert checked.display_name == "отчёт.pdf"


def test_double_extension_is_judged_by_the_final_one_and_its_content(client, alice, upload_dir):
    """`x.php.png` is a PNG by name: a real PNG passes (stored as .png), PHP code is 415."""
    refused = post_file(client, alice, "x.php.png", b"<?php system($_GET['c']); ?>")
    assert refused.status_code == 415
    assert_nothing_stored(upload_dir)

    accepted = post_file(client, alice, "x.php.png", png_bytes())
    assert accepted.status_code == 201
    stored = db.session.get(UploadedFile, accepted.get_json()["upload"]["id"]).stored_name
    assert stored.endswith(".png") and ".php" not in stored
    assert not any(".php" in name for name in files_in(upload_dir))


@pytest.mark.parametrize(
    ("filename", "content", "claimed_type"),
    [
        ("photo.png", jpeg_bytes(), "image/png"),
        ("photo.jpg", png_bytes(), "image/jpeg"),
        ("anim.gif", png_bytes(), "image/gif"),
        ("pic.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00", "text/plain"),
        ("notes.txt", "café".encode("latin-1"), "text/plain"),
    ],
)
def test_content_that_is_not_what_its_extension_says_is_415(
    client, alice, upload_dir, filename, content, claimed_type
):
    """The signature decides, whatever `Content-Type` the client claims: 415, nothing kept."""
    response = stream_file(client, alice, filename, content, **{"Content-Type": claimed_type})
    assert response.status_code == 415
    assert "content is not a" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


def test_the_client_content_type_is_ignored_for_a_genuine_file(client, alice):
    """A real PDF sent as `image/png` is stored and served as `application/pdf`."""
    response = stream_file(client, alice, "doc.pdf", PDF_BYTES, **{"Content-Type": "image/png"})
    assert response.status_code == 201
    assert response.get_json()["upload"]["contentType"] == "application/pdf"


def test_a_png_signature_with_a_broken_body_is_415(client, alice, upload_dir):
    """Eight magic bytes are not enough: Pillow must be able to read the header."""
    response = post_file(client, alice, "fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert response.status_code == 415
    assert_nothing_stored(upload_dir)


def test_empty_file_is_422(client, alice, upload_dir):
    """A zero-byte file is refused after the (empty) write, and the temp file is gone."""
    response = stream_file(client, alice, "empty.txt", b"")
    assert response.status_code == 422
    assert "empty" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


def test_avatars_must_be_images(client, alice, upload_dir):
    """A valid PDF is still not an avatar: the avatar allow-list is images only."""
    response = post_file(client, alice, "me.pdf", PDF_BYTES)
    assert response.status_code == 422
    assert "extension .pdf is not allowed" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


@pytest.fixture
def no_decoding(monkeypatch):
    """Make any attempt to decode pixel data fail the test."""

    def refuse_to_load(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_load)


def test_image_over_the_pixel_limit_is_refused_without_decoding(
    client, alice, upload_dir, no_decoding
):
    """6000x5000 declared pixels exceed UPLOAD_MAX_IMAGE_PIXELS (25M): 422, never decoded."""
    response = post_file(client, alice, "big.png", png_declaring(6000, 5000))
    assert response.status_code == 422
    assert "6000x5000" in response.get_json()["errors"]["file"][0]
    assert_nothing_stored(upload_dir)


def test_pixel_limit_follows_the_config(app, client, alice, upload_dir, no_decoding):
    """Lower the limit and an ordinary 64x48 image is refused; the check reads the config."""
    app.config["UPLOAD_MAX_IMAGE_PIXELS"] = 64 * 48 - 1
    response = post_file(client, alice, "small.png", png_bytes(64, 48))
    assert response.status_code == 422
    assert_nothing_stored(upload_dir)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 10_000),  # above Image.MAX_IMAGE_PIXELS: Pillow warns
        (20_000, 20_000),  # above twice that: Pillow raises DecompressionBombError
    ],
)
def test_pillows_own_bomb_checks_become_a_clean_422(
    app, client, alice, upload_dir, no_decoding, width, height
):
    """With our limit set absurdly high, Pillow's warning and error are still refusals (422)."""
    app.config["UPLOAD_MAX_IMAGE_PIXELS"] = 10**12
    response = post_file(client, alice, "bomb.png", png_declaring(width, height))
    assert response.status_code == 422
    assert_nothing_stored(upload_dir)


def test_bomb_warning_that_is_only_a_warning_is_still_a_refusal(no_decoding):
    """Where warnings are not errors, Pillow just warns; the capped limit refuses anyway."""
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(UploadRefused) as refused:
        check_image_size(io.BytesIO(png_declaring(10_000, 10_000)), PNG, max_pixels=10**12)
    assert refused.value.status == 422
    assert f"{Image.MAX_IMAGE_PIXELS:,}" in refused.value.message


def test_text_with_markup_is_accepted_but_only_ever_downloaded(client, alice):
    """HTML in a .txt file is valid text; it is served as text/plain attachment, nosniff."""
    created = stream_file(client, alice, "page.txt", b"<script>alert(1)</script>\n")
    assert created.status_code == 201
    upload_id = created.get_json()["upload"]["id"]
    response = client.get(
        f"/api/uploads/{upload_id}/content", headers=auth_headers(alice), buffered=True
    )
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert db.session.get(UploadedFile, upload_id).content_type == "text/plain"
