"""Fingerprinted static assets, built ahead of time and cached for a year (Q071).

What Flask-Assets did, done at build time instead of inside the app: `flask assets-build`
copies every CSS and JavaScript file of the static folder to ``static/dist/`` under a name
carrying a hash of its content (``site.css`` -> ``site.3f2a9c1be07d.css``) and writes
``dist/manifest.json`` mapping one to the other. Templates link ``asset_url('site.css')``,
which looks the hashed name up in the manifest.

Because a changed file gets a new name, a hashed file never changes, so browsers and
proxies may keep it for a year without asking again (``Cache-Control: public,
max-age=31536000, immutable``); the next deploy's pages simply point at new names. The
unhashed files keep the short SEND_FILE_MAX_AGE_DEFAULT, because their content can change
under the same URL. Old and new names coexist, so pages still cached from the previous
release keep finding their files.

Hand-written on purpose: the mechanism (hash, rename, manifest, lookup) is the lesson and
is a screenful of code. A bigger front end would let its bundler (Vite, esbuild) emit the
hashed files and the manifest, and `asset_url` would read that manifest the same way.

``dist/`` is build output, git-ignored and made by `make install` (or the Docker build).
Fingerprinting is on outside debug and testing (or with ``ASSETS_FINGERPRINTED = True``);
without a manifest entry `asset_url` falls back to the plain file with a warning, so a
missing build step degrades caching, never the page.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import click
from flask import Flask, Response, current_app, request, url_for
from flask.blueprints import BlueprintSetupState

from demo.fundamentals import bp

BUILD_DIR = "dist"
MANIFEST = "manifest.json"
SUFFIXES = (".css", ".js")
ONE_YEAR = 365 * 24 * 3600
HASH_LENGTH = 12  # 48 bits: collisions between versions of one file are not a concern


def fingerprint(content: bytes) -> str:
    """The first hex digits of the content's SHA-256: same bytes, same name."""
    return hashlib.sha256(content).hexdigest()[:HASH_LENGTH]


def hashed_name(relative: str, content: bytes) -> str:
    """``js/app.js`` -> ``js/app.<hash>.js``."""
    path = Path(relative)
    return path.with_name(f"{path.stem}.{fingerprint(content)}{path.suffix}").as_posix()


def build_assets(static_folder: Path) -> dict[str, str]:
    """Write the hashed copies and the manifest under ``static_folder/dist``; return the manifest.

    Files from earlier builds that the new manifest no longer names are removed.
    """
    output = static_folder / BUILD_DIR
    manifest: dict[str, str] = {}
    for source in sorted(static_folder.rglob("*")):
        relative = source.relative_to(static_folder)
        if (
            not source.is_file()
            or source.suffix not in SUFFIXES
            or relative.parts[0] == BUILD_DIR
            or any(part.startswith(".") for part in relative.parts)
        ):
            continue
        content = source.read_bytes()
        target = hashed_name(relative.as_posix(), content)
        destination = output / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.exists():  # same name means same bytes: nothing to rewrite
            destination.write_bytes(content)
        manifest[relative.as_posix()] = target
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.rglob("*"):
        name = stale.relative_to(output).as_posix()
        if stale.is_file() and name != MANIFEST and name not in manifest.values():
            stale.unlink()
    _write_atomically(output / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _write_atomically(path: Path, text: str) -> None:
    # A running app may read the manifest while a build replaces it.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def load_manifest(app: Flask) -> dict[str, str]:
    """The app's manifest, re-read only when the file changes; empty when there is none."""
    path = Path(app.static_folder or "", BUILD_DIR, MANIFEST)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    cached = app.extensions.get("asset_manifest")
    if cached is None or cached[0] != (path, stamp):
        cached = ((path, stamp), json.loads(path.read_text(encoding="utf-8")))
        app.extensions["asset_manifest"] = cached
    return cached[1]


def fingerprinting_enabled(app: Flask) -> bool:
    """`ASSETS_FINGERPRINTED` if set, else on everywhere but debug and testing."""
    configured = app.config.get("ASSETS_FINGERPRINTED")
    return bool(configured) if configured is not None else not (app.debug or app.testing)


@bp.app_template_global("asset_url")
def asset_url(filename: str) -> str:
    """The URL of a static asset: its fingerprinted copy when built, else the file itself."""
    if fingerprinting_enabled(current_app):
        hashed = load_manifest(current_app).get(filename)
        if hashed is not None:
            return url_for("static", filename=f"{BUILD_DIR}/{hashed}")
        current_app.logger.warning(
            "no fingerprinted copy of %s: run `flask assets-build`", filename
        )
    return url_for("static", filename=filename)


@bp.after_app_request
def cache_fingerprinted_assets(response: Response) -> Response:
    """A year, immutable, for files the manifest names: their content never changes."""
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    prefix = f"{BUILD_DIR}/"
    if (
        filename.startswith(prefix)
        and filename[len(prefix) :] in load_manifest(current_app).values()
    ):
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response


@click.command("assets-build")
def assets_build_command() -> None:
    """Write content-hashed copies of the static CSS/JS files and their manifest."""
    folder = Path(current_app.static_folder or "")
    manifest = build_assets(folder)
    for source, target in manifest.items():
        click.echo(f"{source} -> {BUILD_DIR}/{target}")
    click.echo(f"{len(manifest)} assets, manifest: {folder / BUILD_DIR / MANIFEST}")


@bp.record_once
def _register_command(state: BlueprintSetupState) -> None:
    # A top-level `flask assets-build`, not `flask fundamentals assets-build`.
    state.app.cli.add_command(assets_build_command)
