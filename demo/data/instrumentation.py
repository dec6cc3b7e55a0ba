"""Count the SQL statements an engine runs, to make N+1 problems visible (Q147).

SQLAlchemy fires ``before_cursor_execute`` once per statement sent to the database, so a
listener on it counts exactly what reaches the server, lazy loads included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementLog:
    """The statements (SQL text and bound parameters) seen while counting, in order."""

    statements: list[str] = field(default_factory=list)
    parameters: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementLog]:
    """Record every statement `engine` executes inside the ``with`` block.

    The listener is attached for the block only; use it in tests and one-off diagnostics,
    not around concurrent requests (it would count every thread's statements).
    """
    log = StatementLog()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        log.statements.append(statement)
        log.parameters.append(parameters)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)
