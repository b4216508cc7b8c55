"""Submissions on both databases: supersede, rollback, as-of, no-op re-imports, locks, atomicity."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import pytest
from conftest import NA, SmallDb
from sqlalchemy import func, select

from scoring import Problem
from services import periods, submissions
from services._db import DISPLAY_TZ
from services.audit import audit_log
from services.catalog import register_scheme
from services.errors import Conflict, ImportRefused, InvalidInput, NotFound, PeriodLocked
from services.values import cell_history, current_values, submission_values, values_as_of
from storage.db import reading
from storage.models import Assessment, AuditEntry, Submission, SubmissionValue

P = "2025-03"
FULL = {u: {"D1": 40, "D2": 25, "K1": 1} for u in ("U1", "U2", "U3")}


def counts(db: SmallDb) -> tuple[int, int, int, int]:
    """(submissions, values, audit entries, revision of the assessment)."""
    with reading(db.engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Submission)),
            s.scalar(select(func.count()).select_from(SubmissionValue)),
            s.scalar(select(func.count()).select_from(AuditEntry)),
            s.scalar(select(func.coalesce(func.max(Assessment.revision), 0))),
        )


def moment() -> datetime:
    """A timestamp strictly between two transactions (timestamps have microsecond resolution)."""
    time.sleep(0.002)
    at = datetime.now(UTC)
    time.sleep(0.002)
    return at


# -- importing and superseding ---------------------------------------------------------------
def test_import_stores_every_cell_and_reports_it(small: SmallDb) -> None:
    out = small.put(P, FULL)
    assert not out.noop and out.rows == 9 and out.superseded == 0
    assert "已导入 9 个数值" in out.message
    assert small.current(P) == {(u, c, ""): float(v) for u, d in FULL.items() for c, v in d.items()}
    values = current_values("t", P, engine=small.engine)
    assert list(values.columns) == ["period", "unit", "code", "value", "na", "assessor", "note", "submission_id"]
    assert set(values["submission_id"]) == {out.submission_id}
    assert values.loc[(values["unit"] == "U1") & (values["code"] == "K1"), "note"].item() == "备注U1K1"


def test_later_submission_supersedes_only_the_cells_it_covers(small: SmallDb) -> None:
    first = small.put(P, FULL)
    second = small.put(P, {"U1": {"D1": 50}, "U2": {"K1": 0}})
    assert second.superseded == 2
    now = small.current(P)
    assert now[("U1", "D1", "")] == 50 and now[("U2", "K1", "")] == 0
    assert now[("U1", "D2", "")] == 25 and now[("U3", "D1", "")] == 40  # untouched cells stay
    hist = submissions.history("t", P, engine=small.engine).set_index("id")
    assert hist.loc[first.submission_id, "current_rows"] == 7
    assert hist.loc[first.submission_id, "status_name"] == "部分被覆盖"
    assert hist.loc[second.submission_id, "status_name"] == "有效"


def test_a_submission_whose_cells_are_all_replaced_is_superseded(small: SmallDb) -> None:
    first = small.put(P, {"U1": {"D1": 10}})
    small.put(P, {"U1": {"D1": 20}})
    info = submissions.get_submission(first.submission_id, engine=small.engine)
    assert (info.status, info.current_rows, info.status_name) == ("superseded", 0, "已被覆盖")


def test_assessors_are_separate_cells(small: SmallDb) -> None:
    small.put(P, FULL, assessor="一组")
    small.put(P, {"U1": {"D1": 30}}, assessor="二组")
    now = small.current(P)
    assert now[("U1", "D1", "一组")] == 40 and now[("U1", "D1", "二组")] == 30


def test_not_applicable_and_blank_cells_are_stored_as_such(small: SmallDb) -> None:
    small.put(P, {"U1": {"D1": 40, "D2": NA, "K1": None}})
    v = current_values("t", P, engine=small.engine).set_index("code")
    assert bool(v.loc["D2", "na"]) and pd.isna(v.loc["D2", "value"])
    assert not bool(v.loc["K1", "na"]) and pd.isna(v.loc["K1", "value"])
    small.put(P, {"U1": {"D2": 20}})  # a blank or 不适用 cell is superseded like any other
    assert small.current(P)[("U1", "D2", "")] == 20


# -- rollback --------------------------------------------------------------------------------
def test_rollback_restores_exactly_what_was_superseded(small: SmallDb) -> None:
    small.put(P, FULL)
    before = small.current(P)
    second = small.put(P, {"U1": {"D1": 50, "D2": NA}, "U4": {"D1": 1, "D2": 2, "K1": 0}})
    assert small.current(P) != before
    out = submissions.rollback(second.submission_id, "管理员", "录入错误", engine=small.engine)
    assert (out.withdrawn, out.restored) == (5, 2)
    assert small.current(P) == before  # U4 had no earlier values: it is gone again
    info = submissions.get_submission(second.submission_id, engine=small.engine)
    assert (info.status, info.rolled_back_by, info.rollback_reason) == ("rolled_back", "管理员", "录入错误")
    entry = audit_log(action="submission.rollback", engine=small.engine).iloc[0]
    assert entry["actor"] == "管理员" and "录入错误" in entry["message"]


def test_rolling_back_a_middle_submission_keeps_later_values(small: SmallDb) -> None:
    base = small.put(P, FULL)
    middle = small.put(P, {"U1": {"D1": 11, "D2": 12}, "U2": {"D1": 21}})
    small.put(P, {"U1": {"D1": 49}})
    submissions.rollback(middle.submission_id, "管理员", engine=small.engine)
    now = small.current(P)
    assert now[("U1", "D1", "")] == 49  # the later submission still stands
    assert now[("U1", "D2", "")] == 25 and now[("U2", "D1", "")] == 40  # back to the base values
    assert submissions.get_submission(base.submission_id, engine=small.engine).current_rows == 8


def test_rollback_skips_values_of_submissions_already_rolled_back(small: SmallDb) -> None:
    small.put(P, {"U1": {"D1": 10}})
    second = small.put(P, {"U1": {"D1": 20}})
    third = small.put(P, {"U1": {"D1": 30}})
    submissions.rollback(second.submission_id, "管理员", engine=small.engine)  # covered by the third: no change
    assert small.current(P)[("U1", "D1", "")] == 30
    submissions.rollback(third.submission_id, "管理员", engine=small.engine)
    assert small.current(P)[("U1", "D1", "")] == 10
    first_again = submissions.history("t", P, engine=small.engine).set_index("id")
    assert list(first_again["status"]) == ["rolled_back", "rolled_back", "active"]


def test_rollback_of_everything_frees_the_period_and_twice_is_refused(small: SmallDb) -> None:
    only = small.put(P, FULL)
    submissions.rollback(only.submission_id, "管理员", engine=small.engine)
    assert small.current(P) == {}
    with pytest.raises(Conflict, match="已于 .* 撤回"):
        submissions.rollback(only.submission_id, "管理员", engine=small.engine)
    with pytest.raises(NotFound, match="#999"):
        submissions.rollback(999, "管理员", engine=small.engine)


# -- as of -----------------------------------------------------------------------------------
def test_values_as_of_any_moment_are_recomputed(small: SmallDb) -> None:
    t0 = moment()
    first = small.put(P, FULL)
    t1 = moment()
    second = small.put(P, {"U1": {"D1": 50}})
    t2 = moment()
    submissions.rollback(first.submission_id, "管理员", engine=small.engine)
    t3 = moment()
    submissions.rollback(second.submission_id, "管理员", engine=small.engine)

    def as_of(at: datetime) -> dict:
        v = values_as_of("t", P, at, engine=small.engine)
        return {(str(u), str(c)): x for u, c, x in zip(v["unit"], v["code"], v["value"], strict=True)}

    assert as_of(t0) == {}
    assert as_of(t1) == {(u, c): float(x) for u, d in FULL.items() for c, x in d.items()}
    assert as_of(t2)[("U1", "D1")] == 50 and len(as_of(t2)) == 9
    assert as_of(t3) == {("U1", "D1"): 50}  # the first was rolled back, the second still stood
    assert as_of(datetime.now(UTC)) == {}


def test_as_of_now_always_equals_the_current_values(small: SmallDb) -> None:
    steps = [FULL, {"U1": {"D1": 1}}, {"U2": {"D2": NA}, "U4": {"D1": 3}}, {"U1": {"D1": 2}, "U3": {"K1": 2}}]
    ids = [small.put(P, cells).submission_id for cells in steps]
    for victim in (ids[1], ids[3], ids[0]):
        submissions.rollback(victim, "管理员", engine=small.engine)
        cur = current_values("t", P, engine=small.engine)
        past = values_as_of("t", P, datetime.now(UTC), engine=small.engine)
        key = ["unit", "code", "assessor"]
        cur, past = (f.astype({"unit": str, "code": str}).sort_values(key).reset_index(drop=True) for f in (cur, past))
        pd.testing.assert_frame_equal(cur, past, check_categorical=False)


def test_naive_as_of_times_are_read_as_beijing_time(small: SmallDb) -> None:
    small.put(P, FULL)
    local_now = datetime.now(UTC).astimezone(DISPLAY_TZ).replace(tzinfo=None)
    assert len(values_as_of("t", P, local_now, engine=small.engine)) == 9


# -- identical re-imports --------------------------------------------------------------------
def test_identical_reimport_is_a_noop(small: SmallDb) -> None:
    first = small.put(P, FULL)
    before = counts(small)
    again = small.put(P, FULL, user="另一个人")
    assert again.noop and again.submission_id == first.submission_id
    assert "完全相同" in again.message
    assert counts(small) == before


def test_identical_values_in_another_row_order_are_a_noop(small: SmallDb) -> None:
    small.put(P, FULL)
    shuffled = SmallDb.frame(FULL).sample(frac=1, random_state=1)
    out = submissions.import_values(P, small.version_id, shuffled, "测试员", "b.xlsx", b"other", engine=small.engine)
    assert out.noop


def test_reimport_after_rollback_or_partial_supersede_lands(small: SmallDb) -> None:
    first = small.put(P, FULL)
    small.put(P, {"U1": {"D1": 50}})
    again = small.put(P, FULL)  # restores U1.D1 = 40: a real change
    assert not again.noop and small.current(P)[("U1", "D1", "")] == 40
    submissions.rollback(again.submission_id, "管理员", engine=small.engine)
    submissions.rollback(first.submission_id, "管理员", engine=small.engine)
    assert not small.put(P, FULL).noop


# -- locked periods --------------------------------------------------------------------------
def test_locked_period_refuses_with_who_when_why(small: SmallDb) -> None:
    sub = small.put(P, FULL)
    periods.lock_period(P, "张局长", "3月通报已发布", engine=small.engine)
    before = counts(small)
    with pytest.raises(PeriodLocked) as err:
        small.put(P, {"U1": {"D1": 1}})
    message = str(err.value)
    assert "张局长" in message and "3月通报已发布" in message and "锁定" in message
    assert err.value.by == "张局长" and err.value.reason == "3月通报已发布" and err.value.at is not None
    with pytest.raises(PeriodLocked, match="不能撤回提交"):
        submissions.rollback(sub.submission_id, "管理员", engine=small.engine)
    assert counts(small) == before
    small.put("2025-04", FULL)  # other periods are not affected


def test_unlock_needs_a_reason_and_is_audited(small: SmallDb) -> None:
    periods.lock_period(P, "张局长", "月通报已发布", engine=small.engine)
    with pytest.raises(InvalidInput, match="原因"):
        periods.unlock_period(P, "李科长", "  ", engine=small.engine)
    info = periods.unlock_period(P, "李科长", "发现录入错误需更正", engine=small.engine)
    assert info.state == "open" and "发现录入错误需更正" in info.state_text
    entries = audit_log(engine=small.engine)
    unlock = entries[entries["action"] == "period.unlock"].iloc[0]
    assert unlock["actor"] == "李科长" and unlock["detail"]["reason"] == "发现录入错误需更正"
    assert (entries["action"] == "period.lock").sum() == 1
    assert not small.put(P, FULL).noop


def test_period_state_changes_are_checked(small: SmallDb) -> None:
    with pytest.raises(InvalidInput, match="锁定期间必须填写原因"):
        periods.lock_period(P, "张局长", "", engine=small.engine)
    with pytest.raises(Conflict, match="未锁定"):
        periods.unlock_period(P, "张局长", "x", engine=small.engine)
    assert periods.publish_period(P, "张局长", engine=small.engine).state == "published"
    small.put(P, FULL)  # a published period still takes corrections
    periods.lock_period(P, "张局长", "定稿", engine=small.engine)
    with pytest.raises(Conflict, match="已锁定"):
        periods.publish_period(P, "张局长", engine=small.engine)
    with pytest.raises(InvalidInput, match="格式不对"):
        periods.get_period("2025-13", engine=small.engine)
    labels = [p.label for p in periods.list_periods(engine=small.engine)]
    assert labels == [P]


# -- atomicity -------------------------------------------------------------------------------
def test_an_import_failing_midway_leaves_nothing(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    small.put(P, FULL)
    before, values_before = counts(small), small.current(P)
    real = submissions.insert_values

    def half_then_fail(session, columns):  # noqa: ANN001, ANN202
        half = {k: v[: len(v) // 2] for k, v in columns.items()}
        real(session, half)
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(submissions, "insert_values", half_then_fail)
    with pytest.raises(RuntimeError, match="simulated"):
        small.put(P, {u: {"D1": 1, "D2": 2} for u in ("U1", "U2", "U3", "U4")})
    assert counts(small) == before and small.current(P) == values_before


def test_a_failure_after_superseding_leaves_nothing(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    small.put(P, FULL)
    before, values_before = counts(small), small.current(P)

    def audit_fails(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("audit write failed (simulated)")

    monkeypatch.setattr(submissions.audit, "record", audit_fails)
    with pytest.raises(RuntimeError, match="simulated"):
        small.put(P, {"U1": {"D1": 1}})
    assert counts(small) == before and small.current(P) == values_before


# -- refused imports -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"U1": {"D9": 1}}, "指标编码「D9」不在方案「测试方案」（版本 1）中"),
        ({"U1": {"D1": 51}}, "'51' 超出范围（应在 0 到 50 之间）"),
        ({"U1": {"K1": 1.5}}, "'1.5' 应为整数次数"),
        ({"U1": {"D1": NA}}, "该指标不允许填写「不适用」"),
        ({"U7": {"D1": 1}}, "单位编码「U7」不在单位清单中"),
        ({"X1": {"D1": 1}}, "单位「X1」的类别「其他类」不在方案适用范围（测试类、测试类二）内"),
        ({"Z9": {"D1": 1}}, "单位「Z9」已停用"),
    ],
    ids=["unknown-code", "out-of-range", "not-integer", "na-not-allowed", "unknown-unit", "out-of-scope", "inactive"],
)
def test_bad_values_are_refused_with_located_problems(small: SmallDb, cells: dict, expected: str) -> None:
    before = counts(small)
    with pytest.raises(ImportRefused) as err:
        small.put(P, cells)
    assert expected in str(err.value) and "未导入任何数据" in str(err.value)
    assert all(isinstance(p, Problem) for p in err.value.problems)
    assert counts(small) == before


def test_every_problem_is_listed_at_once(small: SmallDb) -> None:
    frame = pd.concat(
        [SmallDb.frame({"U1": {"D1": 60, "D2": -1}}), SmallDb.frame({"U1": {"D1": 1}})], ignore_index=True
    )
    frame["value"] = frame["value"].astype(object)
    frame.loc[len(frame)] = ["U2", "D1", "abc", False, "", ""]
    frame["period"] = [P, P, P, "2025-04"]
    with pytest.raises(ImportRefused) as err:
        submissions.import_values(P, small.version_id, frame, "测试员", "x.csv", b"x", engine=small.engine)
    text = str(err.value)
    assert "2025-04" in text and "'abc' 不是数字" in text and "填写了不止一次" in text
    assert "'60' 超出范围" in text and "'-1' 超出范围" in text


def test_wrong_kind_of_period_is_refused(small: SmallDb) -> None:
    with pytest.raises(InvalidInput, match="按月度考核，不能导入到年度期间 2025"):
        small.put("2025", FULL)


def test_periods_keep_the_scheme_version_of_their_submissions(small: SmallDb) -> None:
    first = small.put(P, FULL)
    v2 = register_scheme(SMALL_V2, "测试员", engine=small.engine).version
    with pytest.raises(Conflict) as err:
        small.put(P, FULL, version_id=v2.id)
    assert f"#{first.submission_id}" in str(err.value) and "同一个方案版本" in str(err.value)
    small.put("2025-04", FULL, version_id=v2.id)  # a new period may use the new version
    submissions.rollback(first.submission_id, "管理员", engine=small.engine)
    small.put(P, FULL, version_id=v2.id)


SMALL_V2 = """\
id: t
name: 测试方案
version: "2"
period_type: month
categories: [测试类, 测试类二]
criteria:
  - code: C
    name: 测试指标
    items:
      - {code: D1, name: 直接评分一, method: direct, points: 45}
      - {code: D2, name: 直接评分二, method: direct, points: 35, allow_na: true}
      - {code: K1, name: 扣分项, method: deduction, points: 20, per_occurrence: 5}
