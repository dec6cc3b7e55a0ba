"""Revoked JWTs, keyed by their `jti`, remembered exactly as long as they could be used (Q144).

A JWT is valid until it expires, whatever happens on the server: revoking one early means
remembering its id and refusing it. The entry is only needed until the token's own `exp`,
so each one is stored with that expiry and the list never grows beyond the live tokens.

- With Redis configured, entries are Redis keys with a TTL (``SET key 1 EX ttl``): every worker
  process and every server sees the same list, and Redis deletes expired entries itself.
- In embedded mode they live in a dict in this process. That is only correct with a single
  process: behind gunicorn with several workers a token revoked in one worker would still be
  accepted by the others, which is why production sets `REDIS_URL`.
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


class Blocklist(Protocol):
    """What the token code needs from a blocklist, whichever the backend."""

    def revoke(self, jti: str, expires_at: int) -> None:
        """Refuse the token `jti` from now until `expires_at` (a Unix timestamp)."""

    def is_revoked(self, *jtis: str) -> bool:
        """True when any of `jtis` has been revoked and has not expired yet."""


class MemoryBlocklist:
    """An in-process blocklist for embedded mode: a dict of jti -> expiry, behind a lock."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def revoke(self, jti: str, expires_at: int) -> None:
        now = self._clock()
        with self._lock:
            # Dropping dead entries on each write keeps the dict as small as the live tokens.
            for dead in [key for key, expiry in self._expiry.items() if expiry <= now]:
                del self._expiry[dead]
            if expires_at > now:
                self._expiry[jti] = expires_at

    def is_revoked(self, *jtis: str) -> bool:
        now = self._clock()
        with self._lock:
            return any(self._expiry.get(jti, 0) > now for jti in jtis)

    def __len__(self) -> int:
        return len(self._expiry)


class RedisBlocklist:
    """A blocklist shared by every process: one Redis key per revoked token, with a TTL."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "flaskproof:jwt-revoked:",
        clock: Clock = time.time,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock

    def key(self, jti: str) -> str:
        """The Redis key that marks `jti` as revoked."""
        return f"{self._prefix}{jti}"

    def revoke(self, jti: str, expires_at: int) -> None:
        remaining = int(expires_at - self._clock())
        if remaining > 0:  # an expired token is refused anyway; nothing to remember
            self._client.set(self.key(jti), 1, ex=remaining)

    def is_revoked(self, *jtis: str) -> bool:
        # EXISTS with several keys counts them in one round trip.
        return bool(jtis) and self._client.exists(*(self.key(jti) for jti in jtis)) > 0


def get_blocklist() -> Blocklist:
    """The current app's blocklist: Redis when `REDIS_URL` is set, else one dict per app."""
    extensions = current_app.extensions
    blocklist = extensions.get("jwt_blocklist")
    if blocklist is None:
        client = redis_client.client
        created = RedisBlocklist(client) if client is not None else MemoryBlocklist()
        # setdefault: if two first requests race, both end up using the same object.
        blocklist = extensions.setdefault("jwt_blocklist", created)
    return blocklist
