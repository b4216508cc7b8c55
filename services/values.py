"""Reading values: the current ones of an assessment, the ones in force at a past moment, and the
history of one cell. The frames have the engine's long layout, ready for `scoring.score`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, bindparam, select, text
from sqlalchemy.orm import Session

from services._db import DISPLAY_TZ, local_time, read
from services.errors import InvalidInput, NotFound
from services.permissions import require
from services.value_snapshot import load_snapshot, store_snapshot
from storage.bulk import fetch_columns
from storage.models import Assessment, Period, Submission, SubmissionValue, Unit
from storage.models import Scheme as SchemeRow
from storage.types import UTCDateTime

VALUE_FRAME_COLUMNS = ["period", "unit", "code", "value", "na", "assessor", "note", "submission_id"]


@dataclass(frozen=True)
class AssessmentRef:
    """An assessment as the reads need it: ids, its revision and the version its values use."""

    id: int
    scheme_key: str
    period: str
    revision: int
    scheme_version_id: int | None


def find_assessment(session: Session, scheme_key: str, period: str) -> AssessmentRef | None:
    row = session.execute(
        select(Assessment.id, Assessment.revision, Assessment.scheme_version_id)
        .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Assessment.period_id == Period.id)
        .where(SchemeRow.key == scheme_key, Period.label == period)
    ).one_or_none()
    return None if row is None else AssessmentRef(row[0], scheme_key, period, row[1], row[2])


def _unit_codes(session: Session) -> np.ndarray:
    """Unit id -> code, as an array indexed by id (ids are small dense integers)."""
    ids, codes = fetch_columns(session, "SELECT id, code FROM unit")
    table = np.full(max(ids, default=0) + 1, "", dtype=object)
    table[np.asarray(ids, dtype=np.int64)] = codes
    return table


def _frame(session: Session, period: str, cols: list[list]) -> pd.DataFrame:
    unit_id, code, assessor, value, na, note, submission = cols
    codes = _unit_codes(session)
    return pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(np.zeros(len(unit_id), dtype=np.int8), [period]),
            "unit": pd.Categorical(codes[np.asarray(unit_id, dtype=np.int64)] if unit_id else []),
            "code": pd.Categorical(code),
            "value": np.asarray(value, dtype=float) if value else np.array([], dtype=float),
            "na": np.asarray(na, dtype=bool),
            "assessor": pd.array(assessor, dtype="str"),
            "note": pd.array([n or "" for n in note], dtype="str"),
            "submission_id": np.asarray(submission, dtype=np.int64),
        }
    )


def _snapshot_frame(session: Session, period: str, table: pa.Table) -> pd.DataFrame:
    """The frame `_frame` gives for the same values, from a snapshot's columns (services/
    value_snapshot.py): the same columns, dtypes, categories and row order, built from arrays
    instead of Python objects."""
    n = table.num_rows
    if n == 0:
        return _frame(session, period, [[] for _ in range(7)])
    unit_id = table["unit_id"].to_numpy()
    # The unit codes of the ids present, in the order pd.Categorical gives them (sorted): mapped
    # through a table indexed by id, not by factorising 1.6M texts again.
    present = np.zeros(int(unit_id.max()) + 1, dtype=bool)
    present[unit_id] = True
    ids = np.flatnonzero(present)
    units = pd.Categorical(_unit_codes(session)[ids])
    at = np.empty(len(present), dtype=np.int64)
    at[ids] = units.codes
    code = table["code"].combine_chunks()
    return pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [period]),
            "unit": pd.Categorical.from_codes(at[unit_id], dtype=units.dtype),
            "code": pd.Categorical.from_codes(
                code.indices.to_numpy(), pd.Index(code.dictionary.to_numpy(zero_copy_only=False), dtype="str")
            ),
            # copies: writable, as the selected frame's (Arrow's buffers are read-only)
            "value": table["value"].to_numpy().copy(),
            "na": table["na"].to_numpy(),
            "assessor": pd.array(table["assessor"], dtype="str"),
            "note": pd.array(table["note"], dtype="str"),
            "submission_id": table["submission_id"].to_numpy().copy(),
        }
    )


def empty_values() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in VALUE_FRAME_COLUMNS})


_CURRENT_SQL = (
    "SELECT unit_id, code, assessor, value, na, note, submission_id FROM submission_value "
    "WHERE assessment_id = ? AND current"
)


def _current_columns(session: Session, ref: AssessmentRef, codes: list[str] | None = None) -> list[list]:
    """The current values' columns (of `codes` only, if given), in `submission_value.id` order:
    one order for the values selected and the snapshot packed from them.

    SQLite's index already gives that order, so ORDER BY costs nothing there. PostgreSQL returns
    rows in heap order and, asked for ORDER BY id, sorts them or even walks the primary key over
    every assessment: the ids come along instead and the rows are reordered here, only when they
    are not in order already (after a rollback restored older rows)."""
    where, params = "", (ref.id,)
    if codes is not None:
        where, params = f" AND code IN ({', '.join('?' for _ in codes)})", (ref.id, *codes)
    if session.get_bind().dialect.name != "postgresql":
        return fetch_columns(session, f"{_CURRENT_SQL}{where} ORDER BY id", params)
    ids, *cols = fetch_columns(session, f"SELECT id, {_CURRENT_SQL.removeprefix('SELECT ')}{where}", params)
    at = np.asarray(ids, dtype=np.int64)
    if len(at) > 1 and not (at[1:] > at[:-1]).all():
        pick = itemgetter(*np.argsort(at, kind="stable").tolist())  # C speed, not a Python loop
        cols = [list(pick(c)) for c in cols]
    return cols


def current_values_in(session: Session, ref: AssessmentRef) -> pd.DataFrame:
    """Within the caller's transaction (so it agrees with the revision the caller read).

    From the assessment's snapshot when it is of `ref.revision` (one row unpacked), else
    selected row by row."""
    table = load_snapshot(session, ref.id, ref.revision)
    if table is not None:
        return _snapshot_frame(session, ref.period, table)
    return _frame(session, ref.period, _current_columns(session, ref))


def refresh_snapshot_in(session: Session, ref: AssessmentRef) -> pd.DataFrame:
    """Select the current values, store them as the snapshot of `ref.revision` and return them:
    for the write path, in the transaction that just changed them (`ref` read after the change)."""
    cols = _current_columns(session, ref)
    unit_id = np.asarray(cols[0], dtype=np.int32)
    frame = _frame(session, ref.period, cols)
    store_snapshot(session, ref.id, ref.revision, frame, unit_id)
    return frame


def current_values_of_codes_in(session: Session, ref: AssessmentRef, codes: list[str]) -> pd.DataFrame:
    """The values in force of a few codes only (the baselines of leaves scored on change): a
    bounded read, not the whole period."""
    if not codes:
        return _frame(session, ref.period, [[] for _ in range(7)])
    return _frame(session, ref.period, _current_columns(session, ref, codes))


def current_values(scheme_key: str, period: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """The values in force now: columns period, unit (code), code, value (NaN if blank or 不适用),
    na, assessor, note, submission_id. Empty when nothing was imported."""
    require("results.all")

    def work(session: Session) -> pd.DataFrame:
        ref = find_assessment(session, scheme_key, period)
        return empty_values() if ref is None else current_values_in(session, ref)

    return read(engine, work)


_AS_OF_SQL = text(
    """
    SELECT unit_id, code, assessor, value, na, note, submission_id, scheme_version_id FROM (
        SELECT v.unit_id, v.code, v.assessor, v.value, v.na, v.note, v.submission_id, s.scheme_version_id,
               ROW_NUMBER() OVER (PARTITION BY v.unit_id, v.code, v.assessor ORDER BY v.submission_id DESC) AS rn
        FROM submission_value v JOIN submission s ON s.id = v.submission_id
        WHERE v.assessment_id = :a AND s.submitted_at <= :t AND (s.rolled_back_at IS NULL OR s.rolled_back_at > :t)
    ) latest WHERE rn = 1
    """
).bindparams(bindparam("t", type_=UTCDateTime()))


def aware(at: datetime) -> datetime:
    """A moment given without a time zone is read in the display time zone (Beijing time)."""
    return at.replace(tzinfo=DISPLAY_TZ) if at.tzinfo is None else at


def values_as_of_in(session: Session, ref: AssessmentRef, at: datetime) -> tuple[pd.DataFrame, int | None]:
    """The values in force at `at`, and the scheme version they use (None if there were none)."""
    rows = session.execute(_AS_OF_SQL, {"a": ref.id, "t": aware(at)}).all()
    cols = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    versions = set(cols[7])
    if len(versions) > 1:  # cannot happen: an import into a period in use by another version is refused
        raise InvalidInput(f"{ref.period} 在 {local_time(aware(at))} 时的数据混用了多个方案版本")
    return _frame(session, ref.period, cols[:7]), (versions.pop() if versions else None)


def values_as_of(scheme_key: str, period: str, at: datetime, *, engine: Engine | None = None) -> pd.DataFrame:
    """The values that were current at `at` (same columns as `current_values`): every submission
    made by then and not yet rolled back by then, the latest per cell."""
    require("results.all")

    def work(session: Session) -> pd.DataFrame:
        ref = find_assessment(session, scheme_key, period)
        return empty_values() if ref is None else values_as_of_in(session, ref, at)[0]

    return read(engine, work)


def cell_history(scheme_key: str, period: str, unit: str, code: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """Every value one unit's input code ever had in a period (all assessors), oldest first:
    submission_id, submitted_by, submitted_at, time, assessor, value, na, note, current, status."""
    require("results.all")

    def work(session: Session) -> list[tuple]:
        ref = find_assessment(session, scheme_key, period)
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
        if unit_id is None:
            raise NotFound(f"没有编码为 {unit} 的单位")
        if ref is None:
            return []
        v = SubmissionValue
        stmt = (
            select(v.submission_id, Submission.submitted_by, Submission.submitted_at, v.assessor, v.value, v.na, v.note,
                   v.current, Submission.status)
            .join(Submission, Submission.id == v.submission_id)
            .where(v.assessment_id == ref.id, v.unit_id == unit_id, v.code == code)
            .order_by(v.submission_id, v.assessor)
        )  # fmt: skip
        return [tuple(r) for r in session.execute(stmt)]

    rows = read(engine, work)
    cols = ["submission_id", "submitted_by", "submitted_at", "assessor", "value", "na", "note", "current", "status"]
    out = pd.DataFrame(rows, columns=cols)
    out.insert(3, "time", [local_time(t) for t in out["submitted_at"]])
    out["value"] = out["value"].astype(float)
    out["note"] = out["note"].fillna("")
    return out


def submission_values(submission_id: int, *, engine: Engine | None = None) -> pd.DataFrame:
    """The values one submission carried, whether still current or not (extra column `current`)."""
    require("submissions.read")

    def work(session: Session) -> pd.DataFrame:
        label = session.scalar(
            select(Period.label)
            .join(Assessment, Assessment.period_id == Period.id)
            .join(Submission, Submission.assessment_id == Assessment.id)
            .where(Submission.id == submission_id)
        )
        if label is None:
            raise NotFound(f"没有编号为 #{submission_id} 的提交")
        cols = fetch_columns(
            session,
            "SELECT unit_id, code, assessor, value, na, note, submission_id, current FROM submission_value"
            " WHERE submission_id = ? ORDER BY id",
            (submission_id,),
        )
        out = _frame(session, label, cols[:7])
        out["current"] = np.asarray(cols[7], dtype=bool)
        return out

    return read(engine, work)


def periods_with_values(scheme_key: str, *, engine: Engine | None = None) -> list[str]:
    """Periods in which the scheme has current values, oldest first."""

    def work(session: Session) -> list[str]:
        stmt = (
            select(Period.label)
            .join(Assessment, Assessment.period_id == Period.id)
            .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
            .where(SchemeRow.key == scheme_key, Assessment.scheme_version_id.is_not(None))
            .order_by(Period.label)
        )
        return list(session.scalars(stmt))

    return read(engine, work)
