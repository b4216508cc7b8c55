"""An assessment's current values packed into one row, `value_snapshot` (issue 23).

At 40,000 units × 40 leaves a month holds 1.6M current values; selecting them row by row into
Python takes seconds, and most working pages need all of them. So the write path (an import, a
rollback: `services.results.refresh_stored`) packs them once, in the same transaction that
changed them, and readers unpack one row instead. A snapshot is used only while its `revision`
is the assessment's: a writer that bumps the revision without packing leaves a snapshot that is
never read again (the values are then selected as before), never a wrong one.

The format is an Arrow IPC stream, zstd-compressed by Arrow itself, never pickle: unit_id int32
(not the unit code — codes are joined when read, so changing a unit's code never makes a
snapshot wrong), code and assessor dictionary-encoded, value float64 (NaN for blank or 不适用),
na bool, note string ("" for none), submission_id int64, in the order the values were read
(`submission_value.id`). Anything unexpected on the way back is a `ValueError`, which the
reader treats as "no snapshot".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Assessment, Period, Scheme, ValueSnapshot
from storage.sql import upsert
from storage.types import utcnow

FORMAT_VERSION = b"1"
_META_KEY = b"khr.value_snapshot"
_CODEC = "zstd"  # through pyarrow, already a dependency (as services/result_detail.py)
_TEXT = pa.dictionary(pa.int32(), pa.large_string())
SCHEMA = pa.schema(
    [
        ("unit_id", pa.int32()),
        ("code", _TEXT),
        ("assessor", _TEXT),
        ("value", pa.float64()),
        ("na", pa.bool_()),
        ("note", pa.large_string()),
        ("submission_id", pa.int64()),
    ],
    metadata={_META_KEY: FORMAT_VERSION},
)
# Errors that decoding stored bytes can raise; all mean "not a snapshot we can use".
_DECODE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OSError, pa.ArrowException)


def _categories(values: pd.Series) -> pa.DictionaryArray:
    """A categorical column as a dictionary array whose dictionary is the frame's categories, in
    their order (so unpacking rebuilds the very same categories)."""
    cat = pd.Categorical(values)  # (already one: no copy)
    indices = pa.array(np.asarray(cat.codes, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(
        indices, pa.array(np.asarray(cat.categories, dtype=object), pa.large_string())
    )


def _texts(values: pd.Series) -> pa.DictionaryArray:
    """A text column dictionary-encoded by Arrow (in C++; decoded back to texts when read)."""
    return pa.array(values.array, pa.large_string()).dictionary_encode()


def pack(frame: pd.DataFrame, unit_id: np.ndarray) -> bytes:
    """The values frame of `services.values` (its `unit` column replaced by `unit_id`, the ids the
    rows were read with) as bytes that `unpack` reads back."""
    if len(unit_id) != len(frame):
        raise ValueError("value snapshot: unit ids do not match the frame")
    table = pa.Table.from_arrays(
        [
            pa.array(np.asarray(unit_id, dtype=np.int32)),
            _categories(frame["code"]),
            _texts(frame["assessor"]),
            pa.array(frame["value"].to_numpy(dtype=np.float64)),
            pa.array(frame["na"].to_numpy(dtype=bool)),
            pa.array(frame["note"].array, pa.large_string()),
            pa.array(frame["submission_id"].to_numpy(dtype=np.int64)),
        ],
        schema=SCHEMA,
    )
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, SCHEMA, options=ipc.IpcWriteOptions(compression=_CODEC)) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def unpack(payload: bytes) -> pa.Table:
    """The table packed in `payload`. Raises ValueError for anything but an intact payload of
    this format (the columns and types are checked, not trusted)."""
    try:
        table = ipc.open_stream(pa.py_buffer(payload)).read_all()
    except _DECODE_ERRORS as exc:
        raise ValueError(f"value snapshot unreadable: {type(exc).__name__}: {exc}") from exc
    if (table.schema.metadata or {}).get(_META_KEY) != FORMAT_VERSION:
        raise ValueError("not a value snapshot of this format")
    if not table.schema.equals(SCHEMA, check_metadata=False):
        raise ValueError(f"value snapshot columns differ: {table.schema}")
    if table["note"].null_count or table["code"].null_count or table["assessor"].null_count:
        raise ValueError("value snapshot has missing texts")
    return table


# -- the table --------------------------------------------------------------------------------
def store_snapshot(
    session: Session, assessment_id: int, revision: int, frame: pd.DataFrame, unit_id: np.ndarray
) -> int:
    """Keep `frame` as the assessment's current values of `revision` (replacing any older one).
    Returns the payload's size in bytes."""
    payload = pack(frame, unit_id)
    values = {"assessment_id": assessment_id, "revision": revision, "computed_at": utcnow(), "payload": payload}
    upsert(session, ValueSnapshot, values, ["assessment_id"])
    return len(payload)


def load_snapshot(session: Session, assessment_id: int, revision: int) -> pa.Table | None:
    """The stored values if they are of exactly `revision`; None when there are none, they are of
    another revision, or the payload cannot be read (then the values are selected as before)."""
    payload = session.scalar(
        select(ValueSnapshot.payload).where(
            ValueSnapshot.assessment_id == assessment_id, ValueSnapshot.revision == revision
        )
    )
    if payload is None:
        return None
    try:
        return unpack(bytes(payload))
    except ValueError:
        return None


def stale_snapshots(session: Session, scheme_key: str | None = None) -> list[tuple[str, str, str]]:
    """(scheme key, scheme name, period) of every assessment with values whose snapshot is
    missing or of another revision (a database from before snapshots, or a writer that changed
    values without packing them), oldest first."""
    stmt = (
        select(Scheme.key, Scheme.name, Period.label)
        .select_from(Assessment)
        .join(Scheme, Assessment.scheme_id == Scheme.id)
        .join(Period, Assessment.period_id == Period.id)
        .outerjoin(ValueSnapshot, ValueSnapshot.assessment_id == Assessment.id)
        .where(
            Assessment.scheme_version_id.is_not(None),
            or_(ValueSnapshot.revision.is_(None), ValueSnapshot.revision != Assessment.revision),
        )
        .order_by(Scheme.key, Period.label)
    )
    if scheme_key is not None:
        stmt = stmt.where(Scheme.key == scheme_key)
    return [(key, name, label) for key, name, label in session.execute(stmt)]
