"""Each unit's history of totals, ranks and grades (issue 23): stored with the results on the
write path, read for a few units in one indexed query, equal to what every period's results give,
and never stale — an import, a rollback or a publication is seen at once. SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import delete, func, inspect, select, update

from manage import main
from services import permissions, submissions
from services import unit_history as uh
from services.catalog import upsert_units
from services.dashboard import history, unit_history
from services.permissions import Actor
from services.publishing import publish
from services.results import published_only, results
from services.values import periods_with_values
from storage.db import alembic_config, reading, writing
from storage.models import ResultDetail, UnitHistory, UnitHistoryStamp

JAN, FEB, MAR = "2025-01", "2025-02", "2025-03"
# D1 (50) + D2 (30) + K1 (20 − 5 per occurrence)
FULL = {"U1": {"D1": 40, "D2": 25, "K1": 1}, "U2": {"D1": 45, "D2": 20, "K1": 0}, "U3": {"D1": 30, "D2": 30, "K1": 2}}
ASSESSOR = Actor(3, "kp", "考核员", "assessor", schemes=("t",))


def the_long_way(engine, units: list[str]) -> pd.DataFrame:  # noqa: ANN001
    """What the pages showed before: every period's results, filtered to `units`."""
    frames = []
    for label in periods_with_values("t", engine=engine):
        r = results("t", label, engine=engine)
        if r is not None:
            frames.append(r.units[r.units["unit"].astype(str).isin(units)][uh.COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"period": str, "unit": str, "grade": object, "name": str})


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.astype({"grade": object}).reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


