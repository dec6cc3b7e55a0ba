"""The periodic cleanup: deletes only what has expired, and may run any number of times."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from demo.extensions import db
from demo.models import ApiKey
from demo.models.types import utcnow
from demo.tasks.cleanup import cleanup_expired
from demo.tasks.exports import export_folder


def api_key(user, prefix, revoked_days_ago=None):
    """A committed API key of `user`, revoked that many days ago (or active)."""
    revoked_at = None if revoked_days_ago is None else utcnow() - timedelta(days=revoked_days_ago)
    key = ApiKey(user=user, name=prefix, prefix=prefix, key_hash="x", revoked_at=revoked_at)
    db.session.add(key)
    db.session.commit()
    return key


def aged_file(path, hours):
    """Create `path` last modified `hours` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("export")
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


@pytest.mark.answers("Q166")
def test_cleanup_deletes_expired_exports_and_long_revoked_keys_only(export_app, make_user):
    """Old exports and partial files go, fresh ones stay; only keys revoked >90 days go."""
    ada = make_user("ada")
    folder = export_folder()
    aged_file(folder / "old.csv", hours=25)
    aged_file(folder / "killed.json.part", hours=30)
    aged_file(folder / "fresh.csv", hours=1)
    api_key(ada, "active")
    api_key(ada, "recent", revoked_days_ago=10)
    api_key(ada, "ancient", revoked_days_ago=91)
    task = export_app.extensions["celery"].tasks[cleanup_expired.name]

    first = task.apply().get()
    second = task.apply().get()

    assert first == {"exports": 2, "api_keys": 1}
    assert second == {"exports": 0, "api_keys": 0}  # idempotent: nothing left to delete
    assert sorted(p.name for p in folder.iterdir()) == ["fresh.csv"]
    assert db.session.scalars(select(ApiKey.prefix).order_by(ApiKey.prefix)).all() == [
        "active",
        "recent",
    ]


def test_retention_periods_come_from_the_config(make_app, make_user, tmp_path):
    """EXPORT_RETENTION_HOURS and API_KEY_RETENTION_DAYS move the cut-offs."""
    app = make_app(EXPORT_FOLDER=str(tmp_path), EXPORT_RETENTION_HOURS=1, API_KEY_RETENTION_DAYS=5)
    ada = make_user("ada")
    aged_file(tmp_path / "two-hours.csv", hours=2)
    api_key(ada, "week", revoked_days_ago=7)

    result = app.extensions["celery"].tasks[cleanup_expired.name].apply().get()

    assert result == {"exports": 1, "api_keys": 1}


def test_cleanup_without_an_export_folder_does_nothing(export_app):
    """A fresh install has no exports folder yet: nothing to delete, no error."""
    assert not export_folder().exists()
    assert export_app.extensions["celery"].tasks[cleanup_expired.name].apply().get() == {
        "exports": 0,
        "api_keys": 0,
    }
