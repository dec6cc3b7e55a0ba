"""The JWT blocklist: entries keyed by jti that live exactly as long as the token would.

The Redis variants run against the real local Redis (TEST_REDIS_URL, or the default local
one) and fail, never skip, when it cannot be reached.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from flask_jwt_extended import decode_token

from demo.auth.blocklist import MemoryBlocklist, RedisBlocklist, get_blocklist
from tests.auth.token_support import bearer, built_app, create_user, get_tokens
from tests.support.services import REDIS_URL


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_prefix(redis_server: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (never FLUSHDB)."""
    prefix = f"flaskproof-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_server.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_server.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def blocklist_and_clock(request):
    """Each backend with a hand-moved clock."""
    clock = FakeClock()
    if request.param == "memory":
        return MemoryBlocklist(clock=clock), clock
    connection = request.getfixturevalue("redis_server")
    prefix = request.getfixturevalue("redis_prefix")
    return RedisBlocklist(connection, prefix=prefix, clock=clock), clock


@pytest.mark.answers("Q144")
def test_revoked_jti_is_reported_and_others_are_not(blocklist_and_clock):
    """Both backends: a revoked jti is blocked, any other is not, several are asked at once."""
    blocklist, clock = blocklist_and_clock
    blocklist.revoke("revoked-jti", expires_at=int(clock.now) + 600)

    assert blocklist.is_revoked("revoked-jti")
    assert not blocklist.is_revoked("other-jti")
    assert blocklist.is_revoked("other-jti", "revoked-jti")
    assert not blocklist.is_revoked()


@pytest.mark.answers("Q144")
def test_already_expired_token_is_not_stored(blocklist_and_clock):
    """A token past its exp is refused by its signature check: no entry is needed."""
    blocklist, clock = blocklist_and_clock
    blocklist.revoke("expired-jti", expires_at=int(clock.now) - 1)

    assert not blocklist.is_revoked("expired-jti")


@pytest.mark.answers("Q144")
def test_memory_entries_disappear_when_the_token_would_have_expired():
    """The in-process entry is honoured until exp, then forgotten and purged."""
    clock = FakeClock()
    blocklist = MemoryBlocklist(clock=clock)
    blocklist.revoke("jti-1", expires_at=int(clock.now) + 60)

    clock.now += 59
    assert blocklist.is_revoked("jti-1")
    clock.now += 1
    assert not blocklist.is_revoked("jti-1")
    blocklist.revoke("jti-2", expires_at=int(clock.now) + 60)
    assert len(blocklist) == 1  # jti-1 was purged by the next write


@pytest.mark.answers("Q144")
def test_redis_entry_carries_the_tokens_remaining_lifetime_as_ttl(redis_server, redis_prefix):
    """SET jti EX ttl: Redis itself deletes the entry when the token would have expired."""
    clock = FakeClock()
    blocklist = RedisBlocklist(redis_server, prefix=redis_prefix, clock=clock)
    blocklist.revoke("jti-1", expires_at=int(clock.now) + 900)

    ttl = redis_server.ttl(blocklist.key("jti-1"))
    assert 0 < ttl <= 900
    assert ttl > 890  # the real clock moved by milliseconds, not seconds
    assert redis_server.get(blocklist.key("jti-1")) == b"1"


@pytest.mark.answers("Q144")
def test_blocklist_is_shared_between_apps_with_redis_and_private_without(
    redis_server, database_server
):
    """Two apps (think two gunicorn workers) see each other's revocations only through Redis."""
    with built_app(REDIS_URL=REDIS_URL) as worker_a:
        a_blocklist = get_blocklist()
        a_blocklist.revoke(jti := f"shared-{uuid.uuid4().hex}", expires_at=2**31)
    with built_app(REDIS_URL=REDIS_URL) as worker_b:
        seen_by_b = get_blocklist().is_revoked(jti)
    with built_app() as embedded_a:
        get_blocklist().revoke(jti, expires_at=2**31)
    with built_app() as embedded_b:
        seen_in_memory = get_blocklist().is_revoked(jti)
    redis_server.delete(a_blocklist.key(jti))

    assert isinstance(a_blocklist, RedisBlocklist)
    assert seen_by_b is True
    assert seen_in_memory is False
    assert worker_a is not worker_b and embedded_a is not embedded_b


@pytest.mark.parametrize("backend", ["memory", "redis"])
@pytest.mark.answers("Q144")
def test_logout_through_the_api_with_each_backend(backend, request, database_server):
    """POST /api/auth/logout revokes both tokens whether the blocklist is a dict or Redis."""
    overrides, connection = {}, None
    if backend == "redis":
        connection = request.getfixturevalue("redis_server")
        overrides["REDIS_URL"] = REDIS_URL
    with built_app(**overrides) as app:
        client = app.test_client()
        tokens = get_tokens(client, create_user("ada"))
        access = decode_token(tokens["access_token"])

        logout = client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
        me = client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
        refresh = client.post("/api/auth/refresh", headers=bearer(tokens["refresh_token"]))
        blocklist = get_blocklist()
        both_revoked = [
            blocklist.is_revoked(access["jti"]),
            blocklist.is_revoked(access["refresh_jti"]),
        ]
        if connection is not None:
            keys = [blocklist.key(access["jti"]), blocklist.key(access["refresh_jti"])]
            ttls = [connection.ttl(key) for key in keys]
            connection.delete(*keys)

    assert logout.status_code == 204
    assert me.status_code == refresh.status_code == 401
    assert both_revoked == [True, True]
    assert isinstance(blocklist, RedisBlocklist if backend == "redis" else MemoryBlocklist)
    if backend == "redis":
        # Each entry lives as long as its own token: 15 minutes and 30 days.
        assert 890 < ttls[0] <= 900
        assert 30 * 24 * 3600 - 10 < ttls[1] <= 30 * 24 * 3600
