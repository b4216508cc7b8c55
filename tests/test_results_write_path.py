"""Results on the write path (issue 23): an import or a rollback stores the scored month with the
new revision, so the first look in any process is a read; names never invalidate scores."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SmallDb, url_of
from sqlalchemy import Engine, delete, select, update

from manage import main
from services import results as results_service
from services import submissions
from services.catalog import upsert_units
from services.dashboard import period_view
from services.results import _compute, _state, results
from storage.db import reading, writing
from storage.models import ResultCache

M, NEXT = "2025-02", "2025-03"
# D1 (50) + D2 (30) + K1 (20 − 5 per occurrence): U1 40+25+15 = 80, U2 45+20+20 = 85, U3 30+30+10 = 70.
FULL = {"U1": {"D1": 40, "D2": 25, "K1": 1}, "U2": {"D1": 45, "D2": 20, "K1": 0}, "U3": {"D1": 30, "D2": 30, "K1": 2}}
COLS = ["unit", "total", "rank", "grade", "delta_total", "delta_rank"]


def in_a_fresh_process(engine: Engine, period: str):  # noqa: ANN201
    """What another process sees first: nothing in memory, only the stored results."""
    results_service._memo.clear()
    return results("t", period, engine=engine)


def rescored(engine: Engine, period: str) -> pd.DataFrame:
    """The period scored from its values now, ignoring anything stored."""
    with reading(engine) as s:
        return _compute(s, "t", period)[2].units


def same_units(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got[COLS].astype({"unit": str, "grade": str}).reset_index(drop=True),
        expected[COLS].astype({"unit": str, "grade": str}).reset_index(drop=True),
    )


def stored_periods(engine: Engine) -> set[int]:
    with reading(engine) as s:
        return set(s.scalars(select(ResultCache.assessment_id)))


def test_an_import_stores_its_results_in_the_same_transaction(small: SmallDb) -> None:
    small.put(M, FULL)
    r = in_a_fresh_process(small.engine, M)
    assert r.from_cache
    assert dict(zip(r.units["unit"], r.units["total"], strict=True)) == {"U1": 80, "U2": 85, "U3": 70}
    same_units(r.units, rescored(small.engine, M))

    small.put(M, {"U1": {"D1": 10}})  # a correction: U1 80 → 50, last
    r = in_a_fresh_process(small.engine, M)
    assert r.from_cache and r.units.set_index("unit").loc["U1", ["total", "rank"]].tolist() == [50, 3]
    same_units(r.units, rescored(small.engine, M))


def test_a_rollback_stores_the_restored_results(small: SmallDb) -> None:
    small.put(M, FULL)
    correction = small.put(M, {"U1": {"D1": 10}})
    submissions.rollback(correction.submission_id, "管理员", engine=small.engine)
    r = in_a_fresh_process(small.engine, M)
    assert r.from_cache and r.units.set_index("unit").loc["U1", "total"] == 80
    same_units(r.units, rescored(small.engine, M))


def test_the_next_month_changes_agree_with_a_rescore_after_an_import_into_the_month_before(small: SmallDb) -> None:
    small.put(M, FULL)
    small.put(NEXT, FULL)
    small.put(M, {"U1": {"D1": 20}})  # U1 in February: 80 → 60, so March's 较上期 is +20
    r = in_a_fresh_process(small.engine, NEXT)
    assert r.from_cache
    units = r.units.set_index("unit")
    assert units.loc["U1", "delta_total"] == 20 and units.loc["U2", "delta_total"] == 0
    assert units.loc["U1", "delta_rank"] == 1  # third (60) in February, second (80) in March: up one
    same_units(r.units, rescored(small.engine, NEXT))


def test_the_same_month_next_year_is_stored_again(small: SmallDb) -> None:
    small.put("2024-03", FULL)
    small.put(NEXT, FULL)
    small.put("2024-03", {"U2": {"D1": 5}})  # 上年同期 of 2025-03 changed: its fingerprint moves
    assert in_a_fresh_process(small.engine, NEXT).from_cache


def test_a_partial_month_does_not_fail_the_import_and_stores_nothing(small: SmallDb) -> None:
    small.put(M, FULL)
    before = stored_periods(small.engine)
    outcome = small.put(NEXT, {"U1": {"D1": 40}})  # D2 and K1 missing: cannot be scored yet
    assert not outcome.noop and outcome.rows == 1
    assert stored_periods(small.engine) == before  # nothing stored for March
    assert small.current(NEXT) == {("U1", "D1", ""): 40.0}


def test_a_rename_keeps_the_stored_results_and_shows_the_new_name(small: SmallDb) -> None:
    small.put(M, FULL)
    first = results("t", M, engine=small.engine)
    with reading(small.engine) as s:
        before = _state(s, "t", M).fingerprint
    view_key = period_view("t", M, engine=small.engine).key
    renamed = pd.DataFrame(
        {"code": ["U1"], "name": ["甲社区卫生服务中心"], "category": ["测试类"], "aliases": ["甲中心"]}
    )
    upsert_units(renamed, "管理员", engine=small.engine)
    with reading(small.engine) as s:
        assert _state(s, "t", M).fingerprint == before

    same_process = results("t", M, engine=small.engine)  # the memo's scores, the new name
    assert same_process.fingerprint == first.fingerprint
    assert same_process.units.set_index("unit").loc["U1", "name"] == "甲社区卫生服务中心"
    view = period_view("t", M, engine=small.engine)
    assert view.key != view_key and view.units.set_index("unit").loc["U1", "name"] == "甲社区卫生服务中心"

    r = in_a_fresh_process(small.engine, M)
    assert r.from_cache and r.units.set_index("unit").loc["U1", "name"] == "甲社区卫生服务中心"
    assert r.units["total"].tolist() == first.units["total"].tolist()


def test_a_change_of_category_still_rescores(small: SmallDb) -> None:
    small.put(M, FULL)
    with reading(small.engine) as s:
        before = _state(s, "t", M).fingerprint
    upsert_units(
        pd.DataFrame({"code": ["U3"], "name": ["丙中心"], "category": ["测试类二"]}), "管理员", engine=small.engine
    )
    with reading(small.engine) as s:
        assert _state(s, "t", M).fingerprint != before
    assert in_a_fresh_process(small.engine, M).units["group_size"].tolist() == [2, 2, 1]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url_of(engine))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_results_warm_scores_what_is_stale_and_says_so(small: SmallDb, cli) -> None:  # noqa: ANN001
    small.put(M, FULL)
    small.put(NEXT, FULL)
    small.put("2025-04", {"U1": {"D1": 40}})  # partial: cannot be scored yet
    with writing(small.engine) as s:  # as after an upgrade: stored under another engine's code
        s.execute(update(ResultCache).values(fingerprint="e-old"))
    code, out, _ = cli(small.engine, "results", "warm", "--scheme", "t")
    assert code == 0
    assert "正在计算 测试方案 2025-02（1/3）" in out and "正在计算 测试方案 2025-04（3/3）" in out
    assert "已计算并保存 2 期结果，0 期原已是最新；1 期数据尚不完整" in out
    assert in_a_fresh_process(small.engine, NEXT).from_cache

    with writing(small.engine) as s:
        s.execute(delete(ResultCache))
    small.put(M, {"U2": {"D1": 40}})  # stores February and March again
    code, out, _ = cli(small.engine, "results", "warm")
    assert code == 0 and "已计算并保存 0 期结果，2 期原已是最新" in out

    code, _, err = cli(small.engine, "results", "warm", "--scheme", "nope")
    assert code == 2 and "没有方案「nope」" in err
    code, _, err = cli(small.engine, "results", "--scheme", "t")
    assert code == 2 and "--period" in err


def test_the_leaf_detail_is_stored_with_the_totals_and_read_not_rescored(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    small.put(M, FULL)
    reads = []
    real = results_service.current_values_in
    monkeypatch.setattr(results_service, "current_values_in", lambda s, ref: reads.append(ref) or real(s, ref))
    r = in_a_fresh_process(small.engine, M)
    leaves = r.leaves.set_index(["unit", "leaf"])
    assert reads == []  # the detail came from the database: no value read back, nothing scored
    assert leaves.loc[("U3", "K1"), "earned"] == 10 and leaves.loc[("U1", "D2"), "earned"] == 25
    assert "扣" in r.explain("U3").to_string()
    with reading(small.engine) as s:
        fresh = _compute(s, "t", M)[2]
    pd.testing.assert_frame_equal(r.leaves, fresh.leaves)

    small.put(M, {"U3": {"K1": 0}})  # a correction stores the new detail with the new totals
    reads.clear()  # (the import itself scored the month)
    r = in_a_fresh_process(small.engine, M)
    assert r.leaves.set_index(["unit", "leaf"]).loc[("U3", "K1"), "earned"] == 20 and reads == []


def test_a_publication_is_prepared_for_leadership_when_it_is_published(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import publishing

    small.put(M, FULL)
    publishing.publish("t", M, "复核员", engine=small.engine)
    reads = []
    real = publishing.published_values_in
    monkeypatch.setattr(publishing, "published_values_in", lambda *a: reads.append(a) or real(*a))
    publishing._memo.clear()  # another process
    shown = publishing.published_results("t", M, engine=small.engine)
    assert shown.from_cache and reads == []
    assert dict(zip(shown.units["unit"], shown.units["total"], strict=True)) == {"U1": 80, "U2": 85, "U3": 70}
    assert shown.leaves.set_index(["unit", "leaf"]).loc[("U1", "K1"), "earned"] == 15 and reads == []
    small.put(M, {"U1": {"D1": 10}})  # a draft correction: leadership still sees the publication
    publishing._memo.clear()
    again = publishing.published_results("t", M, engine=small.engine)
    assert again.from_cache and reads == [] and again.units.set_index("unit").loc["U1", "total"] == 80


def test_results_warm_fills_missing_details_and_prepares_publications(small: SmallDb, cli) -> None:  # noqa: ANN001
    from services import publishing
    from storage.models import ResultDetail

    small.put(M, FULL)
    small.put(NEXT, FULL)
    publishing.publish("t", M, "复核员", engine=small.engine)
    with writing(small.engine) as s:  # a database from before details were kept, or an upgrade
        s.execute(delete(ResultDetail))
    code, out, _ = cli(small.engine, "results", "warm")
    assert code == 0 and "已计算并保存 2 期结果，0 期原已是最新" in out  # totals current, details missing
    assert "正在准备已发布结果 测试方案 2025-02（1/1）" in out and "已准备 1 期已发布结果，0 期原已是最新" in out
    with reading(small.engine) as s:
        kinds = sorted(s.execute(select(ResultDetail.kind)).scalars())
    assert kinds == ["current", "current", "published"]
    code, out, _ = cli(small.engine, "results", "warm")
    assert "已计算并保存 0 期结果，2 期原已是最新" in out and "已准备 0 期已发布结果，1 期原已是最新" in out
    publishing._memo.clear()
    assert publishing.published_results("t", M, engine=small.engine).from_cache
