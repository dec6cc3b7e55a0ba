"""Fixtures for the task tests: a real SMTP server, the real Redis, apps wired to both.

Redis is the local server (database 14, see `support.tasks_redis_url`). When it does not
answer, the tests that need it fail; they are never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import kombu.pools
import pytest
import redis
from flask import Flask

from tests.tasks.support import (
    SmtpServer,
    broker_settings,
    close_connections,
    free_port,
    mail_settings,
    tasks_redis_url,
)
from tests.tasks.worker_tasks import blocking_client


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A started SMTP server on a free loopback port."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    if server.running:
        server.stop()


@pytest.fixture
def mail_app(make_app: Callable[..., Flask], smtp: SmtpServer) -> Flask:
    """An embedded-mode app (tasks run inline) whose mail goes to the `smtp` server."""
    return make_app(**mail_settings(smtp.port))


@pytest.fixture
def export_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """An embedded-mode app that writes exports under the test's temporary folder."""
    return make_app(EXPORT_FOLDER=str(tmp_path / "exports"))


@pytest.fixture(scope="session", autouse=True)
def close_kombu_pools() -> Iterator[None]:
    """Close the broker connections kombu pools process-wide, once the tests are done."""
    yield
    kombu.pools.reset()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The tasks' Redis database; the run fails here if the server does not answer."""
    url = tasks_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {url} is unreachable ({exc}); start it.", pytrace=False)
    finally:
        client.close()
    return url


@pytest.fixture
def run_token() -> str:
    """A word unique to this test, part of every Redis key and queue name it uses."""
    return f"tasks-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_db(redis_url: str, run_token: str) -> Iterator[redis.Redis]:
    """A client of the tasks' database; deletes every key carrying `run_token` afterwards."""
    client = blocking_client(redis_url)
    yield client
    stale = list(client.scan_iter(match=f"*{run_token}*", count=500))
    if stale:
        client.delete(*stale)
    client.close()


@pytest.fixture
def broker_app(
    redis_db: redis.Redis, make_app: Callable[..., Flask], redis_url: str, run_token: str
) -> Iterator[Flask]:
    """An app that queues tasks on the real Redis (no worker unless a test starts one)."""
    app = make_app(**broker_settings(redis_url, run_token))
    yield app
    close_connections(app)
