"""Column types and mixins shared by the models: aware UTC timestamps (Q146).

SQLite has no time-zone-aware column type and hands back naive datetimes, while PostgreSQL's
``timestamptz`` hands back aware ones in the session's time zone. `UTCDateTime` hides the
difference: it refuses naive input, stores UTC, and always returns aware UTC datetimes, so
application code behaves the same on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time as an aware UTC datetime; passed (uncalled) as a column default."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``TIMESTAMP WITH TIME ZONE`` that always round-trips aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive value is ambiguous (local time? UTC?); guessing corrupts data silently.
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        # SQLite's DATETIME stores text without an offset; store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    """`created_at` set on INSERT and `updated_at` refreshed on every UPDATE, by callables.

    The default is the function `utcnow`, not `utcnow()`: a value computed at import time
    would stamp every row with the moment the process started.
    """

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
