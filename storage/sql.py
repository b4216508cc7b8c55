"""Small SQL helpers that need a different spelling on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base, Counter


def _insert(session: Session, model: type[Base]):  # noqa: ANN202 - dialect-specific Insert
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_or_ignore(session: Session, model: type[Base], values: dict[str, Any], keys: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: get-or-create that two processes can race safely."""
    session.execute(_insert(session, model).values(**values).on_conflict_do_nothing(index_elements=keys))


def upsert(session: Session, model: type[Base], values: dict[str, Any], keys: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE of every non-key column."""
    stmt = _insert(session, model).values(**values)
    changed = {k: stmt.excluded[k] for k in values if k not in keys}
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))


def for_update(session: Session, stmt: Select, model: type[Base], shared: bool = False) -> Select:
    """Lock the selected rows of `model` on PostgreSQL (SQLite has one writer, so it needs none)."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(read=shared, of=model)
    return stmt


def bump_counter(session: Session, name: str) -> int:
    """Add one to a named counter and return the new value."""
    insert_or_ignore(session, Counter, {"name": name, "value": 0}, ["name"])
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    return session.execute(select(Counter.value).where(Counter.name == name)).scalar_one()


def counter_value(session: Session, name: str) -> int:
    return session.execute(select(Counter.value).where(Counter.name == name)).scalar_one_or_none() or 0
