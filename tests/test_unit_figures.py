"""Per-unit figures kept per year (常住人口 …): the service, the register import, the results
fingerprint and migration 0006 carrying `population` forward — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine, select, text

from services import unit_figures as uf
from services.audit import audit_log
from services.catalog import list_units
from services.errors import Forbidden, InvalidInput
from services.permissions import Actor
from services.results import results
from services.unit_register import read_unit_register
from storage.db import alembic_config, reading
from storage.models import Unit, UnitFigure
from storage.sql import counter_value

VIEWER = Actor(4, "ld", "领导", "viewer")


def figures(*rows: tuple[str, int, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=uf.FIGURE_COLUMNS)


def stored(engine: Engine, years: list[int] | None = None) -> list[tuple[str, int, str, float]]:
    return list(uf.figures_frame(years, engine=engine).itertuples(index=False, name=None))


# -- the service -----------------------------------------------------------------------------
def test_figures_are_set_per_year_listed_and_filtered_by_year(small: SmallDb) -> None:
    changes = uf.set_figures(
        figures(("U1", 2024, "常住人口", 30000), ("U1", 2025, "常住人口", 31500.5), ("U2", 2025, "65岁以上人口", 4200)),
        "管理员",
        engine=small.engine,
    )
    assert (changes.written, changes.removed, changes.unchanged) == (3, 0, 0)
    assert stored(small.engine) == [
        ("U1", 2024, "常住人口", 30000.0),
        ("U1", 2025, "常住人口", 31500.5),
        ("U2", 2025, "65岁以上人口", 4200.0),
    ]
    assert stored(small.engine, [2024]) == [("U1", 2024, "常住人口", 30000.0)]
    frame = uf.figures_frame([2023], engine=small.engine)
    assert list(frame.columns) == ["unit", "year", "name", "value"] and frame.empty
    assert uf.figure_years(engine=small.engine) == [2025, 2024]
    assert uf.figure_names(engine=small.engine) == ["65岁以上人口", "常住人口"]
    entry = audit_log(action="figures.set", engine=small.engine).iloc[0]
    assert entry["actor"] == "管理员" and entry["message"] == "写入 3 个年度数据，删除 0 个，0 个无变化"


def test_a_changed_value_is_rewritten_a_blank_removes_and_the_same_changes_nothing(small: SmallDb) -> None:
    uf.set_figures(figures(("U1", 2025, "常住人口", 100), ("U2", 2025, "常住人口", 200)), "甲", engine=small.engine)
    with reading(small.engine) as s:
        before = counter_value(s, uf.FIGURES_COUNTER)
    same = uf.set_figures(figures(("U1", 2025, "常住人口", 100)), "乙", engine=small.engine)
    assert (same.written, same.removed, same.unchanged) == (0, 0, 1)
    with reading(small.engine) as s:
        assert counter_value(s, uf.FIGURES_COUNTER) == before  # nothing written: scores stay cached
    changed = uf.set_figures(
        figures(("U1", 2025, "常住人口", 0), ("U2", 2025, "常住人口", None)), "乙", engine=small.engine
    )
    assert (changed.written, changed.removed) == (1, 1)
    assert stored(small.engine) == [("U1", 2025, "常住人口", 0.0)]  # zero is a figure, blank is none
    with reading(small.engine) as s:
        assert counter_value(s, uf.FIGURES_COUNTER) == before + 1
        assert s.scalar(select(UnitFigure.updated_by)) == "乙"


def test_one_bad_row_refuses_all_with_every_problem_named(small: SmallDb) -> None:
    bad = figures(
        ("U1", 2025, "常住人口", 100),
        ("Q7", 2025, "常住人口", 1),
        ("U2", 1899, "常住人口", 1),
        ("U3", 2025, "常住人口", -0.5),
        ("U4", 2025, "", 1),
        ("U1", 2025, "常住人口", 101),
    )
    with pytest.raises(InvalidInput) as caught:
        uf.set_figures(bad, "管理员", engine=small.engine)
    message = str(caught.value)
    assert message.startswith("年度数据有误，未做任何修改")
    assert "单位 Q7 不存在" in message
    assert "单位 U2: 年份 '1899' 应为 2000–2100 之间的整数" in message
    assert "单位 U3「常住人口（2025）」: '-0.5' 应为不小于 0 的数" in message
    assert "单位 U4: 名称为空" in message
    assert "单位 U1「常住人口（2025）」出现了不止一次" in message
    assert stored(small.engine) == [] and audit_log(action="figures.set", engine=small.engine).empty


def test_a_viewer_may_not_write_figures(small: SmallDb) -> None:
    with pytest.raises(Forbidden, match="无权管理单位"):
        uf.set_figures(figures(("U1", 2025, "常住人口", 1)), by=VIEWER, engine=small.engine)
    assert stored(small.engine) == []


def test_a_figure_write_makes_cached_results_recomputed(small: SmallDb) -> None:
    small.put("2025-03", {"U1": {"D1": 40, "D2": 20, "K1": 0}})
    first = results("t", "2025-03", published=False, engine=small.engine)
    again = results("t", "2025-03", published=False, engine=small.engine)
    assert again.fingerprint == first.fingerprint
    uf.set_figures(figures(("U1", 2025, "常住人口", 5000)), "管理员", engine=small.engine)
    after = results("t", "2025-03", published=False, engine=small.engine)
    assert after.fingerprint != first.fingerprint and "|f1|" in after.fingerprint


# -- the register import ---------------------------------------------------------------------
def register_csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


HEADER = ["编码", "名称", "类别", "常住人口（2025）", "65岁以上人口(2025年)", "常住人口(2024)"]


def test_a_register_with_figure_columns_imports_units_and_figures_in_one_go(small: SmallDb) -> None:
    data = register_csv(
        [
            HEADER,
            ["U1", "甲中心", "测试类", "31500", "4200.5", "30000"],
            ["N1", "新中心", "测试类", "1,200", "", "0"],
        ]
    )
    frame = read_unit_register("单位.csv", data)
    assert [c for c in frame.columns if uf.parse_heading(c)] == [
        "常住人口（2025）",
        "65岁以上人口（2025）",
        "常住人口（2024）",
    ]
    outcome = uf.import_register(frame, "管理员", engine=small.engine)
    assert outcome.units.startswith("新增 1 个单位") and outcome.figures.written == 5
    assert stored(small.engine) == [
        ("N1", 2024, "常住人口", 0.0),
        ("N1", 2025, "常住人口", 1200.0),
        ("U1", 2024, "常住人口", 30000.0),
        ("U1", 2025, "65岁以上人口", 4200.5),
        ("U1", 2025, "常住人口", 31500.0),
    ]
    wide = uf.figures_wide(engine=small.engine)  # the register export reads back the same
    assert list(wide.columns) == ["code", "65岁以上人口（2025）", "常住人口（2025）", "常住人口（2024）"]
    assert wide.set_index("code").loc["U1", "常住人口（2024）"] == 30000.0


def test_bad_figure_cells_are_located_and_the_file_changes_nothing(small: SmallDb) -> None:
    units = list_units(engine=small.engine)
    data = register_csv(
        [
            HEADER,
            ["U1", "甲中心", "测试类", "31500", "", ""],
            ["N1", "新中心", "测试类", "三千", "-5", "inf"],
        ]
    )
    with pytest.raises(InvalidInput) as caught:
        read_unit_register("单位.csv", data)
    message = str(caught.value)
    assert "第 3 行「常住人口（2025）」: '三千' 不是数字" in message
    assert "第 3 行「65岁以上人口（2025）」: '-5' 不能小于 0" in message
    assert "第 3 行「常住人口（2024）」: 'inf' 不是数字" in message
    assert "第 2 行" not in message
    pd.testing.assert_frame_equal(list_units(engine=small.engine), units)
    assert stored(small.engine) == []


def test_the_same_figure_written_two_ways_is_a_repeated_column() -> None:
    data = register_csv(
        [["编码", "名称", "类别", "常住人口（2025）", "常住人口(2025年)"], ["U1", "甲", "测试类", 1, 2]]
    )
    with pytest.raises(InvalidInput, match="这些列出现了不止一次：常住人口（2025）"):
        read_unit_register("单位.csv", data)


def test_a_figure_named_too_long_is_refused_by_its_column() -> None:
    data = register_csv([["编码", "名称", "类别", "应" * 31 + "（2025）"], ["U1", "甲", "测试类", 1]])
    with pytest.raises(InvalidInput, match="列「应+（2025）」: 名称「应+」超过 30 个字"):
        read_unit_register("单位.csv", data)


def test_a_unit_error_in_the_register_writes_no_figure_either(small: SmallDb) -> None:
    frame = pd.DataFrame({"code": ["U1"], "name": ["甲中心"], "category": ["测试类"], "parent": ["无此单位"],
                          "常住人口（2025）": [100.0]})  # fmt: skip
    with pytest.raises(InvalidInput, match="上级单位 无此单位 不存在"):
        uf.import_register(frame, "管理员", engine=small.engine)
    assert stored(small.engine) == []


@pytest.mark.parametrize(
    ("heading", "parsed"),
    [
        ("常住人口（2025）", ("常住人口", 2025)),
        ("常住人口(2025年)", ("常住人口", 2025)),
        (" 65岁以上人口 （2024 年） ", ("65岁以上人口", 2024)),
        ("常住人口", None),
        ("常住人口（25）", None),
        ("（2025）", None),
    ],
)
def test_figure_headings(heading: str, parsed: tuple[str, int] | None) -> None:
    assert uf.parse_heading(heading) == parsed


# -- migration 0006 ------------------------------------------------------------------------
def test_the_upgrade_carries_each_units_population_into_a_figure_of_this_year(small: SmallDb) -> None:
    """Down to 0005 (no figures table), population as the register left it, then up again."""
    from alembic import command

    cfg = alembic_config()
    for target in ("0005", "head"):
        with small.engine.execution_options(write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if target == "0005" else command.upgrade)(cfg, target)
        small.engine.dispose()
    year = _migration().carried_year()
    # SMALL_UNITS: U1 1000, U2 2000, U4 4000; U3, X1, Z9 have none
    assert stored(small.engine) == [
        ("U1", year, "服务人口", 1000.0),
        ("U2", year, "服务人口", 2000.0),
        ("U4", year, "服务人口", 4000.0),
    ]
    with reading(small.engine) as s:
        assert set(s.scalars(select(UnitFigure.updated_by))) == {"系统升级"}
        assert s.scalar(select(Unit.population).where(Unit.code == "U2")) == 2000  # the old column stays
        assert s.execute(text("SELECT count(*) FROM unit_figure")).scalar_one() == 3


def _migration():  # noqa: ANN202 - the migration module, loaded from its file
    import importlib.util
    from pathlib import Path

    import storage

    path = Path(storage.__file__).parent / "migrations" / "versions" / "0006_unit_figures.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_carried_year_is_this_year_in_the_bureaus_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("ASSESS_TIMEZONE", "Asia/Shanghai")
    assert _migration().carried_year() == datetime.now(ZoneInfo("Asia/Shanghai")).year


def test_the_register_export_round_trips_through_the_import(small: SmallDb) -> None:
    uf.set_figures(figures(("U1", 2025, "常住人口", 31500), ("U2", 2024, "常住人口", 800)), "甲", engine=small.engine)
    wide = uf.figures_wide(engine=small.engine)
    units = list_units(engine=small.engine)[["code", "name", "category"]].merge(wide, on="code", how="left")
    buffer = io.StringIO()
    units.rename(columns={"code": "编码", "name": "名称", "category": "类别"}).to_csv(buffer, index=False)
    frame = read_unit_register("单位.csv", buffer.getvalue().encode())
    back = uf.register_figures(frame)
    assert sorted(back.itertuples(index=False, name=None)) == [
        ("U1", 2025, "常住人口", 31500.0),
        ("U2", 2024, "常住人口", 800.0),
    ]
