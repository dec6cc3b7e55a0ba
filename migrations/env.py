"""Alembic environment, run by every `flask db ...` command (Q058, Q059, Q078, Q079).

Flask-Migrate calls this inside an app context, so the database URL and the metadata come
from the app: the same script migrates SQLite in development and PostgreSQL in production.
"""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy import text

from demo.models.types import UTCDateTime

# Any fixed 64-bit number; it names the advisory lock that serialises concurrent upgrades.
MIGRATION_LOCK = 7_042_001

config = context.config
# No fileConfig(): it would replace the handlers demo/logs.py installed on the root logger.
logger = logging.getLogger("alembic.env")


def get_engine() -> Any:
    """The engine Flask-SQLAlchemy built for the current app."""
    return current_app.extensions["migrate"].db.engine


def get_metadata() -> Any:
    """The metadata every model registered on (demo.models is imported by create_app)."""
    return current_app.extensions["migrate"].db.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write UTCDateTime as a plain timezone-aware DateTime in migration scripts.

    The Python-side conversion does not change the schema, and keeping project classes
    out of the scripts means old migrations still run after the code moves on.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_autogenerate(context_: Any, revision: Any, directives: list[Any]) -> None:
    """`flask db migrate` with no model changes writes no empty revision file."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    context.configure(
        url=get_engine().url.render_as_string(hide_password=False),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection, one transaction for the lot."""
    # Flask-Migrate's defaults: compare_type=True, render_as_batch=True.
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        # Other databases get plain ALTER statements in newly generated scripts.
        options["render_as_batch"] = sqlite
        if sqlite:
            # A rebuild drops the old table, and with foreign keys enforced that DROP would
            # first delete (ON DELETE CASCADE) every row that points at it. The pragma only
            # works outside a transaction, so it is set here, before the migrations begin.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            # End the transaction SQLAlchemy began for it, or Alembic would join that one
            # and never commit.
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            render_item=render_item,
            **options,
        )
        try:
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Several app instances may start at once and all run `flask db upgrade`:
                    # a transaction-scoped advisory lock lets one migrate while the others
                    # wait, then find nothing left to do.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                    )
                context.run_migrations()
                if sqlite:
                    # What enforcement would have refused, checked once at the end: a
                    # migration that leaves a dangling reference fails and is rolled back.
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"migrations left dangling foreign keys: {dangling}")
        finally:
            if sqlite:
                # Whatever happened: the connection goes back to the pool enforcing again.
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
