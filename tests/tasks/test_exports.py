"""Exporting a user's articles: file contents, atomic writes, progress in state and pushes."""

from __future__ import annotations

import csv
import json

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from demo.extensions import db
from demo.models import Tag
from demo.tasks import progress
from demo.tasks.exports import export_articles, export_folder, write_export
from demo.tasks.registry import enqueue
from tests.tasks.support import write_articles


@pytest.mark.answers("Q166")
def test_csv_export_holds_the_users_articles_only(export_app, make_user):
    """Three articles of ada, oldest first, tags joined; grace's article is not there."""
    ada, grace = make_user("ada"), make_user("grace")
    first, *_ = write_articles(ada, 3)
    first.tags = [Tag(name="flask"), Tag(name="celery")]
    db.session.commit()
    write_articles(grace, 1)

    queued = enqueue(export_articles, ada.id, "csv")
    result = queued.get()

    assert result == {"filename": f"{queued.id}.csv", "format": "csv", "articles": 3}
    with (export_folder() / result["filename"]).open(newline="", encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    assert [row["slug"] for row in rows] == ["ada-1", "ada-2", "ada-3"]
    assert rows[0]["tags"] == "celery, flask"
    assert rows[0]["created_at"].endswith("+00:00")


def test_json_export_is_one_array_of_objects(export_app, make_user):
    """The JSON export parses as a list, tags as lists."""
    ada = make_user("ada")
    write_articles(ada, 2)

    result = enqueue(export_articles, ada.id, "json").get()

    items = json.loads((export_folder() / result["filename"]).read_text(encoding="utf-8"))
    assert [item["slug"] for item in items] == ["ada-1", "ada-2"]
    assert items[0]["tags"] == []


def test_an_empty_export_is_a_valid_file(export_app, make_user):
    """No articles: a header-only CSV and an empty JSON array, reported complete."""
    ada = make_user("ada")
    csv_result = enqueue(export_articles, ada.id, "csv").get()
    json_result = enqueue(export_articles, ada.id, "json").get()

    assert (csv_result["articles"], json_result["articles"]) == (0, 0)
    assert (export_folder() / csv_result["filename"]).read_text().startswith("slug,title")
    assert json.loads((export_folder() / json_result["filename"]).read_text()) == []


def test_cells_that_would_run_as_formulas_are_defused(export_app, make_user):
    """CSV injection: a title starting with '=' is written with a leading apostrophe."""
    ada = make_user("ada")
    write_articles(ada, 1, title='=HYPERLINK("http://evil.example","click")')

    result = enqueue(export_articles, ada.id, "csv").get()

    with (export_folder() / result["filename"]).open(newline="") as exported:
        [row] = list(csv.DictReader(exported))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.answers("Q166")
def test_an_export_cut_short_by_its_time_limit_leaves_no_file(export_app, make_user, tmp_path):
    """SoftTimeLimitExceeded mid-write (as the worker raises it) deletes the partial file."""
    ada = make_user("ada")
    write_articles(ada, 3)
    target = tmp_path / "out" / "export.csv"

    def interrupt_at_second_article(done, total):
        if done == 2:
            raise SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        write_export(ada.id, "csv", target, interrupt_at_second_article)
    assert list(target.parent.iterdir()) == []


@pytest.mark.answers("Q166")
def test_running_the_same_export_twice_gives_one_identical_file(export_app, make_user):
    """Idempotent: a redelivered export task replaces its own file with the same content."""
    ada = make_user("ada")
    write_articles(ada, 2)
    task = export_app.extensions["celery"].tasks[export_articles.name]

    first = task.apply((ada.id, "csv"), task_id="same-task")
    content = (export_folder() / first.get()["filename"]).read_bytes()
    second = task.apply((ada.id, "csv"), task_id="same-task")

    assert second.get() == first.get()
    assert [p.name for p in export_folder().iterdir()] == ["same-task.csv"]
    assert (export_folder() / "same-task.csv").read_bytes() == content
    assert export_articles.acks_late is True
    assert export_articles.reject_on_worker_lost is True


@pytest.mark.answers("Q166")
def test_progress_is_stored_in_the_task_state_and_pushed_to_the_owner(
    export_app, make_user, monkeypatch
):
    """Each push happens after update_state stored the same PROGRESS figures."""
    ada = make_user("ada")
    write_articles(ada, 4)
    celery_app = export_app.extensions["celery"]
    seen = []

    def spy(user_id, task_id, state, percent, **extra):
        stored = celery_app.AsyncResult(task_id)
        seen.append((user_id, state, percent, stored.state, stored.info, extra))

    monkeypatch.setattr(progress, "report_progress", spy)
    result = enqueue(export_articles, ada.id, "csv", owner_id=ada.id, kind="export")

    pushes = [(user, state, percent) for user, state, percent, *_ in seen]
    assert pushes == [(ada.id, "PROGRESS", p) for p in (0, 25, 50, 75, 100)] + [
        (ada.id, "SUCCESS", 100)
    ]
    stored = [(state, info) for _, _, _, state, info, _ in seen[:5]]
    assert stored[1] == ("PROGRESS", {"current": 1, "total": 4, "percent": 25})
    assert seen[-1][5] == {"name": "export_articles", "result_url": f"/tasks/{result.id}/download"}
