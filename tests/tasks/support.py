"""Helpers for the task tests (the fixtures built on them are in conftest.py).

- `SmtpServer`: an aiosmtpd server on loopback that keeps what it receives, and can greet
  the next connections with an SMTP 421 ("not now") or not be started at all;
- `tasks_redis_url`: database 14 of the Redis server TEST_REDIS_URL names (default
  127.0.0.1:6379), the tasks' own;
- `broker_settings`: config overrides that make an app use that Redis as broker, result
  backend and task store, every key under a prefix unique to the test and on a queue of its
  own, so concurrent runs and other suites sharing the database never see each other's
  messages;
- `worker_thread`: a real Celery worker for an app, in a thread of the test process.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from celery.contrib.testing import tasks as _celery_ping  # noqa: F401  (start_worker's ping)
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from celery.worker import WorkController
from flask import Flask
from flask_jwt_extended import create_access_token

from demo.extensions import db
from demo.models import Article, User
from tests.support.services import REDIS_URL


def tasks_redis_url() -> str:
    """The Redis server the suite uses (TEST_REDIS_URL), database 14: the tasks' own."""
    return urlsplit(REDIS_URL)._replace(path="/14").geturl()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- SMTP ---------------------------------------------------------------------------------


class Mailbox:
    """The aiosmtpd handler: stores every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0  # connections to greet with 421 and close
        self.refused = 0
        self.data_replies: list[str] = []  # answers to the next DATA commands, then 250

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


class _RefuseConnection(asyncio.Protocol):
    """Greets with 421, as a server that is overloaded or restarting, then hangs up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"421 4.3.2 Service not available, try again later\r\n")
        transport.close()


class SmtpServer(Controller):
    """A loopback SMTP server for one test; `mailbox.refuse_next` connections are turned away."""

    def __init__(self, port: int) -> None:
        self.mailbox = Mailbox()
        super().__init__(self.mailbox, hostname="127.0.0.1", port=port)
        self.running = False

    def factory(self) -> SMTP | asyncio.Protocol:  # type: ignore[override]
        if self.mailbox.refuse_next > 0:
            self.mailbox.refuse_next -= 1
            self.mailbox.refused += 1
            return _RefuseConnection()
        return super().factory()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages

    def start(self) -> None:
        super().start()
        self.running = True

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert)
        self.running = False


def mail_settings(port: int) -> dict[str, Any]:
    """Config overrides that make an app really send to 127.0.0.1:`port`."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "flaskproof <noreply@example.com>",
    }


# --- Redis and workers --------------------------------------------------------------------

# Celery 5.7's Redis result backend stores results with `SETEX`, for which redis-py 8.1 emits
# a DeprecationWarning (dropped again upstream: redis/redis-py#4337). Under this suite's
# filterwarnings=error that warning, raised in a worker, would kill the worker; tests that
# store results in Redis ignore that one warning and nothing else.
ignore_redis_setex_warning = pytest.mark.filterwarnings(
    "ignore:Call to deprecated setex:DeprecationWarning"
)


def broker_settings(redis_url: str, run_token: str, **celery: Any) -> dict[str, Any]:
    """Overrides for an app whose broker, results and task store are the test's Redis."""
    prefix = f"{run_token}:"
    return {
        "REDIS_URL": redis_url,
        "TASKS_KEY_PREFIX": prefix,
        "SOCKETIO_CHANNEL": f"{run_token}-socketio",
        "SESSION_BACKEND": "cookie",
        "CELERY": {
            "task_default_queue": f"{run_token}-queue",
            "broker_transport_options": {"global_keyprefix": prefix, **celery.pop("broker", {})},
            "result_backend_transport_options": {"global_keyprefix": prefix},
            **celery,
        },
    }


def close_connections(app: Flask) -> None:
    """Close the Redis connections an app's result backend and task store opened.

    The result backend keeps a pool and a pub/sub connection per app: left to the garbage
    collector, each would end in a ResourceWarning. (Broker connections live in kombu's
    process-wide pools, shared by every app with the same broker; see `close_kombu_pools`.)
    """
    # An AsyncResult unsubscribes from its result when collected; collect the test's now,
    # while the pub/sub connection is open, or the unsubscribe would open a new one later.
    gc.collect()
    celery_app = app.extensions["celery"]
    close_backend(celery_app.backend)
    celery_app.close()
    client = app.extensions.get("redis")
    if client is not None:
        client.close()


def close_backend(backend: Any) -> None:
    """Close a Redis result backend's pool and pub/sub connection (no-op for others)."""
    if hasattr(backend, "result_consumer"):
        backend.result_consumer.stop()
    if hasattr(backend, "client"):
        backend.client.connection_pool.disconnect()


@contextmanager
def worker_thread(app: Flask, **options: Any) -> Iterator[WorkController]:
    """A real Celery worker for `app`, consuming its queue from a thread of this process.

    Celery keeps one result backend per thread: the worker thread's is collected from the
    tasks it runs and closed when the worker stops, rather than left to the garbage
    collector.
    """
    backends: dict[int, Any] = {}

    def note_backend(sender: Any = None, **_: Any) -> None:
        backends[id(sender.backend)] = sender.backend

    task_prerun.connect(note_backend)
    try:
        with start_worker(
            app.extensions["celery"], pool="solo", loglevel=app.config["LOG_LEVEL"], **options
        ) as worker:
            yield worker
    finally:
        task_prerun.disconnect(note_backend)
        for backend in backends.values():
            close_backend(backend)


# --- users and articles ---------------------------------------------------------------------


def bearer(user: User) -> dict[str, str]:
    """An Authorization header with a fresh access token for `user`."""
    return {"Authorization": f"Bearer {create_access_token(identity=user)}"}


def write_articles(author: User, count: int, **fields: Any) -> list[Article]:
    """Commit `count` articles by `author`: slugs <username>-1, -2, ..."""
    articles = [
        Article(
            slug=f"{author.username}-{n}",
            title=fields.get("title", f"Article {n}"),
            description=f"About {n}",
            body=f"Body {n}",
            author=author,
        )
        for n in range(1, count + 1)
    ]
    db.session.add_all(articles)
    db.session.commit()
    return articles
