"""Each assessment's current values packed in one row (services/value_snapshot.py, issue 23):
the frame read from it is identical to the one selected row by row, after every writer; a
snapshot of another revision, or one that cannot be read, is never used; unit codes are joined
when read; migration 0008; `results warm` fills what an older database lacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import NA, SmallDb
from sqlalchemy import Engine, delete, inspect, select, update

from services import submissions
from services import value_snapshot as vs
from services import values as vals
from services.results import warm_stored
from services.values import AssessmentRef, current_values_in, find_assessment
from storage.bulk import fetch_columns
from storage.db import alembic_config, reading, writing
from storage.models import Assessment, Unit, ValueSnapshot

M = "2025-03"
FULL = {"U1": {"D1": 40, "D2": 25, "K1": 1}, "U2": {"D1": 50, "D2": NA, "K1": 0}, "U3": {"D1": None, "D2": 3, "K1": 2}}


# -- pack and unpack, without a database --------------------------------------------------------
UNIT_CODES = np.array(["", "U1", "单位二", "U3", "", "Z-9"], dtype=object)  # indexed by unit id


def selected(cols: list[list], period: str = M) -> pd.DataFrame:
    """The SQL path's frame for these selected columns."""
    return vals._frame(None, period, cols)  # type: ignore[arg-type]


def round_trip(cols: list[list], period: str = M) -> pd.DataFrame:
    frame = selected(cols, period)
    table = vs.unpack(vs.pack(frame, np.asarray(cols[0], dtype=np.int32)))
    return vals._snapshot_frame(None, period, table)  # type: ignore[arg-type]


@pytest.fixture
def unit_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vals, "_unit_codes", lambda _session: UNIT_CODES)


def assert_identical(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, dtypes (categories and their order included), values and row order."""
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    for c in ("period", "unit", "code"):
        pd.testing.assert_index_equal(got[c].cat.categories, expected[c].cat.categories, exact=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=True)


def test_a_round_trip_gives_the_selected_frame(unit_codes: None) -> None:
    cols = [
        [3, 1, 2, 5, 1, 2],
        ["D2", "D1", "指标甲", "D1", "K1", "D1"],
        ["", "张三", "", "李四（组长）", "", "张三"],
        [1.5, None, float("nan"), 0.0, -2.0, 1e300],  # blank (NULL) and NaN both NaN
        [False, True, False, False, False, True],  # 不适用
        [None, "", "备注：含中文", "note", None, "é"],  # none and empty notes both ""
        [7, 7, 8, 9, 2**40, 7],
    ]
    back = round_trip(cols)
    assert_identical(back, selected(cols))
    assert back["unit"].astype(str).tolist() == ["U3", "U1", "单位二", "Z-9", "U1", "单位二"]
    assert back["value"].isna().tolist() == [False, True, True, False, False, False]
    assert back["note"].tolist() == ["", "", "备注：含中文", "note", "", "é"]
    back.loc[0, "value"] = 9.0  # writable, as the selected frame is
    assert back["value"].iloc[0] == 9.0


def test_an_empty_assessment_round_trips(unit_codes: None) -> None:
    cols: list[list] = [[] for _ in range(7)]
    assert_identical(round_trip(cols), selected(cols))


def test_many_codes_and_assessors_round_trip(unit_codes: None) -> None:
    """Beyond 127 and 32,767 categories pandas widens its codes: the dictionary does not care."""
    n = 40_000
    rng = np.random.default_rng(1)
    cols = [
        rng.integers(1, 6, n).tolist(),
        [f"码{i % 300}" for i in range(n)],
        [f"考核人{i}" for i in range(n)],
        rng.normal(size=n).tolist(),
        (rng.random(n) < 0.1).tolist(),
        [None if i % 3 else f"说明{i}" for i in range(n)],
        rng.integers(1, 1000, n).tolist(),
    ]
    assert_identical(round_trip(cols), selected(cols))


def test_a_foreign_or_corrupt_payload_is_refused() -> None:
    frame = pd.DataFrame({"a": [1]})
    import pyarrow as pa

    other = pa.BufferOutputStream()
    with pa.ipc.new_stream(other, pa.schema([("a", pa.int64())])) as w:
        w.write_table(pa.Table.from_pandas(frame, preserve_index=False))
    for payload in (b"", b"not arrow", other.getvalue().to_pybytes()):
        with pytest.raises(ValueError):
            vs.unpack(payload)


# -- in the database, after every writer ----------------------------------------------------------
def ref_of(engine: Engine, period: str = M) -> AssessmentRef:
    with reading(engine) as s:
        ref = find_assessment(s, "t", period)
    assert ref is not None
    return ref


def sql_path(engine: Engine, ref: AssessmentRef) -> pd.DataFrame:
    with reading(engine) as s:
        return vals._frame(s, ref.period, vals._current_columns(s, ref))


def in_id_order(engine: Engine, ref: AssessmentRef) -> pd.DataFrame:
    """The current values as the database sorts them by id (on PostgreSQL not the heap order
    once a rollback has restored older rows)."""
    with reading(engine) as s:
        return vals._frame(s, ref.period, fetch_columns(s, vals._CURRENT_SQL + " ORDER BY id", (ref.id,)))


def read_both(engine: Engine, period: str = M) -> tuple[pd.DataFrame, bool]:
    """current_values_in's frame (checked identical to the SQL path's, and in id order) and
    whether a snapshot of the assessment's revision was there to give it."""
    ref = ref_of(engine, period)
    with reading(engine) as s:
        used = vs.load_snapshot(s, ref.id, ref.revision) is not None
        got = current_values_in(s, ref)
    assert_identical(got, sql_path(engine, ref))
    assert_identical(got, in_id_order(engine, ref))
    return got, used