@pytest.fixture
def no_long_way(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Periods read through results() by the history (none when the stored rows serve)."""
    asked: list[str] = []
    real = uh.results
    monkeypatch.setattr(uh, "results", lambda key, label, **kw: asked.append(label) or real(key, label, **kw))
    return asked


def three_months(small: SmallDb) -> None:
    small.put(JAN, FULL)
    small.put(FEB, {**FULL, "U1": {"D1": 20, "D2": 25, "K1": 0}})
    small.put(MAR, {**FULL, "U3": {"D1": 50, "D2": 30, "K1": 0}})


def test_the_history_equals_every_periods_results_and_comes_from_the_stored_rows(
    small: SmallDb, no_long_way: list[str]
) -> None:
    three_months(small)
    got = history("t", ["U3", "U1"], engine=small.engine)
    assert no_long_way == []  # the write path stored every month's rows
    same(got, the_long_way(small.engine, ["U3", "U1"]).drop(columns="group_size"))
    assert got["period"].tolist() == [JAN, JAN, FEB, FEB, MAR, MAR]
    one = unit_history("t", "U3", engine=small.engine)
    same(one, the_long_way(small.engine, ["U3"]))
    assert one["total"].tolist() == [70, 70, 100] and one["rank"].tolist() == [3, 2, 1]
    assert unit_history("t", "NOPE", engine=small.engine).empty


def test_an_import_and_a_rollback_are_seen_at_once(small: SmallDb, no_long_way: list[str]) -> None:
    three_months(small)
    assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 85, 85]
    correction = small.put(FEB, {"U2": {"D1": 5}})
    assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 45, 85]
    submissions.rollback(correction.submission_id, "管理员", engine=small.engine)
    assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 85, 85]
    assert no_long_way == []
    same(unit_history("t", "U2", engine=small.engine), the_long_way(small.engine, ["U2"]))


def test_rows_that_do_not_match_the_results_now_are_never_shown(small: SmallDb, no_long_way: list[str]) -> None:
    three_months(small)
    with writing(small.engine) as s:  # rows written for another fingerprint (another engine's code…)
        s.execute(update(UnitHistory).values(total=0.0))
        s.execute(update(UnitHistoryStamp).values(fingerprint="old"))
    same(unit_history("t", "U1", engine=small.engine), the_long_way(small.engine, ["U1"]))
    assert no_long_way == [JAN, FEB, MAR]  # read the long way, and written again then
    no_long_way.clear()
    assert unit_history("t", "U1", engine=small.engine)["total"].tolist() == [80, 65, 80]
    assert no_long_way == []


def test_leadership_sees_the_published_history_until_a_new_publication(small: SmallDb, no_long_way: list[str]) -> None:
    three_months(small)
    with published_only():
        assert unit_history("t", "U2", engine=small.engine).empty  # nothing published yet
        publish("t", JAN, "复核员", engine=small.engine)
        publish("t", FEB, "复核员", engine=small.engine)
        assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 85]
        small.put(FEB, {"U2": {"D1": 5}})  # a draft correction: leadership still sees the publication
        assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 85]
        same(unit_history("t", "U2", engine=small.engine), the_long_way(small.engine, ["U2"]))
    assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 45, 85]  # the draft
    with published_only():
        publish("t", FEB, "复核员", engine=small.engine)
        assert unit_history("t", "U2", engine=small.engine)["total"].tolist() == [85, 45]
    assert no_long_way == []


def test_a_rename_shows_the_new_name_without_rewriting_the_rows(small: SmallDb) -> None:
    three_months(small)
    upsert_units(
        pd.DataFrame({"code": ["U1"], "name": ["甲中心新名"], "category": ["测试类"]}), "管理员", engine=small.engine
    )
    assert set(history("t", ["U1"], engine=small.engine)["name"]) == {"甲中心新名"}


def test_a_partial_draft_is_shown_as_results_show_it_and_never_stored(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    small.put(JAN, FULL)
    small.put(FEB, {**FULL, "U2": {"D2": 20, "K1": 0}})  # U2 lacks D1: February cannot be scored whole
    monkeypatch.setattr(permissions, "_ambient", lambda: ASSESSOR)
    got = history("t", ["U1", "U2"], engine=small.engine)
    assert list(zip(got["period"], got["unit"], strict=True)) == [(JAN, "U1"), (JAN, "U2"), (FEB, "U1")]
    with reading(small.engine) as s:
        assert s.scalar(select(func.count()).select_from(UnitHistoryStamp)) == 1  # January only


def test_results_warm_writes_the_missing_rows_of_both_kinds(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, no_long_way: list[str]
) -> None:
    three_months(small)
    publish("t", JAN, "复核员", engine=small.engine)
    with writing(small.engine) as s:  # a database from before the history was kept
        s.execute(delete(UnitHistory))
        s.execute(delete(UnitHistoryStamp))
    monkeypatch.setenv("DATABASE_URL", small.url)
    assert main(["results", "warm"]) == 0
    out = capsys.readouterr().out
    assert "正在写入单位历史 测试方案 2025-01 已发布结果（1/1）" in out and "已写入 4 期单位历史" in out
    assert main(["results", "warm"]) == 0
    assert "已写入 0 期单位历史（趋势、单位详情用），4 期原已是最新" in capsys.readouterr().out
    no_long_way.clear()
    unit_history("t", "U1", engine=small.engine)
    with published_only():
        unit_history("t", "U1", engine=small.engine)
    assert no_long_way == []
    with writing(small.engine) as s:  # no stored detail either: the rows come through results()
        s.execute(delete(ResultDetail))
        s.execute(delete(UnitHistoryStamp))
    assert uh.warm_history(engine=small.engine) == (4, 0)
    assert sorted(no_long_way) == [JAN, JAN, FEB, MAR]
    same(unit_history("t", "U1", engine=small.engine), the_long_way(small.engine, ["U1"]))


def test_migration_0009_adds_and_drops_the_tables(small: SmallDb) -> None:
    from alembic import command

    cfg = alembic_config()
    for revision, present in (("0008", False), ("head", True)):
        with small.engine.execution_options(write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if revision == "0008" else command.upgrade)(cfg, revision)
        small.engine.dispose()
        names = inspect(small.engine).get_table_names()
        assert ("unit_history" in names) is present and ("unit_history_stamp" in names) is present
    small.put(JAN, FULL)
    assert unit_history("t", "U1", engine=small.engine)["total"].tolist() == [80]


def test_the_published_fingerprints_of_all_periods_at_once_are_those_of_each(small: SmallDb) -> None:
    from services.publishing import _fingerprint, published_fingerprints

    small.put("2024-02", FULL)  # last year's February: a baseline never published
    three_months(small)
    publish("t", JAN, "复核员", engine=small.engine)
    publish("t", MAR, "复核员", engine=small.engine)  # February (its 上期) not published
    small.put(MAR, {"U1": {"D1": 10}})
    publish("t", MAR, "复核员", engine=small.engine)  # a republication
    labels = ["2024-02", "2024-12", JAN, FEB, MAR, "2025-04"]
    with reading(small.engine) as s:
        each = {x: (f[2].id, f[0]) for x in labels if (f := _fingerprint(s, "t", x)) is not None}
        assert published_fingerprints(s, "t", labels) == each
    assert set(each) == {JAN, MAR}


def item_both_ways(engine, code: str, units: list[str] | None) -> tuple:  # noqa: ANN001
    from services.item_history import STORED_MISSING, stored_item
    from services.time_views import _item_the_long_way

    stored = stored_item("t", code, units, 1, engine=engine)
    assert stored is not STORED_MISSING
    return stored, _item_the_long_way("t", code, units, 1, engine)


def test_an_items_trend_is_read_from_the_stored_leaves_and_equals_every_periods_results(small: SmallDb) -> None:
    from services.time_views import item_trend

    three_months(small)
    small.put(FEB, {"U2": {"D2": "不适用"}})  # not applicable: no point for U2 in February
    publish("t", JAN, "复核员", engine=small.engine)
    for mode in (nullcontext, published_only):
        with mode():
            for code, units in (("D2", ["U2", "U1", "NOPE"]), ("K1", None), ("D1", None)):
                (scheme, data, how), (_, expected, expected_how) = item_both_ways(small.engine, code, units)
                pd.testing.assert_frame_equal(data, expected)
                assert how == expected_how and scheme.leaf(code).code == code
    shown = item_trend("t", "D2", ["U2", "U1"], engine=small.engine).data
    assert list(zip(shown["period"], shown["unit"], shown["earned"], strict=True)) == [
        (JAN, "U1", 25), (JAN, "U2", 20), (FEB, "U1", 25), (MAR, "U1", 25), (MAR, "U2", 20)
    ]  # fmt: skip
    ends = item_trend("t", "K1", None, ends=1, engine=small.engine)
    assert ends.how == "2025年3月该项得分前 1 名和后 1 名" and set(ends.data["unit"]) == {"U2", "U1"}
    assert item_trend("t", "NOPE", ["U1"], engine=small.engine) is None


def test_an_import_is_seen_at_once_in_an_items_trend(small: SmallDb, no_long_way: list[str]) -> None:
    from services.time_views import item_trend

    three_months(small)
    assert item_trend("t", "D1", ["U3"], engine=small.engine).data["earned"].tolist() == [30, 30, 50]
    small.put(FEB, {"U3": {"D1": 11}})
    assert item_trend("t", "D1", ["U3"], engine=small.engine).data["earned"].tolist() == [30, 11, 50]
    with writing(small.engine) as s:  # a stale stamp: the trend is read the long way, still right
        s.execute(update(UnitHistoryStamp).where(UnitHistoryStamp.kind == "current").values(fingerprint="old"))
    assert item_trend("t", "D1", ["U3"], engine=small.engine).data["earned"].tolist() == [30, 11, 50]


def test_a_units_explanation_is_kept_with_its_results_and_handed_out_as_a_copy(small: SmallDb) -> None:
    three_months(small)
    r = results("t", FEB, engine=small.engine)
    first = r.explain("U1")
    first["earned"] = -1.0  # a page adding or changing a column does not change the kept one
    again = r.explain("U1")
    pd.testing.assert_frame_equal(again, r.scored.explain("U1", FEB))
    assert (again["earned"] >= 0).all()
