"""Flask-Migrate: the committed migrations build, tear down and rebuild the schema on a
fresh database, and autogenerate finds nothing the models have that they lack."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.schema import CreateSchema, DropIndex, DropSchema

import demo.models  # noqa: F401  (registers every table on db.metadata)
from demo import create_app
from demo.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
MODEL_TABLES = set(db.metadata.tables)


@pytest.fixture
def fresh_database_url(database_server, tmp_path) -> Iterator[str]:
    """An empty database of the backend under test: a SQLite file, or a scratch PG schema."""
    if database_server is None:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"migration_test_{uuid4().hex[:12]}"
    with database_server.begin() as connection:
        connection.execute(CreateSchema(schema))
    # Every connection of the app then creates and finds its tables in the scratch schema.
    url = database_server.url.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with database_server.begin() as connection:
        connection.execute(DropSchema(schema, cascade=True))


@pytest.fixture
def fresh_app(fresh_database_url) -> Iterator[Flask]:
    """An app on the fresh database; the test drives it through `flask db ...` commands."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=fresh_database_url)
    yield app
    with app.app_context():
        db.engine.dispose()  # before the scratch schema is dropped


def flask_db(app: Flask, *args: str) -> int:
    """Run `flask db <args>` through the app's CLI and return its exit code.

    (Alembic prints to the real stdout, not the runner's, so the database is inspected
    instead of the command's output.)
    """
    return app.test_cli_runner().invoke(args=["db", *args, "--directory", MIGRATIONS]).exit_code


def current_revision(app: Flask) -> str | None:
    """The revision stamped in the database's alembic_version table."""
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def script_directory(app: Flask) -> ScriptDirectory:
    """The migration scripts, read the way `flask db` reads them."""
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
    return ScriptDirectory.from_config(config)


def tables(app: Flask) -> set[str]:
    """Tables that exist in the app's database right now."""
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


@pytest.mark.answers("Q058", "Q059", "Q078", "Q079")
def test_upgrade_downgrade_to_base_and_upgrade_again_on_a_fresh_database(fresh_app):
    """`flask db upgrade` builds every table from empty, `downgrade base` removes them all."""
    head = script_directory(fresh_app).get_current_head()
    assert tables(fresh_app) == set() and len(MODEL_TABLES) == 12
    assert flask_db(fresh_app, "upgrade") == 0
    assert tables(fresh_app) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(fresh_app) == head

    assert flask_db(fresh_app, "downgrade", "base") == 0
    assert tables(fresh_app) == {"alembic_version"}
    assert current_revision(fresh_app) is None

    assert flask_db(fresh_app, "upgrade") == 0
    assert tables(fresh_app) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(fresh_app) == head
    # What `make run` does next: the migrated schema takes the demo data.
    seeded = fresh_app.test_cli_runner().invoke(args=["seed"])
    assert seeded.exit_code == 0 and "articles: 6 (6 new)" in seeded.output


@pytest.mark.answers("Q058", "Q078", "Q079")
def test_models_and_migrations_agree(fresh_app):
    """After `upgrade`, `flask db check` (autogenerate compare) finds no difference."""
    assert flask_db(fresh_app, "upgrade") == 0
    assert flask_db(fresh_app, "check") == 0


@pytest.mark.answers("Q078", "Q079")
def test_check_fails_when_the_database_drifts_from_the_models(fresh_app, caplog):
    """Drop one index by hand and `flask db check` exits 1 naming the missing index."""
    assert flask_db(fresh_app, "upgrade") == 0
    index = next(i for i in db.metadata.tables["comments"].indexes if i.name.endswith("author_id"))
    with fresh_app.app_context(), db.engine.begin() as connection:
        connection.execute(DropIndex(index))
    caplog.set_level(logging.ERROR, logger="flask_migrate")
    assert flask_db(fresh_app, "check") == 1
    assert "ix_comments_author_id" in caplog.text


@pytest.mark.answers("Q059", "Q079")
def test_history_is_one_linear_chain_with_one_head(fresh_app):
    """One head (no unmerged branches); walking down from it ends at a single base."""
    scripts = script_directory(fresh_app)
    assert len(scripts.get_heads()) == 1
    chain = list(scripts.walk_revisions())
    assert [r.down_revision for r in chain][-1] is None
    assert all(isinstance(r.down_revision, str) for r in chain[:-1])  # no merge points


BEFORE_AUTOINCREMENT = "76ec8586c681"


@pytest.mark.answers("Q074", "Q079")
def test_sqlite_rebuild_adds_autoincrement_and_keeps_every_row(tmp_path):
    """Rebuilding tables on SQLite cascades into nothing: rows and links all survive.

    Runs on a SQLite file whatever the backend under test: the migration only rebuilds
    there (PostgreSQL's sequences never reuse ids). Foreign keys are enforced again after.
    """
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    assert flask_db(app, "upgrade", BEFORE_AUTOINCREMENT) == 0
    stamp = "'2026-01-01 00:00:00'"
    with app.app_context(), db.engine.begin() as connection:
        run = connection.exec_driver_sql
        run("INSERT INTO roles (name) VALUES ('viewer')")
        for name in ("ann", "bob"):
            run(
                "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
                f"VALUES ('{name}', '{name}@example.com', 'x', {stamp}, {stamp})"
            )
        run("INSERT INTO user_roles (user_id, role_id) VALUES (1, 1)")
        run("INSERT INTO follows (follower_id, followed_id) VALUES (1, 2)")
        run(
            "INSERT INTO articles (slug, title, description, body, author_id, created_at, "
            f"updated_at) VALUES ('a', 'A', 'd', 'b', 2, {stamp}, {stamp})"
        )
        run(
            "INSERT INTO comments (body, article_id, author_id, created_at, updated_at) "
            f"VALUES ('hi', 1, 1, {stamp}, {stamp})"
        )

    assert flask_db(app, "upgrade") == 0

    with app.app_context(), db.engine.connect() as connection:
        run = connection.exec_driver_sql
        assert run("SELECT follower_id, followed_id FROM follows").all() == [(1, 2)]
        assert run("SELECT user_id, role_id FROM user_roles").all() == [(1, 1)]
        assert run("SELECT id, author_id FROM articles").all() == [(1, 2)]
        assert run("SELECT id, article_id, author_id FROM comments").all() == [(1, 1, 1)]
        definitions = dict(run("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
        assert run("PRAGMA foreign_keys").scalar() == 1
    for table in ("roles", "users", "tags", "articles", "comments", "api_keys"):
        assert "PRIMARY KEY AUTOINCREMENT" in definitions[table], table
    assert "CHECK (size >= 0)" in definitions["uploaded_files"]  # constraints are kept
    assert flask_db(app, "check") == 0
    with app.app_context():
        db.engine.dispose()
