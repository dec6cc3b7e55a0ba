"""Make SQLite enforce foreign keys, so ``ON DELETE`` behaves as on PostgreSQL (Q074).

SQLite parses ``FOREIGN KEY ... ON DELETE CASCADE`` but ignores it unless each connection
runs ``PRAGMA foreign_keys = ON``. The listener is attached to every `Engine` once, at
import, and acts only on SQLite connections.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def enable_sqlite_foreign_keys(dbapi_connection: Any, _connection_record: Any) -> None:
    """Turn on foreign-key enforcement for each new SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
