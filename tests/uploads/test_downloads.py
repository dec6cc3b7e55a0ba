"""Who may read a file, and the headers it is served with (Q099)."""

from __future__ import annotations

import pytest

from demo.extensions import db
from demo.models import UploadedFile
from tests.uploads.conftest import (
    PDF_BYTES,
    auth_headers,
    fetch,
    log_in,
    make_article,
    multipart,
    png_bytes,
)

pytestmark = pytest.mark.answers("Q099")


def upload(client, user, filename, content, **fields):
    """Upload through the API and return the new file's JSON."""
    response = client.post(
        "/api/uploads", data=multipart(filename, content, **fields), headers=auth_headers(user)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["upload"]


@pytest.fixture
def private_pdf(client, alice):
    """A PDF attached to one of alice's articles, with a name that needs RFC 6266."""
    make_article(alice, "cv")
    response = client.post(
        "/api/uploads/stream",
        query_string={"filename": 'Résumé "final".pdf', "article": "cv"},
        data=PDF_BYTES,
        headers=auth_headers(alice),
    )
    assert response.status_code == 201
    return response.get_json()["upload"]


def test_owner_downloads_a_private_file_as_an_attachment(client, alice, private_pdf):
    """A PDF comes back as application/pdf, `attachment`, nosniff, never publicly cached."""
    response = fetch(
        client, f"/api/uploads/{private_pdf['id']}/content", headers=auth_headers(alice)
    )
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Resume _final_.pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf"
    )
    assert response.cache_control.private and not response.cache_control.public


def test_safe_images_are_shown_inline(client, alice):
    """A raster image is `inline` (still nosniff): browsers display it, nothing runs."""
    avatar = upload(client, alice, "me.png", png_bytes(), purpose="avatar")
    response = fetch(client, f"/uploads/{avatar['id']}")
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_public_avatar_is_readable_anonymously_and_cacheable(client, alice):
    """Anyone may load an avatar (it is `user.image`); it may be cached publicly."""
    avatar = upload(client, alice, "me.png", png_bytes(), purpose="avatar")
    db.session.refresh(alice)
    response = fetch(client, alice.image)
    assert response.status_code == 200 and response.data == png_bytes()
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert alice.image == f"/uploads/{avatar['id']}"


def test_other_users_private_file_is_404_like_a_missing_one(app, client, bob, private_pdf):
    """Bob gets the same 404 for alice's private file as for an id that does not exist."""
    log_in(app, client, bob)
    theirs = fetch(client, f"/uploads/{private_pdf['id']}")
    missing = fetch(client, f"/uploads/{private_pdf['id'] + 1000}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.data == missing.data.replace(
        str(private_pdf["id"] + 1000).encode(), str(private_pdf["id"]).encode()
    )
    api = fetch(client, f"/api/uploads/{private_pdf['id']}/content", headers=auth_headers(bob))
    assert api.status_code == 404


def test_anonymous_visitor_is_sent_to_log_in_whether_or_not_the_file_exists(client, private_pdf):
    """Pages redirect anonymous visitors to the login page for any non-public id alike."""
    existing = fetch(client, f"/uploads/{private_pdf['id']}")
    missing = fetch(client, f"/uploads/{private_pdf['id'] + 1000}")
    assert existing.status_code == missing.status_code == 302
    assert existing.location.startswith("/auth/login?next=")
    assert missing.location.startswith("/auth/login?next=")


def test_anonymous_api_download_is_401(client, private_pdf):
    """The API answers 401 with a JSON error when there is no token."""
    response = fetch(client, f"/api/uploads/{private_pdf['id']}/content")
    assert response.status_code == 401
    assert "errors" in response.get_json()


def test_owner_reads_a_private_file_through_the_page_route(app, client, alice, private_pdf):
    """The page route serves the owner's private file from a Flask-Login session."""
    log_in(app, client, alice)
    response = fetch(client, f"/uploads/{private_pdf['id']}")
    assert response.status_code == 200 and response.data == PDF_BYTES


def test_the_original_name_is_never_a_path_on_disk(client, alice, upload_dir, private_pdf):
    """On disk the file has the generated name only; the original lives in the row."""
    row = db.session.get(UploadedFile, private_pdf["id"])
    assert row.original_name == 'Résumé "final".pdf'
    assert sorted(p.name for p in upload_dir.iterdir()) == [row.stored_name]
