"""Deleting a file: the row and the bytes both go, or neither does, whichever step fails
(Q099)."""

from __future__ import annotations

import pytest
from flask import current_app

from demo.extensions import db
from demo.models import UploadedFile
from demo.uploads.services import sweep
from tests.uploads.conftest import auth_headers, files_in, multipart, png_bytes, upload_rows

pytestmark = pytest.mark.answers("Q099")


@pytest.fixture
def avatar(client, alice):
    """Alice's avatar: a row, the image and its thumbnail on disk, and `alice.image`."""
    response = client.post(
        "/api/uploads",
        data=multipart("me.png", png_bytes(), purpose="avatar"),
        headers=auth_headers(alice),
    )
    assert response.status_code == 201
    return db.session.get(UploadedFile, response.get_json()["upload"]["id"])


def delete(client, user, upload_id):
    """DELETE /api/uploads/<id> as `user`."""
    return client.delete(f"/api/uploads/{upload_id}", headers=auth_headers(user))


def fail_once(monkeypatch, owner, name, error):
    """Make `owner.name(...)` raise `error` on its first call only."""
    real = getattr(owner, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return calls


def assert_intact(upload_dir, upload_id, stored_name):
    """The row is still there, its file is back under its own name, no trash is left."""
    db.session.rollback()
    assert db.session.get(UploadedFile, upload_id) is not None
    names = files_in(upload_dir)
    assert stored_name in names
    assert not any(name.startswith(".trash-") for name in names)


def test_delete_removes_row_bytes_and_thumbnail(client, alice, avatar, upload_dir):
    """204; the row, the file, its thumbnail and the profile image link are all gone."""
    assert len(files_in(upload_dir)) == 2  # the image and its thumbnail
    response = delete(client, alice, avatar.id)
    assert response.status_code == 204
    assert upload_rows() == 0
    assert files_in(upload_dir) == []
    db.session.refresh(alice)
    assert alice.image is None


def test_deleting_someone_elses_file_is_404_and_changes_nothing(client, bob, avatar, upload_dir):
    """Bob cannot delete alice's avatar, nor learn more than "not found"."""
    response = delete(client, bob, avatar.id)
    assert response.status_code == 404
    assert upload_rows() == 1 and avatar.stored_name in files_in(upload_dir)


def test_failed_flush_keeps_row_and_file(client, alice, avatar, upload_dir, monkeypatch):
    """Step 1 fails (the DELETE statement): 500, nothing on disk was touched."""
    upload_id, name = avatar.id, avatar.stored_name
    fail_once(monkeypatch, db.session, "flush", RuntimeError("constraint"))
    assert delete(client, alice, upload_id).status_code == 500
    assert_intact(upload_dir, upload_id, name)


def test_failed_move_to_trash_keeps_row_and_file(client, alice, avatar, upload_dir, monkeypatch):
    """Step 2 fails (the file cannot be moved aside): 500, the row is rolled back."""
    upload_id, name = avatar.id, avatar.stored_name
    storage = current_app.extensions["uploads.storage"]
    fail_once(monkeypatch, storage, "move_to_trash", PermissionError("read-only disk"))
    assert delete(client, alice, upload_id).status_code == 500
    assert_intact(upload_dir, upload_id, name)


def test_failed_commit_restores_the_file(client, alice, avatar, upload_dir, monkeypatch):
    """Step 3 fails after the file was moved aside: it is renamed back, the row stays."""
    upload_id, name = avatar.id, avatar.stored_name
    seen_at_commit = []
    real_commit = db.session.commit

    def commit_fails_once():
        seen_at_commit.append(files_in(upload_dir))
        if len(seen_at_commit) == 1:
            raise RuntimeError("connection lost during COMMIT")
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit_fails_once)
    assert delete(client, alice, upload_id).status_code == 500
    # At the failed commit the file really was in the trash...
    assert any(n.startswith(".trash-") for n in seen_at_commit[0])
    assert name not in seen_at_commit[0]
    # ...and it is back now.
    assert_intact(upload_dir, upload_id, name)
    assert (upload_dir / name).read_bytes() == png_bytes()


def test_failed_unlink_after_commit_leaves_only_a_trash_file_to_sweep(
    app, client, alice, avatar, upload_dir, monkeypatch
):
    """Step 4 fails after the commit: the row is gone, the bytes sit in an unreachable trash
    file, and `flask uploads sweep` removes it."""
    storage = app.extensions["uploads.storage"]
    fail_once(monkeypatch, storage, "delete", PermissionError("busy"))
    assert delete(client, alice, avatar.id).status_code == 204
    assert upload_rows() == 0
    leftovers = files_in(upload_dir)
    assert len(leftovers) == 1 and leftovers[0].startswith(".trash-")

    result = app.test_cli_runner().invoke(args=["uploads", "sweep", "--older-than", "0"])
    assert result.exit_code == 0 and "1 file(s) removed" in result.output
    assert files_in(upload_dir) == []


def test_delete_with_the_file_already_missing_removes_the_row(client, alice, avatar, upload_dir):
    """Bytes lost outside the app: deleting the row repairs the inconsistency (204)."""
    (upload_dir / avatar.stored_name).unlink()
    assert delete(client, alice, avatar.id).status_code == 204
    assert upload_rows() == 0


def test_sweep_keeps_referenced_and_recent_files(app, avatar, upload_dir):
    """Sweeping removes old orphans only: the avatar, its thumbnail and new files stay."""
    orphan = upload_dir / ("0" * 32 + ".png")
    orphan.write_bytes(b"orphan")
    assert sweep(3600) == []  # everything is younger than an hour
    assert sweep(0) == [orphan.name]
    assert sorted(files_in(upload_dir)) == sorted(
        [avatar.stored_name, avatar.stored_name.replace(".png", ".thumb.png")]
    )
