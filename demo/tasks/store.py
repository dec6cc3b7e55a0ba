"""The small shared memory background tasks need: who owns a task, which mails went out (Q166).

Two uses, one interface (`add` is Redis's ``SET key value NX EX ttl``):

- the task registry (`demo.tasks.registry`): a record per queued task id, so the status
  endpoint can tell an id that never existed from one that is merely still queued;
- idempotency keys (`demo.tasks.mail`): a task that runs twice sends one email.

With Redis configured both live there, shared by the web processes and every worker, and
Redis expires them. In embedded mode (tasks run inline, in one process) a dict is enough.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from flask import current_app

from demo.extensions import redis_client

Clock = Callable[[], float]
DEFAULT_PREFIX = "flaskproof:tasks:"


class KeyStore(Protocol):
    """String keys with an expiry, and an atomic "set if absent"."""

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Store `value` only if `key` is absent; True when this call stored it."""

    def set(self, key: str, value: str, ttl: int) -> None:
        """Store `value` under `key` for `ttl` seconds, replacing any earlier value."""

    def get(self, key: str) -> str | None:
        """The live value of `key`, or None."""

    def delete(self, key: str) -> None:
        """Forget `key` (no error if it is absent)."""


class MemoryStore:
    """One process's store for embedded mode: a dict of key -> (value, expiry), behind a lock."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._items: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None or item[1] <= self._clock():
            self._items.pop(key, None)
            return None
        return item[0]

    def add(self, key: str, value: str, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._items[key] = (value, self._clock() + ttl)
            return True

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._items[key] = (value, self._clock() + ttl)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class RedisStore:
    """The store every process shares: plain Redis strings with a TTL under one prefix."""

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    def key(self, key: str) -> str:
        """The Redis key for `key`."""
        return f"{self._prefix}{key}"

    def add(self, key: str, value: str, ttl: int) -> bool:
        return bool(self._client.set(self.key(key), value, ex=ttl, nx=True))

    def set(self, key: str, value: str, ttl: int) -> None:
        self._client.set(self.key(key), value, ex=ttl)

    def get(self, key: str) -> str | None:
        value = self._client.get(self.key(key))
        return value.decode() if isinstance(value, bytes) else value

    def delete(self, key: str) -> None:
        self._client.delete(self.key(key))


def build_store() -> KeyStore:
    """Redis when the app has `REDIS_URL`, else a dict of this process."""
    client = redis_client.client
    if client is None:
        return MemoryStore()
    return RedisStore(client, current_app.config.get("TASKS_KEY_PREFIX") or DEFAULT_PREFIX)


def task_store() -> KeyStore:
    """The current app's store, created on first use."""
    extensions = current_app.extensions
    store = extensions.get("task_store")
    if store is None:
        # setdefault: two first calls racing end up sharing one store.
        store = extensions.setdefault("task_store", build_store())
    return store
