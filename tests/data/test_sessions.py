"""Sessions and transactions: commit, flush and rollback (Q137), and one session and one
connection per request, removed at teardown (Q076, Q077)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from demo import create_app
from demo.data.instrumentation import count_statements
from demo.extensions import db as _db
from demo.models import User
from tests.data.builders import make_article, make_user


def user_count() -> int:
    """Committed users, read through whatever session is current."""
    return _db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.answers("Q137")
def test_add_sends_nothing_flush_sends_the_insert_and_rollback_undoes_it(db):
    """add() only stages; flush() runs the INSERT and assigns the id; rollback() discards it."""
    user = User(username="ann", email="ann@example.test", password_hash="h")
    with count_statements(db.engine) as log:
        db.session.add(user)
    assert log.count == 0 and user.id is None

    with count_statements(db.engine) as log:
        db.session.flush()
    assert [s.split()[0] for s in log.statements] == ["INSERT"]
    assert user.id is not None and user_count() == 1  # visible inside this transaction

    db.session.rollback()
    assert user_count() == 0
    assert inspect(user).transient  # the object is back to "never saved"


@pytest.mark.answers("Q137")
def test_commit_makes_the_row_durable(db):
    """After commit(), a rollback or a brand-new session still sees the row."""
    make_user("ann")
    db.session.commit()
    db.session.rollback()
    assert user_count() == 1
    db.session.remove()  # what teardown does: the next use gets a new session
    assert db.session.scalar(select(User.username)) == "ann"


@pytest.mark.answers("Q137")
def test_commit_expires_loaded_state_so_the_next_read_reloads_it(db):
    """With expire_on_commit (the default), the first attribute read after commit is a SELECT."""
    user = make_user("ann")
    db.session.commit()
    with count_statements(db.engine) as log:
        assert user.username == "ann"
        assert user.email == "ann@example.test"
    assert log.count == 1 and log.statements[0].lstrip().upper().startswith("SELECT")


@pytest.mark.answers("Q137")
def test_a_failed_flush_must_be_rolled_back_before_the_session_is_used_again(db):
    """After an IntegrityError the session refuses work until rollback(); nothing is kept."""
    make_user("ann")
    db.session.commit()
    make_user("ann", email="other@example.test")
    with pytest.raises(IntegrityError):
        db.session.flush()
    with pytest.raises(PendingRollbackError):
        db.session.scalar(select(User))
    db.session.rollback()
    assert db.session.scalars(select(User.email)).all() == ["ann@example.test"]


@pytest.fixture
def app_without_context(database_server) -> Iterator[Flask]:
    """An app whose test pushes no app context, so each request pushes and pops its own.

    (The `app` fixture keeps a context open, and a request reuses an open context, so its
    teardown would only run when the test ends.)
    """
    app = create_app("testing", WTF_CSRF_ENABLED=False)  # its own POST routes, not a CSRF test
    if database_server is None:
        with app.app_context():
            _db.create_all()  # the in-memory database lives as long as the engine's pool
    yield app


@pytest.mark.answers("Q076", "Q077")
def test_each_request_gets_its_own_session_and_teardown_removes_it(app_without_context):
    """Inside one request db.session is one Session; after it, its objects are detached."""
    app = app_without_context
    seen = []

    @app.post("/_t/session")
    def remember_session() -> str:
        user = make_user(f"u{len(seen)}")
        _db.session.commit()
        seen.append((_db.session(), _db.session(), user))
        return "ok"

    client = app.test_client()
    assert client.post("/_t/session").status_code == 200
    assert client.post("/_t/session").status_code == 200
    (first, same, user), (second, _, _) = seen
    assert first is same  # one session for the whole request
    assert first is not second  # a new one for the next request
    assert not first.in_transaction()
    assert inspect(user).detached  # session.remove() closed it at teardown


@pytest.mark.answers("Q076", "Q077")
def test_a_request_checks_out_one_connection_and_returns_it(app_without_context):
    """Three statements in a request use one pooled connection, checked in at teardown."""
    app = app_without_context
    with app.app_context():
        make_article(make_user("ann"), "one", tags=["flask"])
        _db.session.commit()
        engine = _db.engine
    events = []
    event.listen(engine, "checkout", lambda *_: events.append("out"))
    event.listen(engine, "checkin", lambda *_: events.append("in"))
    with count_statements(engine) as log:
        response = app.test_client().get("/data/articles")
    assert response.status_code == 200 and response.get_json()["articlesCount"] == 1
    assert log.count == 3
    assert events == ["out", "in"]


@pytest.mark.answers("Q076", "Q077")
def test_a_request_that_raises_after_writing_leaves_no_rows(app_without_context):
    """The view flushes an INSERT, then fails: the 500 is sent and the INSERT is rolled back."""
    app = app_without_context
    flushed = []

    @app.post("/_t/write-then-fail")
    def write_then_fail() -> str:
        make_user("half-done")
        _db.session.flush()  # the row is in the database, inside the open transaction
        flushed.append(_db.session.scalar(select(func.count()).select_from(User)))
        raise RuntimeError("something broke after the write")

    response = app.test_client().post("/_t/write-then-fail", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert flushed == [1]
    with app.app_context():
        assert user_count() == 0


@pytest.mark.answers("Q077")
def test_teardown_removes_but_never_commits(app_without_context):
    """Only an explicit commit() keeps a request's writes; teardown just rolls back and closes."""
    app = app_without_context

    @app.post("/_t/write/<name>")
    def write(name: str) -> str:
        make_user(name)
        if name == "committed":
            _db.session.commit()
        else:
            _db.session.flush()
        return name

    client = app.test_client()
    assert client.post("/_t/write/forgotten").status_code == 200
    assert client.post("/_t/write/committed").status_code == 200
    with app.app_context():
        assert _db.session.scalars(select(User.username)).all() == ["committed"]


@pytest.mark.answers("Q076")
def test_pool_settings_come_from_the_environment(tmp_path):
    """DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_PRE_PING and DB_POOL_RECYCLE reach the pool."""
    from demo.config import DevelopmentConfig

    settings = DevelopmentConfig(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pool.db'}",
            "DB_POOL_SIZE": "3",
            "DB_MAX_OVERFLOW": "2",
            "DB_POOL_PRE_PING": "false",
            "DB_POOL_RECYCLE": "60",
        }
    )
    app = create_app(settings)
    with app.app_context():
        pool = _db.engine.pool
        assert (pool.size(), pool._max_overflow) == (3, 2)
        assert (pool._pre_ping, pool._recycle) == (False, 60)
