"""The JSON API: uploading avatars and attachments, listing, reading rules (Q099)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from demo.extensions import db
from demo.models import UploadedFile
from tests.uploads.conftest import (
    PDF_BYTES,
    assert_nothing_stored,
    auth_headers,
    fetch,
    files_in,
    make_article,
    multipart,
    png_bytes,
    upload_rows,
)

pytestmark = pytest.mark.answers("Q099")


def test_avatar_upload_stores_the_file_and_sets_the_profile_image(client, alice, upload_dir):
    """An avatar is stored under a generated name, gets a row, and becomes `user.image`."""
    image = png_bytes()
    response = client.post(
        "/api/uploads",
        data=multipart("My Photo.png", image, purpose="avatar"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 201
    body = response.get_json()["upload"]
    assert body["filename"] == "My Photo.png"
    assert body["contentType"] == "image/png" and body["public"] is True
    assert response.headers["Location"] == f"/api/uploads/{body['id']}"

    row = db.session.get(UploadedFile, body["id"])
    assert row.owner_id == alice.id and row.size == len(image)
    # Generated name: 32 hex digits + the checked extension; the client's name is not a path.
    assert row.stored_name.endswith(".png") and len(row.stored_name) == 36
    assert (upload_dir / row.stored_name).read_bytes() == image
    assert "My Photo" not in " ".join(files_in(upload_dir))
    assert alice.image == f"/uploads/{row.id}"


def test_attachment_is_linked_to_the_authors_own_article(client, alice, upload_dir):
    """A PDF attached to alice's article is stored privately and linked to that article."""
    make_article(alice, "alices-notes")
    response = client.post(
        "/api/uploads",
        data=multipart("notes.pdf", PDF_BYTES, purpose="attachment", article="alices-notes"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 201
    body = response.get_json()["upload"]
    assert body["article"] == "alices-notes"
    assert body["public"] is False and body["contentType"] == "application/pdf"
    assert len(files_in(upload_dir)) == 1


def test_conduit_token_scheme_is_accepted(client, alice):
    """`Authorization: Token <jwt>` works as well as `Bearer <jwt>`."""
    response = client.get("/api/uploads", headers=auth_headers(alice, scheme="Token"))
    assert response.status_code == 200
    assert response.get_json() == {"uploads": [], "uploadsCount": 0}


def test_list_shows_only_the_callers_own_files(client, alice, bob):
    """Each user lists their own uploads, newest first, and never anyone else's."""
    make_article(alice, "a1")
    for name in ("first.txt", "second.txt"):
        client.post(
            "/api/uploads",
            data=multipart(name, b"hello\n", article="a1"),
            headers=auth_headers(alice),
        )
    client.post(
        "/api/uploads",
        data=multipart("bob.png", png_bytes(), purpose="avatar"),
        headers=auth_headers(bob),
    )
    listed = client.get("/api/uploads", headers=auth_headers(alice)).get_json()
    assert [u["filename"] for u in listed["uploads"]] == ["second.txt", "first.txt"]
    assert listed["uploadsCount"] == 2


def test_anonymous_upload_is_401_and_writes_nothing(client, upload_dir):
    """Without a token the API answers 401 in its JSON error shape; nothing is stored."""
    response = client.post("/api/uploads", data=multipart("a.png", png_bytes()))
    assert response.status_code == 401
    assert "errors" in response.get_json()
    assert_nothing_stored(upload_dir)


def test_missing_file_field_is_400(client, alice, upload_dir):
    """A multipart body without a `file` part is a malformed request."""
    response = client.post("/api/uploads", data={"purpose": "avatar"}, headers=auth_headers(alice))
    assert response.status_code == 400
    assert "file" in response.get_json()["errors"]
    assert_nothing_stored(upload_dir)


def test_unknown_purpose_is_422(client, alice, upload_dir):
    """Only avatars and attachments can be uploaded through the multipart endpoint."""
    response = client.post(
        "/api/uploads",
        data=multipart("a.png", png_bytes(), purpose="wallpaper"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 422
    assert "purpose" in response.get_json()["errors"]
    assert_nothing_stored(upload_dir)


def test_attachment_needs_an_article(client, alice, upload_dir):
    """An attachment without an article slug is refused with a field error."""
    response = client.post(
        "/api/uploads",
        data=multipart("a.pdf", PDF_BYTES, purpose="attachment"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 422
    assert "article" in response.get_json()["errors"]
    assert_nothing_stored(upload_dir)


def test_attachment_to_a_missing_article_is_404(client, alice, upload_dir):
    """A slug that names no article is 404, and nothing is written."""
    response = client.post(
        "/api/uploads",
        data=multipart("a.pdf", PDF_BYTES, article="no-such-article"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 404
    assert_nothing_stored(upload_dir)


def test_attachment_to_someone_elses_article_is_403(client, alice, bob, upload_dir):
    """Articles are public, so their existence is no secret: the refusal is an honest 403."""
    make_article(bob, "bobs-article")
    response = client.post(
        "/api/uploads",
        data=multipart("a.pdf", PDF_BYTES, article="bobs-article"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 403
    assert_nothing_stored(upload_dir)


def test_deleted_users_token_is_401(client, alice, upload_dir):
    """A token whose user no longer exists uploads nothing."""
    headers = auth_headers(alice)
    db.session.delete(alice)
    db.session.commit()
    response = client.post(
        "/api/uploads", data=multipart("a.png", png_bytes(), purpose="avatar"), headers=headers
    )
    assert response.status_code == 401
    assert_nothing_stored(upload_dir)


def test_metadata_of_a_readable_file(client, alice, bob):
    """The owner reads a private file's metadata; another user gets 404, not 403."""
    make_article(alice, "a1")
    created = client.post(
        "/api/uploads",
        data=multipart("secret.txt", b"mine\n", article="a1"),
        headers=auth_headers(alice),
    ).get_json()["upload"]
    own = client.get(f"/api/uploads/{created['id']}", headers=auth_headers(alice))
    assert own.status_code == 200 and own.get_json()["upload"]["sha256"] == created["sha256"]
    theirs = client.get(f"/api/uploads/{created['id']}", headers=auth_headers(bob))
    missing = client.get(f"/api/uploads/{created['id'] + 1000}", headers=auth_headers(bob))
    # Indistinguishable from a file that does not exist: ids cannot be probed.
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json() == missing.get_json()
    assert upload_rows() == 1


def test_public_avatar_metadata_is_readable_by_other_users(client, alice, bob):
    """Avatars are public: another signed-in user may read them through the API."""
    created = client.post(
        "/api/uploads",
        data=multipart("me.png", png_bytes(), purpose="avatar"),
        headers=auth_headers(alice),
    ).get_json()["upload"]
    response = fetch(client, f"/api/uploads/{created['id']}/content", headers=auth_headers(bob))
    assert response.status_code == 200
    assert response.data == png_bytes()


def test_stored_row_matches_the_returned_checksum(client, alice):
    """The row's SHA-256 is the checksum of the bytes on disk, as the API reports it."""
    import hashlib

    image = png_bytes(10, 10)
    body = client.post(
        "/api/uploads",
        data=multipart("x.png", image, purpose="avatar"),
        headers=auth_headers(alice),
    ).get_json()["upload"]
    row = db.session.scalar(select(UploadedFile))
    assert body["sha256"] == row.sha256 == hashlib.sha256(image).hexdigest()
