"""User uploads: avatars and article attachments, validated, streamed and stored atomically
(Q099, Q100, Q101, Q140).

`bp` serves the pages under /uploads (Flask-Login session, CSRF-protected forms);
`demo.uploads.api.api_bp` serves the JSON API under /api/uploads (JWT). Registering `bp`
resolves `UPLOAD_FOLDER` (default: <instance folder>/uploads, outside the package and its
`static/` folder) and builds the app's storage backend.
"""

from __future__ import annotations

import os

import click
from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from demo.uploads.storage import storage_from_config

bp = Blueprint("uploads", __name__, url_prefix="/uploads", template_folder="templates")


@bp.record_once
def _set_up_storage(state: BlueprintSetupState) -> None:
    app = state.app
    # Relative paths are taken inside the instance folder (an absolute one is kept as is):
    # resolved once here, so writing and `send_from_directory` agree on one directory.
    folder = app.config.get("UPLOAD_FOLDER") or "uploads"
    app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, folder)
    app.extensions["uploads.storage"] = storage_from_config(app.config)


@bp.cli.command("sweep")
@click.option(
    "--older-than", default=3600, show_default=True, help="Only remove files older (seconds)."
)
def sweep_command(older_than: int) -> None:
    """Remove temp, trash and unreferenced files left by crashes or failed cleanups."""
    from demo.uploads.services import sweep

    removed = sweep(older_than)
    for name in removed:
        click.echo(f"removed {name}")
    click.echo(f"{len(removed)} file(s) removed")


from demo.uploads import routes  # noqa: E402,F401  (registers the page views on bp)
