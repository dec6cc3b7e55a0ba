"""Celery wired the Flask way: config from app.config, tasks in an app context, entry points."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import pytest
from celery import Celery
from celery.app.utils import find_app
from celery.schedules import crontab
from flask import g

import demo
from demo import create_app
from demo.tasks.celery_app import TASK_MODULES
from demo.tasks.cleanup import cleanup_expired
from demo.tasks.registry import enqueue
from tests.tasks import worker_tasks


def forget_entry_point(monkeypatch):
    """Make the next lookup import demo.make_celery afresh (and forget it after the test)."""
    monkeypatch.delitem(sys.modules, "demo.make_celery", raising=False)
    monkeypatch.delattr(demo, "make_celery", raising=False)


ROOT = Path(__file__).resolve().parents[2]
INLINE_MESSAGE = "tasks run inline (no broker configured)"


@pytest.mark.answers("Q166")
def test_without_a_broker_tasks_run_inline_and_the_log_says_so(make_app, caplog):
    """Embedded mode: eager execution, results kept in memory, one log line at start-up."""
    caplog.set_level(logging.INFO, logger="demo.tasks.celery_app")
    app = make_app()
    celery_app = app.extensions["celery"]

    assert [r.getMessage() for r in caplog.records if r.name == "demo.tasks.celery_app"] == [
        INLINE_MESSAGE
    ]
    assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.task_store_eager_result is True
    assert celery_app.conf.task_eager_propagates is False  # failures stored, as by a worker
    result = enqueue(cleanup_expired)
    # Already done when `enqueue` returns, and readable by id like a worker's result.
    assert celery_app.AsyncResult(result.id).state == "SUCCESS"


@pytest.mark.answers("Q166")
def test_with_redis_configured_tasks_go_to_the_broker(redis_url, caplog):
    """REDIS_URL makes Redis the broker and the result store; nothing runs inline."""
    caplog.set_level(logging.INFO, logger="demo.tasks.celery_app")
    app = create_app("testing", REDIS_URL=redis_url)
    conf = app.extensions["celery"].conf

    assert conf.task_always_eager is False
    assert (conf.broker_url, conf.result_backend) == (redis_url, redis_url)
    assert INLINE_MESSAGE not in caplog.messages
    app.extensions["redis"].close()


def test_dedicated_broker_and_result_urls_override_redis_url(redis_url):
    """CELERY_BROKER_URL and CELERY_RESULT_BACKEND win over REDIS_URL."""
    app = create_app(
        "testing",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/13",
        CELERY_RESULT_BACKEND="redis://127.0.0.1:6379/12",
    )
    conf = app.extensions["celery"].conf
    assert (conf.broker_url, conf.result_backend) == (
        "redis://127.0.0.1:6379/13",
        "redis://127.0.0.1:6379/12",
    )
    app.extensions["redis"].close()


@pytest.mark.answers("Q166")
def test_celery_config_is_the_app_config_celery_dict():
    """app.config["CELERY"] holds the settings Celery uses; an override merges into them."""
    app = create_app("testing", CELERY={"task_time_limit": 42})
    conf = app.extensions["celery"].conf

    assert app.config["CELERY"]["task_time_limit"] == conf.task_time_limit == 42
    assert conf.task_ignore_result is False
    assert conf.task_track_started is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.timezone == "UTC"
    assert conf.task_soft_time_limit < conf.task_soft_time_limit + 1 <= 301
    assert set(conf.include) == set(TASK_MODULES)


@pytest.mark.answers("Q166")
def test_beat_runs_the_cleanup_every_hour():
    """The beat schedule, defined in the project, queues cleanup_expired at minute 15."""
    app = create_app("testing")
    celery_app = app.extensions["celery"]
    entry = celery_app.conf.beat_schedule["cleanup-expired"]

    assert entry["task"] == cleanup_expired.name
    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].minute == {15}
    assert len(entry["schedule"].hour) == 24
    assert celery_app.conf.beat_schedule_filename == str(
        Path(app.instance_path) / "celerybeat-schedule"
    )


@pytest.mark.answers("Q166")
def test_every_task_runs_in_an_app_context_of_its_own(app, caplog):
    """The task sees this app as current_app, a fresh `g`, and logs with its task id."""
    caplog.set_level(logging.INFO, logger=worker_tasks.__name__)
    g.marker = "the caller's g"
    result = app.extensions["celery"].tasks[worker_tasks.context_probe.name].delay()

    assert result.get() == {"app_id": id(app), "g_marker": None}
    [record] = [r for r in caplog.records if r.name == worker_tasks.__name__]
    assert record.request_id == f"task:{result.id}"
    assert g.marker == "the caller's g"


@pytest.mark.answers("Q166")
def test_worker_entry_point_exposes_the_apps_celery(monkeypatch, redis_url):
    """`celery -A demo.make_celery` finds the Celery app built by create_app, tasks included."""
    monkeypatch.setenv("FLASK_CONFIG", "development")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    forget_entry_point(monkeypatch)
    found = find_app("demo.make_celery")
    module = sys.modules["demo.make_celery"]

    assert isinstance(found, Celery)
    assert found is module.flask_app.extensions["celery"]
    assert found.conf.broker_url == redis_url
    assert {"demo.tasks.mail.send_email", "demo.tasks.exports.export_articles"} <= set(found.tasks)
    module.flask_app.extensions["redis"].close()


def test_worker_entry_point_refuses_to_start_without_a_broker(monkeypatch):
    """Without a broker a worker would wait on nothing: the entry point says so and stops."""
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    forget_entry_point(monkeypatch)
    with pytest.raises(RuntimeError, match="No broker configured"):
        find_app("demo.make_celery")


def test_makefile_starts_worker_and_beat_from_the_entry_point():
    """`make worker` and `make beat` run Celery against demo.make_celery."""
    makefile = (ROOT / "Makefile").read_text()
    for command in ("worker", "beat"):
        recipe = re.search(rf"^{command}:.*\n\t(.+)$", makefile, re.MULTILINE)
        assert recipe is not None, f"no `{command}` target"
        assert f"celery -A demo.make_celery {command}" in recipe.group(1)
