"""The fast paths: loading many value rows and reading them back as columns.

Loading goes through the driver, not the ORM: `executemany` on SQLite (one prepared statement,
rows bound in C) and `COPY … FROM STDIN` on PostgreSQL. Both run on the session's connection, so
they are part of the caller's transaction and vanish with it on rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

VALUE_COLUMNS = ("submission_id", "assessment_id", "unit_id", "code", "assessor", "value", "na", "note", "current")
# PostgreSQL types of VALUE_COLUMNS, for binary COPY.
_PG_TYPES = ("int4", "int4", "int4", "text", "text", "float8", "bool", "text", "bool")


def driver_connection(session: Session) -> Any:
    """The DB-API connection under the session (sqlite3 or psycopg), in its current transaction."""
    return session.connection().connection.driver_connection


def insert_values(session: Session, columns: dict[str, Sequence[Any]], table: str = "submission_value") -> int:
    """Insert rows given column-wise (VALUE_COLUMNS, Python scalars or None). Returns the count."""
    cols = [columns[c] for c in VALUE_COLUMNS]
    n = len(cols[0])
    if n == 0:
        return 0
    rows = zip(*cols)
    dbapi = driver_connection(session)
    if session.get_bind().dialect.name == "postgresql":
        copy_rows(dbapi, table, VALUE_COLUMNS, _PG_TYPES, rows)
    else:
        marks = ", ".join("?" * len(VALUE_COLUMNS))
        cur = dbapi.cursor()
        cur.executemany(f"INSERT INTO {table} ({', '.join(VALUE_COLUMNS)}) VALUES ({marks})", rows)
        cur.close()
    return n


def copy_rows(dbapi: Any, table: str, names: Sequence[str], types: Sequence[str], rows: Any) -> None:
    """COPY rows into a PostgreSQL table in binary format (no text escaping, no parsing)."""
    with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def fetch_columns(session: Session, sql: str, params: Sequence[Any] = ()) -> list[list[Any]]:
    """Run a driver-level SELECT and return its result column by column.

    `sql` uses `?` placeholders; they are rewritten for psycopg. Skipping SQLAlchemy's row
    objects matters when a period has hundreds of thousands of values.
    """
    dbapi = driver_connection(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    cur = dbapi.cursor()
    try:
        cur.execute(sql.replace("?", "%s") if postgres else sql, tuple(params))
        rows = cur.fetchall()
        width = len(cur.description)
    finally:
        cur.close()
    if not rows:
        return [[] for _ in range(width)]
    return [list(col) for col in zip(*rows)]


def floats_or_none(values: np.ndarray) -> list[float | None]:
    """Python floats with NaN as None (NULL): SQLite would store NaN as NULL anyway, PG as NaN."""
    out: list[float | None] = values.astype(float).tolist()
    if np.isnan(values).any():
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
    return out
