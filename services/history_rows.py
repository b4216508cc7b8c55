"""The `unit_history` rows: each unit's total, rank and grade per assessment and kind, written
beside the stored results and read back a few units at a time.

Kept apart from `services.unit_history` (which decides which rows still count) so that the write
path (`services.results`, `services.publishing`) can store them without importing the readers.
The rows of an assessment and kind count only while their stamp's fingerprint is the one the
results would have now; this module only writes and reads, it never judges.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.bulk import copy_rows, driver_connection
from storage.models import Unit, UnitHistory, UnitHistoryStamp
from storage.sql import upsert
from storage.types import utcnow

_COLUMNS = ("assessment_id", "kind", "unit", "position", "total", "rank", "group_size", "grade", "veto")
_PG_TYPES = ("int4", "text", "text", "int4", "float8", "int4", "int4", "text", "bool")


def _objects(values: pd.Series, cast: type) -> list:
    """Python scalars of `cast`, None where missing (what the driver binds as NULL)."""
    return [None if pd.isna(v) else cast(v) for v in values.to_numpy(dtype=object)]


def store_history(session: Session, assessment_id: int, kind: str, fingerprint: str, units: pd.DataFrame) -> None:
    """Replace the rows of one assessment and kind by `units` (a results' units table), stamped
    with `fingerprint`, in the caller's transaction."""
    session.execute(delete(UnitHistory).where(UnitHistory.assessment_id == assessment_id, UnitHistory.kind == kind))
    n = len(units)
    if n:
        columns = [
            [assessment_id] * n,
            [kind] * n,
            units["unit"].astype(str).tolist(),
            np.arange(n).tolist(),
            _objects(units["total"], float),
            _objects(units["rank"], int),
            _objects(units["group_size"], int),
            _objects(units["grade"].astype(object), str),
            units["veto"].astype(bool).tolist(),
        ]
        rows = zip(*columns, strict=True)
        dbapi = driver_connection(session)
        if session.get_bind().dialect.name == "postgresql":
            copy_rows(dbapi, "unit_history", _COLUMNS, _PG_TYPES, rows)
        else:
            cur = dbapi.cursor()
            marks = ", ".join("?" * len(_COLUMNS))
            cur.executemany(f"INSERT INTO unit_history ({', '.join(_COLUMNS)}) VALUES ({marks})", rows)
            cur.close()
    values = {"assessment_id": assessment_id, "kind": kind, "fingerprint": fingerprint, "computed_at": utcnow()}
    upsert(session, UnitHistoryStamp, values, ["assessment_id", "kind"])


def stamps(session: Session, assessment_ids: Iterable[int], kind: str) -> dict[int, str]:
    """{assessment id: fingerprint its rows were written for} of those that have rows."""
    ids = list(assessment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(UnitHistoryStamp.assessment_id, UnitHistoryStamp.fingerprint).where(
            UnitHistoryStamp.kind == kind, UnitHistoryStamp.assessment_id.in_(ids)
        )
    )
    return {a: f for a, f in rows}


def stored_rows(session: Session, assessment_ids: Iterable[int], kind: str, units: list[str]) -> pd.DataFrame:
    """The rows of `units` in those assessments (one query on the unit's index), with the unit's
    name in the register now ('' when it has none): assessment_id, position, unit, name, total,
    rank, group_size, grade, veto."""
    ids = list(assessment_ids)
    columns = ["assessment_id", "position", "unit", "name", "total", "rank", "group_size", "grade", "veto"]
    if not ids or not units:
        return pd.DataFrame({c: [] for c in columns})
    h = UnitHistory
    stmt = (
        select(h.assessment_id, h.position, h.unit, Unit.name, h.total, h.rank, h.group_size, h.grade, h.veto)
        .outerjoin(Unit, Unit.code == h.unit)
        .where(h.unit.in_(units), h.kind == kind, h.assessment_id.in_(ids))
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)
