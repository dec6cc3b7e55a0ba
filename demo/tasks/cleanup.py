"""The periodic cleanup that celery beat runs every hour (Q166).

Deletes what has outlived its retention: export files older than `EXPORT_RETENTION_HOURS`
(and partial files a killed export left behind), and API keys revoked more than
`API_KEY_RETENTION_DAYS` ago (kept until then for the audit trail). Every step is a "delete
what is expired now", so running it twice, or on two beat instances by mistake, is
harmless; that is also why it may acknowledge late.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import delete

from demo.extensions import db
from demo.models import ApiKey
from demo.models.types import utcnow
from demo.tasks.exports import export_folder

log = logging.getLogger(__name__)


def delete_old_exports(max_age_hours: int) -> int:
    """Delete export files last written more than `max_age_hours` ago; how many went."""
    folder = export_folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_hours * 3600
    deleted = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # deleted meanwhile by a concurrent cleanup
            continue
    return deleted


def delete_revoked_api_keys(retention_days: int) -> int:
    """Delete API keys revoked more than `retention_days` ago; how many went."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = db.session.execute(
        delete(ApiKey).where(ApiKey.revoked_at.is_not(None), ApiKey.revoked_at < cutoff)
    )
    db.session.commit()
    return result.rowcount


@shared_task(
    name="demo.tasks.cleanup.cleanup_expired",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
)
def cleanup_expired() -> dict[str, int]:
    """Delete expired exports and long-revoked API keys; the counts of each."""
    config = current_app.config
    counts = {
        "exports": delete_old_exports(config["EXPORT_RETENTION_HOURS"]),
        "api_keys": delete_revoked_api_keys(config["API_KEY_RETENTION_DAYS"]),
    }
    log.info("cleanup: deleted %(exports)d exports, %(api_keys)d revoked API keys", counts)
    return counts
