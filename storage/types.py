"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# A 64-bit key on PostgreSQL; on SQLite only a column declared exactly INTEGER PRIMARY KEY is the
# rowid and gets its value assigned, so the same column is plain INTEGER there (also 64-bit).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def Code(length: int) -> String:  # noqa: N802 - used like a type
    """Text compared byte by byte: codes sort the same on both databases, and PostgreSQL builds
    indexes on them faster than with a language collation (SQLite compares bytes anyway)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC on both databases and returned timezone-aware (UTC).

    SQLite has no time zone type and compares timestamps as text, so every value is normalised
    to UTC before it is written: then text order is time order, and "as of" queries work.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (e.g. datetime.now(UTC))")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
