"""User files are not static assets: another folder, another route, other rules (Q140)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo import create_app
from demo.extensions import db
from demo.models import UploadedFile
from tests.uploads.conftest import auth_headers, fetch, multipart, png_bytes

pytestmark = pytest.mark.answers("Q140")


def test_upload_folder_defaults_to_the_instance_folder_outside_the_package():
    """Unset, UPLOAD_FOLDER is <instance>/uploads: not in static/, not in the code."""
    app = create_app("testing", UPLOAD_FOLDER=None)
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert folder == Path(app.instance_path) / "uploads"
    assert not folder.is_relative_to(app.root_path)
    assert not folder.is_relative_to(app.static_folder)


def test_upload_folder_follows_the_environment(monkeypatch, tmp_path):
    """UPLOAD_FOLDER from the environment (a mounted volume in production) wins."""
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "volume"))
    app = create_app("testing")
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "volume")


def test_a_relative_upload_folder_lives_in_the_instance_folder():
    """A relative UPLOAD_FOLDER is resolved once, inside the instance folder."""
    app = create_app("testing", UPLOAD_FOLDER="user-files")
    assert app.config["UPLOAD_FOLDER"] == os.path.join(app.instance_path, "user-files")
    assert app.extensions["uploads.storage"].root == Path(app.instance_path, "user-files")


def test_uploaded_files_are_not_reachable_through_the_static_route(client, alice, upload_dir):
    """/static/<stored name> is 404; only the checked /uploads/<id> route serves the file."""
    response = client.post(
        "/api/uploads",
        data=multipart("me.png", png_bytes(), purpose="avatar"),
        headers=auth_headers(alice),
    )
    row = db.session.get(UploadedFile, response.get_json()["upload"]["id"])
    assert (upload_dir / row.stored_name).is_file()
    assert fetch(client, f"/static/{row.stored_name}").status_code == 404
    relative = os.path.relpath(upload_dir / row.stored_name, client.application.static_folder)
    assert fetch(client, f"/static/{relative}").status_code == 404
    assert fetch(client, f"/uploads/{row.id}").status_code == 200


def test_static_assets_and_private_files_are_cached_differently(client, alice):
    """Static CSS is public and long-lived; a private upload is `private, no-cache`."""
    static = fetch(client, "/static/site.css")
    assert static.cache_control.public and static.cache_control.max_age == 3600

    created = client.post(
        "/api/uploads/stream?filename=notes.txt", data=b"hi\n", headers=auth_headers(alice)
    ).get_json()["upload"]
    private = fetch(client, created["url"], headers=auth_headers(alice))
    assert private.cache_control.private and private.cache_control.no_cache
    assert not private.cache_control.public
