"""Fingerprinted static assets built ahead of time, the job Flask-Assets did (Q071)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from demo.fundamentals.assets import ONE_YEAR, asset_url, build_assets

pytestmark = pytest.mark.answers("Q071")

SOURCE_STATIC = Path(__file__).resolve().parents[2] / "demo" / "static"


def digest(content: bytes) -> str:
    """The 12 hex digits the build names files by."""
    return hashlib.sha256(content).hexdigest()[:12]


@pytest.fixture
def static_folder(tmp_path: Path) -> Path:
    """A copy of the project's own CSS and JS, so builds never touch the working tree."""
    folder = tmp_path / "static"
    shutil.copytree(SOURCE_STATIC, folder, ignore=shutil.ignore_patterns("dist", "vendor"))
    return folder


@pytest.fixture
def built_app(make_app, static_folder: Path) -> Flask:
    """A production-like app (fingerprinting on) serving the copied, built static folder."""
    app = make_app(ASSETS_FINGERPRINTED=True)
    app.static_folder = str(static_folder)
    build_assets(static_folder)
    return app


def test_build_names_each_file_by_a_hash_of_its_content(static_folder: Path):
    """site.css is copied to dist/site.<sha256[:12]>.css and the manifest maps one to the other."""
    content = (static_folder / "site.css").read_bytes()
    manifest = build_assets(static_folder)
    hashed = f"site.{digest(content)}.css"
    assert manifest["site.css"] == hashed
    assert manifest["js/partials.js"].startswith("js/partials.")
    assert (static_folder / "dist" / hashed).read_bytes() == content
    on_disk = json.loads((static_folder / "dist" / "manifest.json").read_text())
    assert on_disk == manifest


def test_the_hash_changes_with_the_content_and_only_then(static_folder: Path):
    """Same bytes, same name; one changed byte, a new name, and the old copy is removed."""
    first = build_assets(static_folder)["site.css"]
    assert build_assets(static_folder)["site.css"] == first
    site_css = static_folder / "site.css"
    site_css.write_bytes(site_css.read_bytes() + b"\nmain { color: #111; }\n")
    second = build_assets(static_folder)["site.css"]
    assert second != first
    assert second == f"site.{digest(site_css.read_bytes())}.css"
    assert not (static_folder / "dist" / first).exists()
    assert (static_folder / "dist" / second).read_bytes() == site_css.read_bytes()


def test_asset_url_resolves_to_the_hashed_file(built_app: Flask, static_folder: Path):
    """`asset_url('site.css')` is the fingerprinted URL, and the page's stylesheet link uses it."""
    hashed = f"site.{digest((static_folder / 'site.css').read_bytes())}.css"
    with built_app.test_request_context():
        assert asset_url("site.css") == f"/static/dist/{hashed}"
        assert render_template_string("{{ asset_url('site.css') }}") == f"/static/dist/{hashed}"
    page = built_app.test_client().get("/partials/questions").text
    assert f'<link rel="stylesheet" href="/static/dist/{hashed}">' in page
    assert re.search(r'<script src="/static/dist/js/partials\.[0-9a-f]{12}\.js" defer>', page)


def test_hashed_files_are_cached_for_a_year_and_plain_ones_briefly(built_app: Flask):
    """The hashed copy is `public, max-age=31536000, immutable`; site.css keeps one hour."""
    client = built_app.test_client()
    with built_app.test_request_context():
        hashed_url = asset_url("site.css")
    with client.get(hashed_url) as hashed:
        assert hashed.status_code == 200
        assert hashed.mimetype == "text/css"
        assert hashed.cache_control.max_age == ONE_YEAR == 31_536_000
        assert hashed.cache_control.public and hashed.cache_control.immutable
        etag = hashed.headers["ETag"]
    with client.get(hashed_url, headers={"If-None-Match": etag}) as revalidated:
        assert revalidated.status_code == 304
        assert revalidated.cache_control.immutable
    with client.get("/static/site.css") as plain:
        assert plain.status_code == 200
        assert plain.cache_control.max_age == built_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        assert not plain.cache_control.immutable


def test_only_files_the_manifest_names_are_immutable(built_app: Flask, static_folder: Path):
    """A stray file in dist/ is not content-addressed, so it gets the ordinary short caching."""
    (static_folder / "dist" / "stray.css").write_text("body {}")
    with built_app.test_client().get("/static/dist/stray.css") as stray:
        assert stray.status_code == 200
        assert not stray.cache_control.immutable
        assert stray.cache_control.max_age == built_app.config["SEND_FILE_MAX_AGE_DEFAULT"]


def test_without_a_build_the_plain_file_is_linked_with_a_warning(
    make_app, static_folder: Path, caplog: pytest.LogCaptureFixture
):
    """No manifest: the page still links the real file (short-cached) and the log says why."""
    app = make_app(ASSETS_FINGERPRINTED=True)
    app.static_folder = str(static_folder)
    with caplog.at_level(logging.WARNING), app.test_request_context():
        assert asset_url("site.css") == "/static/site.css"
    assert "no fingerprinted copy of site.css: run `flask assets-build`" in caplog.text


def test_debug_and_testing_apps_link_the_source_files(app: Flask, static_folder: Path):
    """While developing, edits show up at once: fingerprinting is off unless configured."""
    build_assets(static_folder)
    app.static_folder = str(static_folder)
    with app.test_request_context():
        assert asset_url("site.css") == "/static/site.css"


def test_assets_build_command_writes_the_manifest(app: Flask, runner, static_folder: Path):
    """`flask assets-build` builds the app's static folder and prints each mapping."""
    app.static_folder = str(static_folder)
    result = runner.invoke(args=["assets-build"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((static_folder / "dist" / "manifest.json").read_text())
    assert f"site.css -> dist/{manifest['site.css']}" in result.output
    assert f"{len(manifest)} assets, manifest:" in result.output
