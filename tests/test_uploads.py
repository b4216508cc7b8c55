"""services.uploads on both databases: check, preview (old → new, totals and ranks), commit,
no-op re-import, locked periods, and every malformed workbook of the corpus refused with its
located error and the database left as it was."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import openpyxl
import pandas as pd
import pytest
import yaml
from sheets_corpus import (
    PERIOD,
    SHEET,
    Case,
    cell_of,
    corpus,
    expected_values,
    fill_per_unit,
    fill_wide,
    good_long_rows,
    long_csv,
    make_scheme,
    make_units,
    scheme_dict,
    set_cell,
    template,
)
from sqlalchemy import Engine, func, select

from scoring import score
from services._db import local_today
from services.catalog import register_scheme, upsert_units
from services.errors import Conflict, InvalidInput, PeriodLocked
from services.periods import lock_period
from services.results import results
from services.submissions import history
from services.uploads import UploadCheck, check_upload, commit, make_template, period_options, version_for
from services.values import current_values
from storage.models import Assessment, Submission, SubmissionValue


@dataclass
class SheetDb:
    """A database with the corpus scheme (sheet_test v1) registered and the corpus units loaded."""

    engine: Engine
    version_id: int

    def check(self, data: bytes, file_name: str = "评分.xlsx", period: str = PERIOD, **kw) -> UploadCheck:
        return check_upload(data, file_name, self.version_id, period, engine=self.engine, **kw)

    def counts(self) -> tuple[int, int, int]:
        with self.engine.connect() as conn:
            return tuple(
                conn.scalar(select(func.count()).select_from(t)) for t in (Submission, SubmissionValue, Assessment)
            )

    def totals(self, period: str = PERIOD) -> pd.DataFrame:
        r = results("sheet_test", period, engine=self.engine)
        return r.units.assign(unit=r.units["unit"].astype(str)).set_index("unit")[["total", "rank", "grade"]]


def _yaml(version: str = "1") -> str:
    return yaml.safe_dump(scheme_dict(version), allow_unicode=True, sort_keys=False)


@pytest.fixture
def sheet_db(database: Engine) -> SheetDb:
    upsert_units(make_units(), "测试员", engine=database)
    version = register_scheme(_yaml(), "测试员", engine=database).version
    return SheetDb(database, version.id)


def _edit_wide(data: bytes, code: str, unit: str, value: object) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb[SHEET][cell_of(code, unit)].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- a first upload, then a correction -------------------------------------------------------
def test_first_upload_previews_every_unit_as_new_and_lands_with_the_engine_totals(sheet_db: SheetDb) -> None:
    check = sheet_db.check(good_wide_file())
    assert check.ok and check.layout == "wide", check.errors
    p = check.preview
    assert p.blocked is None and not p.score_problems
    assert p.units == 4 and p.count("changed") == 0 and not p.unchanged
    assert set(p.effect["status"]) == {"new"} and p.effect["covered"].all()
    direct = score(make_scheme(), expected_values().assign(assessor="")).units.set_index("unit")
    effect = p.effect.set_index("unit")
    assert effect["total_after"].to_dict() == pytest.approx(direct["total"].to_dict())
    assert effect["rank_after"].astype(int).to_dict() == direct["rank"].astype(int).to_dict()
    assert effect["rank_before"].isna().all()

    before = sheet_db.counts()
    outcome = commit(check, "张三", "三月现场检查", engine=sheet_db.engine)
    assert not outcome.noop and outcome.rows == len(check.parsed.values)
    assert sheet_db.counts()[0] == before[0] + 1
    stored = sheet_db.totals()
    assert stored["total"].to_dict() == pytest.approx(effect["total_after"].to_dict())
    row = history("sheet_test", PERIOD, engine=sheet_db.engine).iloc[0]
    assert (row["submitted_by"], row["file_name"], row["note"]) == ("张三", "评分.xlsx", "三月现场检查")


def good_wide_file() -> bytes:
    return fill_wide(template())


def test_a_correction_shows_old_to_new_and_the_rank_it_moves(sheet_db: SheetDb) -> None:
    commit(sheet_db.check(good_wide_file()), "张三", engine=sheet_db.engine)
    before = sheet_db.totals()
    corrected = _edit_wide(good_wide_file(), "A1", "U01", 0)  # U01 loses 18 points, falls below U04

    check = sheet_db.check(corrected, "更正.xlsx")
    p = check.preview
    changed = p.changes[p.changes["change"] == "changed"]
    assert changed[["unit", "code", "before", "after"]].values.tolist() == [["U01", "A1", "18", "0"]]
    assert p.count("new") == 0 and p.count("same") == p.cells - 1
    effect = p.effect.set_index("unit")
    assert effect.loc["U01", "status"] == "total" and effect.loc["U01", "delta"] == pytest.approx(-18)
    assert effect.loc["U04", "status"] == "rank"  # not uploaded differently, but moved up
    assert (effect.loc["U01", "rank_before"], effect.loc["U01", "rank_after"]) == (1, 2)
    assert effect["total_before"].to_dict() == pytest.approx(before["total"].reindex(effect.index).to_dict())

    commit(check, "李四", engine=sheet_db.engine)
    after = sheet_db.totals()
    assert after["total"].reindex(effect.index).to_dict() == pytest.approx(effect["total_after"].to_dict())
    assert after["rank"].reindex(effect.index).astype(int).to_dict() == effect["rank_after"].astype(int).to_dict()
    moved = {u for u in after.index if after.loc[u, "rank"] != before.loc[u, "rank"]}
    assert moved == set(
        effect.index[effect["status"].isin(["rank", "total"]) & (effect["rank_before"] != effect["rank_after"])]
    )
    assert dict(sheet_db.check(corrected).preview.changes["change"].value_counts()) == {"same": p.cells}


def test_identical_reimport_is_a_noop(sheet_db: SheetDb) -> None:
    data = fill_per_unit(template("per-unit"))
    first = commit(sheet_db.check(data, "每单位.xlsx"), "张三", engine=sheet_db.engine)
    counts = sheet_db.counts()
    again = sheet_db.check(data, "每单位.xlsx")
    assert again.layout == "per-unit" and again.preview.unchanged
    assert set(again.preview.effect["status"]) == {"same"}
    outcome = commit(again, "张三", engine=sheet_db.engine)
    assert outcome.noop and outcome.submission_id == first.submission_id and "未重复导入" in outcome.message
    assert sheet_db.counts() == counts


def test_long_csv_with_an_assessor_lands_beside_the_template_values(sheet_db: SheetDb) -> None:
    commit(sheet_db.check(good_wide_file()), "张三", engine=sheet_db.engine)
    check = sheet_db.check(long_csv(good_long_rows("考核二组")), "scores.csv")
    assert check.ok and check.layout == "long"
    assert set(check.preview.changes["change"]) == {"new"} | ({"same"} if check.preview.count("same") else set())
    commit(check, "王五", engine=sheet_db.engine)
    stored = current_values("sheet_test", PERIOD, engine=sheet_db.engine)
    assert set(stored["assessor"]) == {"", "考核二组"}


def test_locked_period_is_explained_and_refused(sheet_db: SheetDb) -> None:
    lock_period(PERIOD, "管理员", "3月通报已发布", engine=sheet_db.engine)
    counts = sheet_db.counts()
    check = sheet_db.check(good_wide_file())
    assert check.ok and "锁定" in check.preview.blocked and "3月通报已发布" in check.preview.blocked
    assert next(o for o in period_options("sheet_test", engine=sheet_db.engine) if o.label == PERIOD).locked
    with pytest.raises(PeriodLocked, match="3月通报已发布"):
        commit(check, "张三", engine=sheet_db.engine)
    assert sheet_db.counts() == counts


def test_a_period_in_use_by_another_version_is_blocked(sheet_db: SheetDb) -> None:
    commit(sheet_db.check(good_wide_file()), "张三", engine=sheet_db.engine)
    v2 = register_scheme(_yaml("2"), "测试员", engine=sheet_db.engine).version
    assert version_for("sheet_test", PERIOD, engine=sheet_db.engine).version == "1"
    assert version_for("sheet_test", "2025-04", engine=sheet_db.engine).version == "2"
    data = fill_wide(template(scheme=make_scheme("2")))
    check = check_upload(data, "v2.xlsx", v2.id, PERIOD, engine=sheet_db.engine)
    assert check.ok and "版本 1" in check.preview.blocked
    counts = sheet_db.counts()
    with pytest.raises(Conflict):
        commit(check, "张三", engine=sheet_db.engine)
    assert sheet_db.counts() == counts


def test_templates_list_the_schemes_active_units_and_can_be_prefilled(sheet_db: SheetDb) -> None:
    blank = make_template(sheet_db.version_id, PERIOD, "wide", engine=sheet_db.engine)
    ws = openpyxl.load_workbook(io.BytesIO(blank))[SHEET]
    listed = [ws.cell(r, 1).value for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value]
    assert listed == ["U01", "U02", "U03", "U04"]  # V01 is a village clinic, outside the scheme
    with pytest.raises(InvalidInput, match="不适用于方案"):
        make_template(sheet_db.version_id, "2025-Q1", engine=sheet_db.engine)

    commit(sheet_db.check(good_wide_file()), "张三", engine=sheet_db.engine)
    filled = make_template(sheet_db.version_id, PERIOD, "per-unit", prefill=True, engine=sheet_db.engine)
    again = sheet_db.check(filled, "预填.xlsx")
    assert again.ok and again.preview.unchanged


# -- every malformed workbook: its located error, and nothing stored -------------------------
CASES = corpus()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_upload_is_located_and_changes_nothing(sheet_db: SheetDb, case: Case) -> None:
    commit(sheet_db.check(good_wide_file()), "张三", engine=sheet_db.engine)  # something to protect
    counts = sheet_db.counts()
    values = current_values("sheet_test", PERIOD, engine=sheet_db.engine)

    check = sheet_db.check(case.build(), case.file_name, case.period, limits=case.limits)
    assert not check.ok and check.preview is None
    hits = [e for e in check.errors if e.kind == case.kind and case.text in str(e)]
    assert hits, f"{case.name}: expected {case.kind!r} with {case.text!r}, got:\n" + "\n".join(map(str, check.errors))
    e = hits[0]
    if case.sheet is not None:
        assert (e.sheet or e.file) == case.sheet
    if case.row is not None:
        assert e.row == case.row
    if case.column is not None:
        assert e.column == case.column
    table = check.error_table()
    assert len(table) == len(check.errors) and list(table.columns)[:3] == ["工作表", "行", "列"]

    with pytest.raises(InvalidInput, match="未导入任何数据"):
        commit(check, "张三", engine=sheet_db.engine)
    assert sheet_db.counts() == counts
    pd.testing.assert_frame_equal(current_values("sheet_test", PERIOD, engine=sheet_db.engine), values)


def test_annotated_copy_marks_the_bad_cell(sheet_db: SheetDb) -> None:
    data = fill_wide(template(), edit=set_cell(cell_of("A2", "U01"), "六十"))
    check = sheet_db.check(data)
    wb = openpyxl.load_workbook(io.BytesIO(check.annotated()))
    cell = wb[SHEET][cell_of("A2", "U01")]
    assert cell.comment is not None and "不是数字" in cell.comment.text
    assert check.annotated_name == "评分_错误标注.xlsx"
    old_xls = next(c for c in CASES if c.name == "old_xls").build()
    assert sheet_db.check(old_xls, "旧版.xls").annotated() is None  # cannot be opened, so not annotated


# -- the demo district ------------------------------------------------------------------------
def test_demo_correction_preview_matches_the_results_after_commit(demo_database: Engine) -> None:
    key, period = "community_monthly", "2025-08"
    version = version_for(key, period, engine=demo_database)
    data = make_template(version.id, period, "wide", assessor="考核一组", prefill=True, engine=demo_database)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["评分"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "C08")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(7, c).value == "A1")
    old = ws.cell(row, col).value
    ws.cell(row, col).value = 2
    buf = io.BytesIO()
    wb.save(buf)

    check = check_upload(buf.getvalue(), "8月更正.xlsx", version.id, period, assessor="考核一组", engine=demo_database)
    assert check.ok, check.errors
    changed = check.preview.changes[check.preview.changes["change"] == "changed"]
    assert changed[["unit", "code", "assessor", "before", "after"]].values.tolist() == [
        ["C08", "A1", "考核一组", f"{old:g}", "2"]
    ]
    effect = check.preview.effect.set_index("unit")
    assert effect.loc["C08", "status"] == "total" and effect.loc["C08", "delta"] < 0
    commit(check, "张三", engine=demo_database)
    after = results(key, period, engine=demo_database).units
    after = after.assign(unit=after["unit"].astype(str)).set_index("unit")
    assert after["total"].reindex(effect.index).to_dict() == pytest.approx(effect["total_after"].to_dict())
    assert after["rank"].reindex(effect.index).astype(int).to_dict() == effect["rank_after"].astype(int).to_dict()


def test_the_period_list_starts_at_the_current_period(sheet_db: SheetDb) -> None:
    """issue 21: newest first from the bureau's current month; a month that has not begun is not offered."""
    labels = [o.label for o in period_options("sheet_test", today=dt.date(2026, 1, 15), engine=sheet_db.engine)]
    assert labels[0] == "2026-01" and "2026-02" not in labels
    assert labels[:3] == ["2026-01", "2025-12", "2025-11"]
    assert labels == sorted(labels, reverse=True) and len(labels) == len(set(labels))
    assert [o.label for o in period_options("sheet_test", engine=sheet_db.engine)][0] == local_today().strftime("%Y-%m")
