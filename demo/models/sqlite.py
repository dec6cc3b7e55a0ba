"""Make SQLite behave as PostgreSQL does where it matters to the app (Q074).

- Foreign keys: SQLite parses ``FOREIGN KEY ... ON DELETE CASCADE`` but ignores it unless
  each connection runs ``PRAGMA foreign_keys = ON``. The listener is attached to every
  `Engine` once, at import, and acts only on SQLite connections.
- Ids are never handed out twice: without ``AUTOINCREMENT`` SQLite gives a new row the
  largest id in the table plus one, so deleting the newest user and registering another
  reuses the id. A token or session cookie names its user by id, so the deleted user's
  still-valid tokens would then sign in as the new one. Every table with an integer id
  therefore carries `NEVER_REUSE_IDS`, as PostgreSQL's sequences behave anyway.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Table options for every model with an integer surrogate key (ignored by other databases).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


@event.listens_for(Engine, "connect")
def enable_sqlite_foreign_keys(dbapi_connection: Any, _connection_record: Any) -> None:
    """Turn on foreign-key enforcement for each new SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
