"""Shared fixtures, in the style of Flask's tutorial: small, one job each.

The database is SQLite in memory unless `TEST_DATABASE_URL` names a real server:

- in memory, each app gets its own empty database (created here, gone with the engine);
- with `TEST_DATABASE_URL` (PostgreSQL in CI), the schema is built once per session, the
  server must answer (an unreachable server fails the run, it never skips it), and every
  table is emptied after each test that ran SQL, so tests pass in any order.
"""

from __future__ import annotations

import gc
import os
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from demo import create_app
from demo.auth.passwords import hash_password
from demo.config import normalise_database_url
from demo.extensions import db as _db
from demo.extensions import limiter
from demo.models import Role, User
from tests.support.accounts import DEFAULT_PASSWORD, AuthActions, IsolatedClient
from tests.support.services import REDIS_URL

# Records how the answer-proving tests fared, for the answers pages (issue 9).
pytest_plugins = ["tests.support.answer_results"]

# A Flask app is a web of reference cycles, so each test's app is freed by the cyclic
# garbage collector, never by reference counting. With CPython's default thresholds
# (700, 10, 10) a full collection ran every 14 tests or so, and each one walked the whole
# session's heap (pytest, every imported module, about a million objects by the end). A full
# collection a tenth as often frees the same apps. Measured on the whole SQLite run: 96 full
# collections taking 65 s became 43 taking 41 s.
FULL_COLLECTION_EVERY = 100  # gen-1 collections per full one (CPython's default: 10)


def pytest_configure(config: pytest.Config) -> None:
    """Collect the oldest generation less often (see FULL_COLLECTION_EVERY)."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


# Every engine that opened a connection during the current test, whichever app built it.
_engines_used: weakref.WeakSet[Engine] = weakref.WeakSet()


def _note_engine(connection: Connection) -> None:
    _engines_used.add(connection.engine)


def _server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@pytest.fixture(scope="session", autouse=True)
def database_server() -> Iterator[Engine | None]:
    """With TEST_DATABASE_URL: fail unless the server answers, then build the schema once."""
    event.listen(Engine, "engine_connect", _note_engine)
    url = _server_url()
    if url is None:
        yield None
        event.remove(Engine, "engine_connect", _note_engine)
        return
    connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        engine.connect().close()
    except OperationalError as exc:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(
            f"TEST_DATABASE_URL is set ({shown}) but the database server cannot be reached: "
            f"{exc.orig}. Start it, or unset TEST_DATABASE_URL to test on SQLite.",
            pytrace=False,
        )
    import demo.models  # noqa: F401  (every table on the metadata)

    with engine.begin() as connection:
        _db.metadata.drop_all(connection)
        _db.metadata.create_all(connection)
    yield engine
    event.remove(Engine, "engine_connect", _note_engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _database_cleanup(database_server: Engine | None) -> Iterator[None]:
    """After each test: empty the server's tables if it was used, close every pool opened.

    Disposing also covers apps a test builds itself, whose pooled connections would
    otherwise be closed by the garbage collector with a ResourceWarning.
    """
    _engines_used.clear()
    yield
    used = [engine for engine in _engines_used if engine is not database_server]
    if database_server is not None and used:
        with database_server.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())
    for engine in used:
        engine.dispose()
    _engines_used.clear()


@pytest.fixture
def app(database_server: Engine | None) -> Iterator[Flask]:
    """A fresh app built by the factory with the testing config and an empty schema."""
    app = create_app("testing")
    with app.app_context():
        if database_server is None:
            _db.create_all()
        yield app
        _db.session.remove()


@pytest.fixture
def db(app: Flask) -> SQLAlchemy:
    """The Flask-SQLAlchemy extension, bound to `app`, inside its app context."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that drives the app through WSGI without a server."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's `flask` CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(request: pytest.FixtureRequest) -> Callable[..., User]:
    """A factory for committed users: ``make_user("ada", roles=("editor",))``.

    The user goes into the database of the current app context: the `app` fixture's (set
    up on first use if the test has none), or the newest one from `make_app`. The password
    is hashed with that app's bcrypt settings, so the user can log in through the real form
    with it (default: `tests.support.accounts.DEFAULT_PASSWORD`).
    """

    def make(
        username: str = "ada",
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        roles: Iterable[str] = ("viewer",),
        **fields: Any,
    ) -> User:
        if not has_app_context():
            request.getfixturevalue("app")
        role_objects = []
        for name in roles:
            role = _db.session.scalar(select(Role).where(Role.name == name))
            role_objects.append(role or Role(name=name))
        user = User(
            username=username,
            email=email or f"{username}@example.com",
            password_hash=hash_password(password),
            roles=role_objects,
            **fields,
        )
        _db.session.add(user)
        _db.session.commit()
        return user

    return make


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Register, log in and log out `client` through the real forms, CSRF tokens included.

    ``auth.using(other_client)`` drives another client (another browser) the same way.
    """
    return AuthActions(client)


@pytest.fixture
def new_client(app: Flask) -> Callable[[], IsolatedClient]:
    """Make clients whose requests each get a fresh app context (and `g`), as under a server.

    Use them when a test depends on per-request state: two browsers, an expired session, a
    remember-me cookie. See `tests.support.accounts.IsolatedClient`.
    """

    def make() -> IsolatedClient:
        return IsolatedClient(app, app.response_class, use_cookies=True)

    return make


@pytest.fixture
def redis_server() -> Iterator[redis.Redis]:
    """The real local Redis (TEST_REDIS_URL): a failure, not a skip, when it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        client.close()
        pytest.fail(f"Redis at {REDIS_URL} does not answer: {exc}", pytrace=False)
    yield client
    client.close()


def close_redis_clients(app: Flask) -> None:
    """Close the Redis sockets an app's cache and rate limiter opened, now, not at GC time."""
    for backend in app.extensions.get("cache", {}).values():
        client = getattr(backend, "_write_client", None)
        if isinstance(client, redis.Redis):
            client.connection_pool.disconnect()
    # The limiter is process-wide; its storage belongs to the newest app that bound it.
    client = getattr(limiter.storage, "storage", None)
    if isinstance(client, redis.Redis):
        client.connection_pool.disconnect()


@pytest.fixture
def make_app(database_server: Engine | None) -> Iterator[Callable[..., Flask]]:
    """Build apps with config overrides: ``make_app(SESSION_BACKEND="cookie")``.

    Each one gets its schema, its app context pushed (so `db`, `make_user` and
    `current_app` refer to the newest one) and `IsolatedClient` as its test client. Use it
    instead of, not beside, the fixtures built on `app` (`client`, `new_client`, `auth`).
    """
    contexts = []

    def make(config: str = "testing", **overrides: Any) -> Flask:
        new_app = create_app(config, **overrides)
        new_app.test_client_class = IsolatedClient
        context = new_app.app_context()
        context.push()
        contexts.append(context)
        if database_server is None or new_app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
            _db.create_all()
        return new_app

    yield make
    for context in reversed(contexts):
        _db.session.remove()
        context.pop()
        close_redis_clients(context.app)