"""


# -- what is kept ----------------------------------------------------------------------------
def test_the_original_file_and_values_are_kept(small: SmallDb) -> None:
    frame = SmallDb.frame(FULL)
    raw = "单位,指标,数值\n甲,D1,40\n".encode("gb18030") + bytes(range(256))
    out = submissions.import_values(P, small.version_id, frame, "测试员", "三月.xlsx", raw, "补报", engine=small.engine)
    assert submissions.submission_file(out.submission_id, engine=small.engine) == ("三月.xlsx", raw)
    info = submissions.get_submission(out.submission_id, engine=small.engine)
    assert (info.submitted_by, info.note, info.row_count, info.version) == ("测试员", "补报", 9, "1")
    small.put(P, {"U1": {"D1": 1}})
    kept = submission_values(out.submission_id, engine=small.engine)
    assert len(kept) == 9 and kept["current"].sum() == 8


def test_cell_history_shows_every_value_a_cell_had(small: SmallDb) -> None:
    small.put(P, FULL, user="一组")
    second = small.put(P, {"U1": {"D1": 45}}, user="二组")
    submissions.rollback(second.submission_id, "管理员", engine=small.engine)
    h = cell_history("t", P, "U1", "D1", engine=small.engine)
    assert list(h["value"]) == [40.0, 45.0]
    assert list(h["current"]) == [True, False]
    assert list(h["status"]) == ["active", "rolled_back"] and list(h["submitted_by"]) == ["一组", "二组"]
