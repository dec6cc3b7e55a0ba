"""Export a user's articles to a CSV or JSON file, reporting progress (Q166).

The export runs in a worker, so a user with thousands of articles gets an answer at once
(202 and a status URL) instead of a request that times out. The task

- writes ``<task id>.part`` and renames it to ``<task id>.<format>`` only when complete, so a
  download never sees half a file, and a second run of the same task replaces the first
  one's file with an identical one: it is idempotent, hence ``acks_late``;
- records progress in its state (``PROGRESS`` with current/total/percent) and pushes it to
  the owner over Socket.IO;
- on its soft time limit (or any error) deletes the partial file before failing.

Files live in `EXPORT_FOLDER` (default ``<instance>/exports``), outside `static/`: they are
served only through `demo.tasks.views.download`, which checks ownership. The periodic
cleanup deletes them after `EXPORT_RETENTION_HOURS`.
"""

from __future__ import annotations

import csv
import json
import logging
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TextIO

from celery import Task, shared_task, states
from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from demo.extensions import db
from demo.models import Article
from demo.tasks.progress import ProgressReporter
from demo.tasks.status import TaskFailedError, failure_reason

log = logging.getLogger(__name__)

FORMATS = ("csv", "json")
FIELDS = ("slug", "title", "description", "body", "tags", "created_at", "updated_at")
# Cells starting with these run as formulas in spreadsheet programs (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]


def export_folder() -> Path:
    """Where export files are written: `EXPORT_FOLDER`, else ``<instance>/exports``."""
    configured = current_app.config.get("EXPORT_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "exports"


def download_path(task_id: str) -> str:
    """The URL path that serves an export, built with or without a request."""
    if has_request_context():
        return url_for("tasks.download", task_id=task_id)
    # In a worker there is no request to take the host from; a path is all the link needs.
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build("tasks.download", {"task_id": task_id})


def article_rows(user_id: int) -> Generator[dict[str, Any], None, None]:
    """The user's articles, oldest first, as plain dicts, fetched in batches."""
    query = (
        select(Article)
        .where(Article.author_id == user_id)
        .order_by(Article.created_at, Article.id)
        .options(selectinload(Article.tags))
        .execution_options(yield_per=200)
    )
    # On PostgreSQL, yield_per streams from a server-side cursor: close it as soon as the
    # caller stops, even when an exception (a time limit) stops it half-way.
    with db.session.scalars(query) as articles:
        for article in articles:
            yield {
                "slug": article.slug,
                "title": article.title,
                "description": article.description,
                "body": article.body,
                "tags": [tag.name for tag in article.tags],
                "created_at": article.created_at.isoformat(),
                "updated_at": article.updated_at.isoformat(),
            }


def _csv_cell(value: Any) -> str:
    text = ", ".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _write_csv(out: TextIO, rows: Iterator[dict[str, Any]], step: Callable[[], None]) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        step()


def _write_json(out: TextIO, rows: Iterator[dict[str, Any]], step: Callable[[], None]) -> None:
    # Streamed item by item: the whole export is never held in memory.
    out.write("[")
    for index, row in enumerate(rows):
        out.write(",\n" if index else "\n")
        out.write(json.dumps(row, ensure_ascii=False))
        step()
    out.write("\n]\n")


def write_export(user_id: int, fmt: str, target: Path, progress: Progress) -> int:
    """Write `user_id`'s articles to `target` atomically; the number of articles written."""
    if fmt not in FORMATS:
        raise TaskFailedError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    count_query = select(func.count(Article.id)).where(Article.author_id == user_id)
    total = db.session.scalar(count_query) or 0
    done = 0
    progress(done, total)

    def step() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with (
            partial.open("w", encoding="utf-8", newline="") as out,
            closing(article_rows(user_id)) as rows,
        ):
            writer = _write_csv if fmt == "csv" else _write_json
            writer(out, rows, step)
        partial.replace(target)
    except BaseException:
        # SoftTimeLimitExceeded lands here too: no half-written file is left behind.
        partial.unlink(missing_ok=True)
        raise
    return done


@shared_task(
    bind=True,
    name="demo.tasks.exports.export_articles",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
)
def export_articles(self: Task, user_id: int, fmt: str = "csv") -> dict[str, Any]:
    """Export `user_id`'s articles as `fmt`; the result names the file and links to it."""
    task_id = self.request.id or str(uuid.uuid4())
    reporter = ProgressReporter(self, user_id, "export_articles")
    filename = f"{task_id}.{fmt}"
    try:
        count = write_export(user_id, fmt, export_folder() / filename, reporter)
    except BaseException as exc:
        reporter.finished("FAILURE", error=failure_reason(exc))
        raise
    result = {"filename": filename, "format": fmt, "articles": count}
    if self.request.id is not None and not self.request.is_eager:
        # Celery stores the return value only after this function returns, and the push
        # below would let a browser ask for the file first (a 404). Store it now: the
        # download view then finds SUCCESS by the time anyone can click the link.
        self.update_state(state=states.SUCCESS, meta=result)
    reporter.finished("SUCCESS", result_url=download_path(task_id))
    log.info("exported %d articles of user %s to %s", count, user_id, filename)
    return result
