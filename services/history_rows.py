"""The `unit_history` rows (each unit's total, rank and grade per assessment and kind) and the
`leaf_history` payloads (one leaf's points, value and met for every unit), written beside the
stored results and read back a few units, or one leaf, at a time.

A leaf's payload is an Arrow IPC stream (zstd; never pickle) of four columns — earned, value,
met, applicable — whose rows are the units in the order of the period's results, i.e. a unit's
`unit_history.position`.

Kept apart from `services.unit_history` (which decides which rows still count) so that the write
path (`services.results`, `services.publishing`) can store them without importing the readers.
The rows of an assessment and kind count only while their stamp's fingerprint is the one the
results would have now; this module only writes and reads, it never judges.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from storage.bulk import copy_rows, driver_connection
from storage.models import LeafHistory, Unit, UnitHistory, UnitHistoryStamp
from storage.sql import upsert
from storage.types import utcnow

_COLUMNS = ("assessment_id", "kind", "unit", "position", "total", "rank", "group_size", "grade", "veto")
_PG_TYPES = ("int4", "text", "text", "int4", "float8", "int4", "int4", "text", "bool")


def _objects(values: pd.Series, cast: type) -> list:
    """Python scalars of `cast`, None where missing (what the driver binds as NULL)."""
    return [None if pd.isna(v) else cast(v) for v in values.to_numpy(dtype=object)]


def store_history(
    session: Session, assessment_id: int, kind: str, fingerprint: str, units: pd.DataFrame, leaves: pd.DataFrame
) -> None:
    """Replace the rows of one assessment and kind by `units` and `leaves` (a single period's
    results: `Results.units`, `Results.leaves`), stamped with `fingerprint`, in the caller's
    transaction."""
    session.execute(delete(UnitHistory).where(UnitHistory.assessment_id == assessment_id, UnitHistory.kind == kind))
    session.execute(delete(LeafHistory).where(LeafHistory.assessment_id == assessment_id, LeafHistory.kind == kind))
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
    payloads = [
        {"assessment_id": assessment_id, "kind": kind, "leaf": leaf, "payload": payload}
        for leaf, payload in leaf_payloads(units, leaves).items()
    ]
    if payloads:
        session.execute(insert(LeafHistory), payloads)
    values = {"assessment_id": assessment_id, "kind": kind, "fingerprint": fingerprint, "computed_at": utcnow()}
    upsert(session, UnitHistoryStamp, values, ["assessment_id", "kind"])


_LEAF_COLUMNS = ("earned", "value", "met", "applicable")
_IPC = ipc.IpcWriteOptions(compression="zstd")


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(integer code per row, the distinct labels as str), reusing a categorical's codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), np.asarray(values.cat.categories.astype(str), dtype=object)
    codes, labels = pd.factorize(values.astype(str))
    return codes, np.asarray(labels, dtype=object)


def leaf_payloads(units: pd.DataFrame, leaves: pd.DataFrame) -> dict[str, bytes]:
    """{leaf code: payload} of every leaf in `leaves`, rows in the order of `units`."""
    n = len(units)
    at = pd.Series(np.arange(n), index=units["unit"].astype(str).to_numpy())
    unit_codes, unit_labels = _codes(leaves["unit"])
    place = at.reindex(unit_labels).fillna(-1).to_numpy(dtype=np.int64)
    row_place = np.where(unit_codes >= 0, place[np.maximum(unit_codes, 0)], -1)
    leaf_codes, leaf_labels = _codes(leaves["leaf"])
    columns = {c: leaves[c].to_numpy(dtype=bool if c == "applicable" else float) for c in _LEAF_COLUMNS}
    order = np.argsort(leaf_codes, kind="stable")
    bounds = np.searchsorted(leaf_codes[order], np.arange(len(leaf_labels) + 1))
    out = {}
    for j, leaf in enumerate(leaf_labels):
        rows = order[bounds[j] : bounds[j + 1]]
        rows = rows[row_place[rows] >= 0]
        arrays = {}
        for c, values in columns.items():
            full = np.zeros(n, dtype=bool) if c == "applicable" else np.full(n, np.nan)
            full[row_place[rows]] = values[rows]
            arrays[c] = full
        sink = pa.BufferOutputStream()
        table = pa.table(arrays)
        with ipc.new_stream(sink, table.schema, options=_IPC) as writer:
            writer.write_table(table)
        out[str(leaf)] = sink.getvalue().to_pybytes()
    return out


def leaf_arrays(payload: bytes) -> dict[str, np.ndarray]:
    """A leaf payload back as {earned, value, met, applicable} arrays (rows by position)."""
    table = ipc.open_stream(pa.py_buffer(payload)).read_all()
    return {c: table.column(c).to_numpy() for c in _LEAF_COLUMNS}


def leaf_payload_rows(session: Session, assessment_ids: Iterable[int], kind: str, leaf: str) -> dict[int, bytes]:
    """{assessment id: payload} of one leaf in those assessments (those whose scheme has it)."""
    ids = list(assessment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(LeafHistory.assessment_id, LeafHistory.payload).where(
            LeafHistory.kind == kind, LeafHistory.leaf == leaf, LeafHistory.assessment_id.in_(ids)
        )
    )
    return {a: p for a, p in rows}


def units_by_position(session: Session, assessment_id: int, kind: str) -> np.ndarray:
    """Every unit code of one assessment's rows, indexed by position."""
    rows = session.execute(
        select(UnitHistory.position, UnitHistory.unit).where(
            UnitHistory.assessment_id == assessment_id, UnitHistory.kind == kind
        )
    ).all()
    out = np.empty(len(rows), dtype=object)
    for position, unit in rows:
        out[position] = unit
    return out


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