def cells(frame: pd.DataFrame) -> dict[tuple[str, str, str], object]:
    return {
        (str(u), str(c), a): NA if n else (None if np.isnan(v) else v)
        for u, c, a, v, n in zip(
            frame["unit"], frame["code"], frame["assessor"], frame["value"], frame["na"], strict=True
        )
    }


def test_every_writer_leaves_a_snapshot_identical_to_the_selected_values(small: SmallDb) -> None:
    first = small.put(M, FULL)
    got, used = read_both(small.engine)
    assert used and cells(got)[("U1", "D1", "")] == 40 and cells(got)[("U2", "D2", "")] == NA
    assert cells(got)[("U3", "D1", "")] is None

    small.put(M, FULL)  # identical: nothing changes, the snapshot still holds
    assert read_both(small.engine)[1]

    correction = small.put(M, {"U1": {"D1": 10}, "U4": {"D1": 1, "D2": 2, "K1": 0}})  # supersedes one cell
    got, used = read_both(small.engine)
    assert used and cells(got)[("U1", "D1", "")] == 10 and ("U4", "K1", "") in cells(got)
    assert set(got["submission_id"]) == {first.submission_id, correction.submission_id}

    small.put(M, {"U1": {"D1": 20}}, assessor="王五")  # another assessor's cell, beside the first
    got, used = read_both(small.engine)
    assert used and cells(got)[("U1", "D1", "王五")] == 20 and cells(got)[("U1", "D1", "")] == 10

    submissions.rollback(correction.submission_id, "管理员", engine=small.engine)  # restores 40
    got, used = read_both(small.engine)
    assert used and cells(got)[("U1", "D1", "")] == 40 and ("U4", "K1", "") not in cells(got)

    for sub in submissions.history("t", M, engine=small.engine).itertuples():
        if sub.status != "rolled_back":
            submissions.rollback(int(sub.id), "管理员", engine=small.engine)
    got, used = read_both(small.engine)  # nothing left: an empty snapshot, like the empty select
    assert used and len(got) == 0


