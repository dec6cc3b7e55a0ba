"""The task status API and page: every state, owners only, 404 for ids that never existed."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from demo.tasks.cleanup import cleanup_expired
from demo.tasks.registry import enqueue
from tests.support.accounts import AuthActions, csrf_token_in
from tests.tasks import worker_tasks
from tests.tasks.support import (
    bearer,
    free_port,
    ignore_redis_setex_warning,
    worker_thread,
    write_articles,
)


def status_of(client, task_id, user):
    """GET /api/tasks/<id> as `user`; the response."""
    return client.get(f"/api/tasks/{task_id}", headers=bearer(user))


@pytest.mark.answers("Q166")
def test_api_export_answers_202_then_success_with_a_download_link(export_app, make_user):
    """POST starts the export (202 + Location); the status links to the file it produced."""
    ada = make_user("ada")
    write_articles(ada, 2)
    client = export_app.test_client()

    started = client.post("/api/tasks/exports", json={"format": "csv"}, headers=bearer(ada))
    assert started.status_code == 202
    task_id = started.get_json()["task"]["id"]
    assert started.headers["Location"] == f"/api/tasks/{task_id}"

    task = client.get(started.headers["Location"], headers=bearer(ada)).get_json()["task"]
    assert task["state"] == "SUCCESS"
    assert (task["ready"], task["percent"], task["kind"]) == (True, 100, "export")
    assert task["result"]["articles"] == 2
    assert task["download_url"] == f"/api/tasks/{task_id}/download"

    with client.get(task["download_url"], headers=bearer(ada)) as download:
        assert download.status_code == 200
        assert download.headers["Content-Disposition"] == "attachment; filename=articles.csv"
        rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [row["slug"] for row in rows] == ["ada-1", "ada-2"]


def test_unknown_export_format_is_refused_before_queueing(export_app, make_user):
    """422 with the field error; no task is created."""
    ada = make_user("ada")
    response = export_app.test_client().post(
        "/api/tasks/exports", json={"format": "xml"}, headers=bearer(ada)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["format"] == ["must be one of: csv, json"]


@pytest.mark.answers("Q166")
def test_only_the_owner_sees_a_task_everyone_else_gets_404(export_app, make_user):
    """Another user, a random id and a malformed id all get the same 404; anonymous a 401."""
    ada, grace = make_user("ada"), make_user("grace")
    client = export_app.test_client()
    started = client.post("/api/tasks/exports", json={}, headers=bearer(ada)).get_json()["task"]

    assert status_of(client, started["id"], ada).status_code == 200
    for task_id in (started["id"], str(uuid.uuid4()), "not-a-task-id"):
        response = status_of(client, task_id, grace)
        assert response.status_code == 404
        assert response.get_json() == {"errors": {"body": ["No such task."]}}
    stolen = client.get(f"/api/tasks/{started['id']}/download", headers=bearer(grace))
    assert stolen.status_code == 404
    assert client.get(f"/api/tasks/{started['id']}").status_code == 401


@pytest.mark.answers("Q166")
def test_failure_gives_a_readable_reason_and_no_internals(app, make_user):
    """An unexpected error shows a generic sentence; a TaskFailedError shows its message."""
    ada = make_user("ada")
    fail = worker_tasks.fail
    internal = enqueue(fail, "password=hunter2 in SQL", False, owner_id=ada.id, kind="test")
    readable = enqueue(fail, "Your export has no articles.", True, owner_id=ada.id, kind="test")
    client = app.test_client()

    body = status_of(client, internal.id, ada).get_data(as_text=True)
    task = status_of(client, internal.id, ada).get_json()["task"]
    assert (task["state"], task["ready"]) == ("FAILURE", True)
    assert task["error"] == "The task failed unexpectedly. The details are in the worker's log."
    assert "hunter2" not in body
    assert "Traceback" not in body
    assert status_of(client, readable.id, ada).get_json()["task"]["error"] == (
        "Your export has no articles."
    )


@pytest.mark.answers("Q124", "Q166")
def test_a_queued_task_is_pending_and_its_page_refreshes(broker_app, make_user):
    """With a broker and no worker the task waits: PENDING, 0%, and the page reloads itself."""
    ada = make_user("ada")
    queued = enqueue(cleanup_expired, owner_id=ada.id, kind="cleanup")
    client = broker_app.test_client()

    task = status_of(client, queued.id, ada).get_json()["task"]
    assert task == {
        "id": queued.id,
        "kind": "cleanup",
        "state": "PENDING",
        "ready": False,
        "percent": 0,
    }
    AuthActions(client).login()
    page = client.get(f"/tasks/{queued.id}")
    assert page.status_code == 200
    assert page.headers["Refresh"] == "2"
    assert 'data-state="PENDING"' in page.get_data(as_text=True)


@pytest.mark.answers("Q166")
@ignore_redis_setex_warning
def test_a_running_task_is_started_then_shows_its_progress(
    broker_app, make_user, redis_url, redis_db, run_token
):
    """A real worker runs the tasks: STARTED while held, PROGRESS 40%, then SUCCESS."""
    ada = make_user("ada")
    client = broker_app.test_client()
    key = f"{run_token}:running"
    with worker_thread(broker_app):
        held = enqueue(worker_tasks.hold, redis_url, key, owner_id=ada.id, kind="test")
        assert redis_db.blpop([f"{key}:started"], timeout=30) is not None
        assert status_of(client, held.id, ada).get_json()["task"]["state"] == "STARTED"
        redis_db.rpush(f"{key}:release", "go")
        held.get(timeout=30)

        working = enqueue(
            worker_tasks.progress_then_hold, redis_url, key, ada.id, owner_id=ada.id, kind="test"
        )
        assert redis_db.blpop([f"{key}:started"], timeout=30) is not None
        task = status_of(client, working.id, ada).get_json()["task"]
        assert (task["state"], task["percent"], task["current"], task["total"]) == (
            "PROGRESS",
            40,
            2,
            5,
        )
        redis_db.rpush(f"{key}:release", "go")
        assert working.get(timeout=30) == "released"
    task = status_of(client, working.id, ada).get_json()["task"]
    assert (task["state"], task["percent"], task["result"]) == ("SUCCESS", 100, "released")


@pytest.mark.answers("Q166")
def test_export_from_the_page_ends_on_a_status_page_with_the_file(export_app, make_user):
    """The browser flow: form (with CSRF) -> 303 to /tasks/<id> -> link -> the file."""
    ada = make_user("ada")
    write_articles(ada, 1)
    client = export_app.test_client()
    AuthActions(client).login()

    token = csrf_token_in(client.get("/tasks/export").get_data(as_text=True))
    started = client.post("/tasks/export", data={"csrf_token": token, "format": "json"})
    assert started.status_code == 303
    page = client.get(started.headers["Location"])
    html = page.get_data(as_text=True)
    task_id = started.headers["Location"].rsplit("/", 1)[1]

    assert "Refresh" not in page.headers
    assert 'data-state="SUCCESS"' in html
    assert f'href="/tasks/{task_id}/download"' in html
    with client.get(f"/tasks/{task_id}/download") as download:
        assert download.headers["Content-Disposition"] == "attachment; filename=articles.json"
        assert download.get_json()[0]["slug"] == "ada-1"


def test_the_export_page_requires_a_login_and_a_csrf_token(export_app, make_user):
    """Anonymous visitors go to the login page; a POST without the token is refused."""
    client = export_app.test_client()
    assert client.get("/tasks/export").status_code == 302
    make_user("ada")
    AuthActions(client).login()
    assert client.post("/tasks/export", data={"format": "csv"}).status_code == 400


@pytest.mark.answers("Q166")
def test_an_unreachable_broker_answers_503_and_records_nothing(make_app, make_user):
    """Nothing listens where the broker should be: 503 with Retry-After, no orphan record."""
    app = make_app(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
        CELERY_RESULT_BACKEND="cache+memory://",
        # Give up at once: by default kombu retries the connection and the publish for seconds.
        CELERY={
            "task_publish_retry": False,
            "broker_transport_options": {"max_retries": 1, "interval_start": 0, "interval_step": 0},
        },
    )
    ada = make_user("ada")

    response = app.test_client().post("/api/tasks/exports", json={}, headers=bearer(ada))

    assert response.status_code == 503
    # Flask-Limiter rewrites Retry-After as the later of its own reset and ours, in seconds
    # from now, so a second may have passed.
    assert 59 <= int(response.headers["Retry-After"]) <= 60
    assert response.get_json() == {
        "errors": {"body": ["The task queue is unavailable; try again in a minute."]}
    }
    assert app.extensions["task_store"]._items == {}
    app.extensions["celery"].close()
