"""API rate limits (Flask-Limiter): a budget per caller, JSON 429s, Redis with a fallback (Q152)."""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
import redis
from flask_jwt_extended import create_access_token, decode_token

from demo.api.ratelimits import limit_api_blueprints
from demo.auth.api_keys import create_api_key
from demo.extensions import db, limiter
from demo.models import User
from tests.support.services import REDIS_URL


def add_user(name: str) -> User:
    """A committed user (these tests mint tokens directly, they never log in)."""
    user = User(username=name, email=f"{name}@example.com", password_hash="unused")
    db.session.add(user)
    db.session.commit()
    return user


def token_header(user: User) -> dict[str, str]:
    """The Conduit header with a real access token for `user`."""
    return {"Authorization": f"Token {create_access_token(identity=user)}"}


def remaining(response: Any) -> int:
    """What `X-RateLimit-Remaining` says is left of the budget."""
    return int(response.headers["X-RateLimit-Remaining"])


@pytest.mark.answers("Q152", "Q085")
def test_the_budget_runs_down_in_headers_then_answers_429_in_json_with_retry_after(make_app):
    """Each answer says limit, remaining and reset; past the limit comes a JSON 429."""
    client = make_app(RATELIMIT_API_DEFAULT="3/minute").test_client()

    answers = [client.get("/api/tags") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [remaining(a) for a in answers] == [2, 1, 0, 0]
    assert all(int(a.headers["X-RateLimit-Reset"]) > 0 for a in answers)
    refused = answers[-1]
    assert refused.is_json
    assert "the limit is 3/minute" in refused.get_json()["errors"]["body"][0]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Only the refusal says when to come back; served answers have X-RateLimit-Reset.
    assert [("Retry-After" in a.headers) for a in answers] == [False, False, False, True]


@pytest.mark.answers("Q152")
def test_one_budget_covers_every_api_route_but_nothing_outside_the_api(make_app):
    """Spreading calls over REST and GraphQL routes buys nothing; pages are not limited."""
    app = make_app(RATELIMIT_API_DEFAULT="2/minute")
    client = app.test_client()

    assert {"api", "graphql", "auth_api"} <= set(limit_api_blueprints(app))
    assert client.get("/api/tags").status_code == 200
    assert client.post("/api/graphql", json={"query": "{ tags { name } }"}).status_code == 200
    assert client.get("/api/articles").status_code == 429
    probe = client.get("/healthz")
    assert probe.status_code == 200
    assert "X-RateLimit-Limit" not in probe.headers


@pytest.mark.answers("Q152")
def test_refused_calls_to_guarded_routes_spend_the_budget_too(make_app):
    """A 401 from a permission-guarded API route still counts: guessing is not free."""
    client = make_app(RATELIMIT_API_DEFAULT="2/minute").test_client()

    statuses = [client.get("/api/auth/me").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


@pytest.mark.answers("Q152")
def test_cors_preflights_are_not_counted(make_app):
    """The browser's OPTIONS requests do not spend the caller's budget."""
    client = make_app(RATELIMIT_API_DEFAULT="2/minute").test_client()
    ask = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}

    for _ in range(3):
        assert client.options("/api/tags", headers=ask).status_code == 200

    assert remaining(client.get("/api/tags")) == 1


@pytest.mark.answers("Q152")
def test_authenticated_callers_are_counted_per_user_not_per_address(make_app):
    """Two users behind one address have a budget each, apart from anonymous callers."""
    client = make_app(RATELIMIT_API_DEFAULT="2/minute").test_client()
    alice, bob = add_user("alice"), add_user("bob")

    assert [client.get("/api/tags", headers=token_header(alice)).status_code for _ in "abc"] == [
        200,
        200,
        429,
    ]
    assert remaining(client.get("/api/tags", headers=token_header(bob))) == 1
    assert remaining(client.get("/api/tags")) == 1


@pytest.mark.answers("Q152", "Q085")
def test_a_token_that_does_not_verify_never_picks_whose_budget_is_spent(make_app):
    """A forged or expired token naming a user counts against the sender's address instead."""
    app = make_app(RATELIMIT_API_DEFAULT="3/minute")
    client = app.test_client()
    victim = add_user("victim")
    # Same claims as a real token, signed with a key the server does not hold.
    claims = decode_token(create_access_token(identity=victim))
    forged = jwt.encode(claims, "an-attackers-own-secret-0123456789abcdef", algorithm="HS256")
    expired = create_access_token(identity=victim, expires_delta=timedelta(seconds=-1))

    for token in (forged, expired):
        client.get("/api/tags", headers={"Authorization": f"Token {token}"})

    # The two refused tokens spent the address's budget, not the victim's.
    assert remaining(client.get("/api/tags")) == 0
    assert remaining(client.get("/api/tags", headers=token_header(victim))) == 2


@pytest.mark.answers("Q152")
def test_a_verified_api_key_spends_its_owners_budget(make_app):
    """A valid X-API-Key counts for its user, like their JWT; a made-up key counts per address."""
    client = make_app(RATELIMIT_API_DEFAULT="3/minute").test_client()
    owner = add_user("owner")
    key = create_api_key(owner, "script").key
    db.session.commit()
    prefix = key.split("_")[1]

    assert remaining(client.get("/api/tags", headers={"X-API-Key": key})) == 2
    assert remaining(client.get("/api/tags", headers=token_header(owner))) == 1
    guessed = {"X-API-Key": f"fp_{prefix}_not-the-secret"}
    assert remaining(client.get("/api/tags", headers=guessed)) == 2  # the address's budget
    assert remaining(client.get("/api/tags", headers=token_header(owner))) == 0


@pytest.mark.answers("Q152")
def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(make_app):
    """With PROXY_FIX_X_FOR=1 the budget follows X-Forwarded-For, one per real client."""
    client = make_app(PROXY_FIX_X_FOR=1, RATELIMIT_API_DEFAULT="1/minute").test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def via_proxy(address: str) -> int:
        headers = {"X-Forwarded-For": address}
        return client.get("/api/tags", headers=headers, environ_base=proxy).status_code

    assert [via_proxy("203.0.113.1"), via_proxy("203.0.113.1")] == [200, 429]
    assert via_proxy("203.0.113.2") == 200


@pytest.mark.answers("Q152", "Q085")
def test_without_a_trusted_proxy_a_forged_forwarded_header_buys_nothing(make_app):
    """By default X-Forwarded-For is ignored: any client could send a fresh one per request."""
    client = make_app(RATELIMIT_API_DEFAULT="1/minute").test_client()

    statuses = [
        client.get("/api/tags", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in (1, 2)
    ]

    assert statuses == [200, 429]


class TcpForwarder:
    """Forwards a local port to a TCP server until `cut()`, which drops every connection.

    Pointing the limiter at this instead of Redis lets a test take "Redis" away mid-test
    without touching the real server. One thread, one selector; `cut()` wakes it through a
    socket pair and waits for it to close everything.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._peers: dict[socket.socket, socket.socket] = {}
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    sock = key.fileobj
                    if sock is self._wake_reader:
                        self._close_all(selector)
                        return
                    if sock is self._listener:
                        client, _ = self._listener.accept()
                        server = socket.create_connection(self.upstream)
                        self._peers.update({client: server, server: client})
                        selector.register(client, selectors.EVENT_READ)
                        selector.register(server, selectors.EVENT_READ)
                    elif sock in self._peers:
                        self._relay(selector, sock)

    def _relay(self, selector: selectors.BaseSelector, sock: socket.socket) -> None:
        peer = self._peers[sock]
        try:
            data = sock.recv(65536)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, peer):
            selector.unregister(end)
            self._peers.pop(end, None)
            end.close()

    def _close_all(self, selector: selectors.BaseSelector) -> None:
        for sock in list(self._peers):
            selector.unregister(sock)
            sock.close()
        self._peers.clear()
        self._listener.close()

    def cut(self) -> None:
        """Close the port and every forwarded connection, as if the server had died."""
        if self._thread.is_alive():
            self._wake_writer.send(b"x")
            self._thread.join()
            self._wake_writer.close()
            self._wake_reader.close()


@pytest.fixture
def unique_address(redis_server: redis.Redis) -> Iterator[str]:
    """A client address no other test or run uses; its Redis counters are deleted afterwards."""
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    yield address
    for key in redis_server.scan_iter(match=f"*{address}*"):
        redis_server.delete(key)


@pytest.fixture
def restore_limiter_health() -> Iterator[None]:
    """Undo the outage for later tests.

    Flask-Limiter keeps "storage is dead" on the process-wide extension and clears it only
    when a back-off timer lets it see Redis again; the next test's app must start healthy.
    """
    yield
    limiter._storage_dead = False


@pytest.mark.answers("Q152")
def test_counters_live_in_redis_when_it_is_configured(make_app, redis_server, unique_address):
    """With a Redis storage URI the count is a Redis key, shared by every process."""
    client = make_app(
        RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_API_DEFAULT="5/minute"
    ).test_client()

    answers = [client.get("/api/tags", environ_base={"REMOTE_ADDR": unique_address}) for _ in "ab"]

    assert [remaining(a) for a in answers] == [4, 3]
    keys = list(redis_server.scan_iter(match=f"*ip:{unique_address}*"))
    assert len(keys) == 1
    assert int(redis_server.get(keys[0])) == 2


@pytest.mark.answers("Q152")
def test_when_redis_goes_away_the_api_keeps_answering_and_keeps_limiting(
    make_app, redis_server, unique_address, restore_limiter_health, caplog
):
    """Redis dies mid-run: requests still succeed, counted in memory with the same limit."""
    where = redis_server.connection_pool.connection_kwargs
    forwarder = TcpForwarder((where.get("host", "127.0.0.1"), where.get("port", 6379)))
    try:
        app = make_app(
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{forwarder.port}/{where.get('db', 0)}",
            RATELIMIT_API_DEFAULT="3/minute",
        )
        client = app.test_client()

        def call() -> Any:
            return client.get("/api/tags", environ_base={"REMOTE_ADDR": unique_address})

        before = [call(), call()]
        assert [remaining(a) for a in before] == [2, 1]
        assert list(redis_server.scan_iter(match=f"*ip:{unique_address}*"))

        forwarder.cut()
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            during = [call() for _ in range(4)]
    finally:
        forwarder.cut()

    assert [a.status_code for a in during] == [200, 200, 200, 429]
    assert [remaining(a) for a in during] == [2, 1, 0, 0]
    assert during[-1].get_json()["errors"]["body"]
    assert "falling back to in-memory storage" in caplog.text
