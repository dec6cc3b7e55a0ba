"""The upload pages: Flask-WTF file forms with CSRF, login required, delete button (Q099)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from demo.extensions import db
from demo.models import UploadedFile
from tests.uploads.conftest import (
    PDF_BYTES,
    assert_nothing_stored,
    csrf_token,
    files_in,
    log_in,
    make_article,
    png_bytes,
    upload_rows,
)

pytestmark = pytest.mark.answers("Q099")


@pytest.fixture
def browser(app, client, alice):
    """A client logged in as alice through Flask-Login."""
    log_in(app, client, alice)
    return client


def form(token, filename=None, content=b"", **fields):
    """Multipart form data for the page forms, with the CSRF token."""
    data = {"csrf_token": token, **fields}
    if filename is not None:
        data["file"] = (io.BytesIO(content), filename)
    return data


def test_files_page_requires_login(client):
    """Anonymous visitors are redirected to the login page, with `next` set."""
    response = client.get("/uploads/")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=%2Fuploads%2F"


def test_files_page_renders_multipart_forms_with_a_csrf_token(browser):
    """The page has multipart forms carrying a CSRF token, and a nav link to itself."""
    html = browser.get("/uploads/").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html and csrf_token(browser)
    assert 'href="/uploads/">Files</a>' in html


def test_avatar_form_upload_sets_the_profile_image(browser, alice, upload_dir):
    """A valid form upload redirects (303) back to the list, which shows the file."""
    response = browser.post(
        "/uploads/avatar", data=form(csrf_token(browser), "face.png", png_bytes())
    )
    assert response.status_code == 303 and response.location == "/uploads/"
    row = db.session.scalar(select(UploadedFile))
    assert alice.image == f"/uploads/{row.id}"
    assert (upload_dir / row.stored_name).is_file()
    assert "face.png" in browser.get("/uploads/").get_data(as_text=True)


def test_form_without_csrf_token_is_400_and_writes_nothing(browser, upload_dir):
    """CSRFProtect refuses the POST before the view runs."""
    response = browser.post("/uploads/avatar", data=form("", "face.png", png_bytes()))
    assert response.status_code == 400
    assert_nothing_stored(upload_dir)


def test_form_without_a_file_is_400(browser, upload_dir):
    """FileRequired: the form is shown again with the error, status 400."""
    response = browser.post("/uploads/avatar", data=form(csrf_token(browser)))
    assert response.status_code == 400
    assert "Choose an image to upload." in response.get_data(as_text=True)
    assert_nothing_stored(upload_dir)


def test_form_with_a_disallowed_extension_is_422(browser, upload_dir):
    """FileAllowed gives the quick answer for a PDF sent as an avatar."""
    response = browser.post("/uploads/avatar", data=form(csrf_token(browser), "cv.pdf", PDF_BYTES))
    assert response.status_code == 422
    assert "Avatars must be PNG, JPEG, GIF or WebP." in response.get_data(as_text=True)
    assert_nothing_stored(upload_dir)


def test_form_that_passes_flask_wtf_is_still_checked_by_content(browser, upload_dir):
    """`.png` satisfies FileAllowed; the signature check then refuses the bytes (415)."""
    response = browser.post(
        "/uploads/avatar", data=form(csrf_token(browser), "face.png", b"GIF89a not a png")
    )
    assert response.status_code == 415
    assert "content is not a PNG image" in response.get_data(as_text=True)
    assert_nothing_stored(upload_dir)


def test_attachment_form_offers_only_own_articles(browser, alice, bob, upload_dir):
    """Alice can attach to her article; bob's article id is not a valid choice (422)."""
    mine = make_article(alice, "mine")
    theirs = make_article(bob, "theirs")
    html = browser.get("/uploads/").get_data(as_text=True)
    assert "Mine" in html and "Theirs" not in html

    refused = browser.post(
        "/uploads/attachments",
        data=form(csrf_token(browser), "a.pdf", PDF_BYTES, article=str(theirs.id)),
    )
    assert refused.status_code == 422
    assert_nothing_stored(upload_dir)

    accepted = browser.post(
        "/uploads/attachments",
        data=form(csrf_token(browser), "a.pdf", PDF_BYTES, article=str(mine.id)),
    )
    assert accepted.status_code == 303
    assert db.session.scalar(select(UploadedFile)).article_id == mine.id


def test_delete_button_removes_the_file(browser, upload_dir):
    """The delete form (CSRF-protected POST) removes row and bytes, then redirects."""
    browser.post("/uploads/avatar", data=form(csrf_token(browser), "face.png", png_bytes()))
    row = db.session.scalar(select(UploadedFile))
    without_token = browser.post(f"/uploads/{row.id}/delete")
    assert without_token.status_code == 400 and upload_rows() == 1

    response = browser.post(f"/uploads/{row.id}/delete", data={"csrf_token": csrf_token(browser)})
    assert response.status_code == 303
    assert upload_rows() == 0 and files_in(upload_dir) == []


def test_deleting_another_users_file_through_the_page_is_404(app, client, alice, bob, upload_dir):
    """Bob's delete button for alice's file answers 404 and deletes nothing."""
    log_in(app, client, alice)
    client.post("/uploads/avatar", data=form(csrf_token(client), "face.png", png_bytes()))
    row_id = db.session.scalar(select(UploadedFile.id))
    log_in(app, client, bob)
    response = client.post(f"/uploads/{row_id}/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    assert upload_rows() == 1


@pytest.mark.answers("Q100")
def test_form_body_over_max_content_length_is_413_page(app, browser, upload_dir):
    """The CSRF check is the first to read the form, so the 413 comes before the view runs."""
    token = csrf_token(browser)
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024
    response = browser.post(
        "/uploads/avatar", data=form(token, "face.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64 * 1024)
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert_nothing_stored(upload_dir)