def test_a_snapshot_of_another_revision_is_never_used(small: SmallDb) -> None:
    small.put(M, FULL)
    ref = ref_of(small.engine)
    bogus = sql_path(small.engine, ref).assign(value=123.0)
    ids = np.ones(len(bogus), dtype=np.int32)
    with writing(small.engine) as s:  # a writer that changed the values and forgot the snapshot
        vs.store_snapshot(s, ref.id, ref.revision, bogus, ids)
        s.execute(update(Assessment).where(Assessment.id == ref.id).values(revision=Assessment.revision + 1))
    got, used = read_both(small.engine)
    assert not used and cells(got)[("U1", "D1", "")] == 40
    with writing(small.engine) as s:  # one of a future revision is not used either
        vs.store_snapshot(s, ref.id, ref.revision + 2, bogus, ids)
    assert not read_both(small.engine)[1]
    with writing(small.engine) as s:  # of the right revision but unreadable: selected instead
        s.execute(update(ValueSnapshot).values(revision=ref.revision + 1, payload=b"garbage"))
    got, used = read_both(small.engine)
    assert not used and cells(got)[("U1", "D1", "")] == 40


def test_a_unit_code_change_shows_in_the_values_read_from_the_snapshot(small: SmallDb) -> None:
    small.put(M, FULL)
    with writing(small.engine) as s:
        s.execute(update(Unit).where(Unit.code == "U1").values(code="U一"))
    got, used = read_both(small.engine)
    assert used and ("U一", "D1", "") in cells(got) and not any(u == "U1" for u, _, _ in cells(got))


def test_results_warm_packs_what_an_older_database_lacks(small: SmallDb) -> None:
    small.put(M, FULL)
    small.put("2025-04", {"U1": {"D1": 40}})  # partial: no results, but its values are packed
    with writing(small.engine) as s:
        s.execute(delete(ValueSnapshot))
    assert not read_both(small.engine)[1]
    lines: list[str] = []
    out = warm_stored(progress=lines.append, engine=small.engine)
    assert out.snapshots == 2 and "已为 2 期数据生成快照" in out.message
    assert "正在生成数据快照 测试方案 2025-03（1/2）" in lines
    assert read_both(small.engine)[1] and read_both(small.engine, "2025-04")[1]
    assert warm_stored(engine=small.engine).snapshots == 0  # nothing stale now


def test_migration_0008_adds_the_table_and_an_upgraded_database_reads_as_before(small: SmallDb) -> None:
    from alembic import command

    small.put(M, FULL)
    cfg = alembic_config()
    for revision, present in (("0007", False), ("head", True)):
        with small.engine.execution_options(write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if revision == "0007" else command.upgrade)(cfg, revision)
        small.engine.dispose()
        assert ("value_snapshot" in inspect(small.engine).get_table_names()) is present
    got, used = read_both(small.engine)  # the values are all there, selected
    assert not used and cells(got)[("U1", "D1", "")] == 40
    assert warm_stored(engine=small.engine).snapshots == 1
    assert read_both(small.engine)[1]
    small.put(M, {"U2": {"D1": 1}})  # and the write path writes it again
    got, used = read_both(small.engine)
    assert used and cells(got)[("U2", "D1", "")] == 1


def test_the_demo_district_reads_the_same_from_its_snapshots(demo_database: Engine) -> None:
    with reading(demo_database) as s:
        refs = [
            AssessmentRef(a.id, a.scheme.key, a.period.label, a.revision, a.scheme_version_id)
            for a in s.scalars(select(Assessment).where(Assessment.scheme_version_id.is_not(None)))
        ]
    assert refs
    for ref in refs:
        with reading(demo_database) as s:
            assert vs.load_snapshot(s, ref.id, ref.revision) is not None
            got = current_values_in(s, ref)
        assert len(got) and assert_identical(got, sql_path(demo_database, ref)) is None
