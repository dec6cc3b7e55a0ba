"""The backing services of a smoke run (Q105): the local PostgreSQL and Redis, used safely.

One smoke stack runs at a time on a machine (`exclusive_lock`), because every run uses the
same database name and Redis database: `fresh_database` creates `flaskproof_smoke` empty and
drops it afterwards; `empty_redis_database` uses Redis database 13 only if it is empty or
marked as the smoke test's, and empties it afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

from scripts.smoke.processes import SmokeError

DEFAULT_DATABASE_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Not 15 (the test suite's) nor 0 (`make run` with REDIS_URL); emptied before and after.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
DATABASE_NAME = "flaskproof_smoke"
LOCK_FILE = Path(tempfile.gettempdir()) / "flaskproof-smoke.lock"
# Set while a smoke stack owns its Redis database: a database holding other keys is refused.
REDIS_MARKER = "flaskproof-smoke:owner"
LOCK_TIMEOUT = 300.0


@contextlib.contextmanager
def exclusive_lock(path: Path = LOCK_FILE, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the machine-wide smoke lock; wait for another run to finish first."""
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SmokeError(
                        f"another smoke run held {path} for {timeout:.0f}s; is one stuck?"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _admin_connection(server_url: str) -> psycopg.Connection[Any]:
    url = make_url(server_url).set(drivername="postgresql")
    try:
        return psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as exc:
        raise SmokeError(
            f"PostgreSQL at {url.render_as_string()} is unreachable ({exc}); the smoke test "
            "needs it. Start it, or pass --database-server."
        ) from exc


@contextlib.contextmanager
def fresh_database(server_url: str, name: str = DATABASE_NAME) -> Iterator[str]:
    """Create database `name` empty (dropping a leftover), yield its URL, drop it after."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _admin_connection(server_url) as connection:
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(drivername="postgresql", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with _admin_connection(server_url) as connection:
            connection.execute(drop)


@contextlib.contextmanager
def empty_redis_database(url: str) -> Iterator[str]:
    """Use Redis database `url` only if it is empty or a previous smoke run's; empty it after."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise SmokeError(
            f"Redis at {url} is unreachable ({exc}); the smoke test needs it. Start "
            "redis-server, or pass --redis-url."
        ) from exc
    if client.dbsize() and not client.exists(REDIS_MARKER):
        client.close()
        # Refused before anything is emptied: those keys belong to someone else.
        raise SmokeError(
            f"Redis database {url} holds keys that are not the smoke test's; "
            "pass --redis-url with an unused database number."
        )
    try:
        client.flushdb()  # a crashed earlier smoke run's keys (the marker says so)
        client.set(REDIS_MARKER, str(os.getpid()))
        yield url
    finally:
        with contextlib.suppress(redis.RedisError):
            client.flushdb()
        client.close()
