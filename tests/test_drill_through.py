"""Drill-through (issue 21 part 2): every KPI, bar, heatmap cell and table row leads to the units
or items behind it. The per-item unit lists (reports), the figures' customdata (ui.charts), and
each page's drill-through under AppTest on the demo district, landing on 单位详情 with the unit
and item that the services say are behind what was clicked."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_bulletin import NAMES, meeting_results
from test_pages import app, choose, demo_url  # noqa: F401 - app, demo_url: fixtures

from reports.criteria import lost_by_leaf, target_attainment, units_failing, units_losing, unmet_items
from reports.overview import behind_tiles, bottom, headline, movers, ordered, top
from services.dashboard import PeriodView, history, period_view
from services.permissions import trusted
from storage.db import get_engine
from ui.charts import lost_points_bars, score_heatmap, trend_lines

SCHEME, MONTH = "community_monthly", "2025-08"


# -- reports: the units behind a row ------------------------------------------------------------
def test_the_units_losing_an_item_are_behind_its_lost_row() -> None:
    r = meeting_results(["2025-08"])
    lost = lost_by_leaf(r.leaves, r.scheme).set_index("leaf")
    for code in ("A1", "T1"):
        losing = units_losing(r.leaves, r.scheme, code, NAMES)
        assert len(losing) == lost.loc[code, "units_losing"]
        assert losing["lost"].sum() == pytest.approx(lost.loc[code, "lost"])
        assert list(losing["lost"]) == sorted(losing["lost"], reverse=True)
    # August: A1 is 88 68 80 72 of 90, so U2 lost most; T1 only U2 (90 < 95) lost its 10 points.
    assert units_losing(r.leaves, r.scheme, "A1", NAMES)["unit"].tolist() == ["U2", "U4", "U3", "U1"]
    assert units_losing(r.leaves, r.scheme, "T1", NAMES)[["unit", "name", "value", "lost"]].values.tolist() == [
        ["U2", "乙中心", 90.0, 10.0]
    ]
    assert units_losing(r.leaves, r.scheme, "V1", NAMES).empty  # a veto is not a scored item
    assert units_losing(r.leaves, r.scheme, "NOPE", NAMES).empty


def test_the_units_failing_a_target_are_behind_its_attainment_row() -> None:
    r = meeting_results(["2025-07"])
    row = target_attainment(r.leaves, r.scheme).set_index("leaf").loc["T1"]
    failing = units_failing(r.leaves, r.scheme, "T1", NAMES)
    assert len(failing) == row["units"] - row["met"]
    assert failing["unit"].tolist() == ["U2", "U4"]  # 90 and 90 against 95
    assert units_failing(r.leaves, r.scheme, "A1", NAMES).empty  # a direct item has no target


def test_the_unmet_items_add_up_to_the_unmet_tile() -> None:
    r = meeting_results(["2025-07"])
    units = r.units.assign(name=r.units["unit"].astype(str).map(NAMES))
    unmet = unmet_items(r.leaves, r.scheme, NAMES)
    assert len(unmet) == headline(units).unmet_targets == 2
    assert unmet[["unit", "name", "leaf", "leaf_name"]].values.tolist() == [
        ["U2", "乙中心", "T1", "处方合格率"],
        ["U4", "丁中心", "T1", "处方合格率"],
    ]
    assert unmet_items(r.leaves, r.scheme, {"U4": "丁中心"})["unit"].tolist() == ["U4"]  # the units shown only


def test_each_tile_lists_as_many_units_as_it_counts() -> None:
    r = meeting_results(["2025-07", "2025-08"])
    units = r.units[r.units["period"].astype(str) == "2025-08"]
    h, behind = headline(units), behind_tiles(units)
    assert len(behind["assessed"]) == h.assessed
    assert len(behind["below_line"]) == h.below_line
    assert behind["vetoed"]["unit"].tolist() == ["U3"] and h.vetoed == 1
    assert behind["unmet"]["unmet_targets"].sum() == h.unmet_targets


# -- charts carry what a click opens --------------------------------------------------------------
def test_the_figures_carry_the_unit_and_item_a_click_opens() -> None:
    r = meeting_results(["2025-07", "2025-08"])
    leaves = r.leaves[r.leaves["period"].astype(str) == "2025-08"]
    lost = lost_by_leaf(leaves, r.scheme)
    bars = lost_points_bars(lost)
    assert sorted(c[0] for c in bars.data[0].customdata) == sorted(lost["leaf"])

    matrix = pd.DataFrame({"A1": [0.9, 0.5], "T1": [1.0, float("nan")]}, index=["U1", "U2"])
    cells = score_heatmap(matrix, {"A1": "综合评分", "T1": "处方合格率"}, NAMES).data[1]
    assert [list(c) for c in cells.customdata] == [["U1", "A1"], ["U1", "T1"], ["U2", "A1"]]  # no NaN cell
    assert list(cells.y) == ["甲中心", "甲中心", "乙中心"]

    hist = pd.DataFrame(
        {"period": ["2025-07", "2025-08"], "unit": ["U1", "U1"], "name": ["甲中心"] * 2, "total": [95.0, 98.0]}
    )
    assert [list(c) for c in trend_lines(hist, "total").data[0].customdata] == [["U1", "2025-07"], ["U1", "2025-08"]]


# -- pages ------------------------------------------------------------------------------------------
def _view() -> PeriodView:
    with trusted():
        view = period_view(SCHEME, MONTH, engine=get_engine())
    assert view is not None
    return view


def _landed(at: AppTest, unit: str, item: str | None = None) -> None:
    assert not at.exception, at.exception
    assert at.title[0].value == "单位详情"
    assert at.session_state["unit"] == unit
    assert at.query_params["unit"] == unit  # the address says what is shown
    if item is not None:
        assert at.session_state["item"] == item
        assert any(s.value.startswith(f"指标详情：{item} ") for s in at.subheader)  # the item is open
    assert "2025年8月" in at.caption[0].value  # the period of the page clicked on is kept


def _overview(at: AppTest) -> AppTest:
    at.switch_page("pages/overview.py").run()
    return choose(at, SCHEME, MONTH)


def test_a_tile_with_few_units_opens_its_unit_in_one_click(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _overview(app)
    vetoed = behind_tiles(_view().units)["vetoed"]
    assert 0 < len(vetoed) <= 5
    app.button(key="tile_vetoed_0").click().run()
    _landed(app, vetoed.iloc[0]["unit"])


def test_a_tile_with_many_units_opens_the_unit_chosen_in_its_list(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _overview(app)
    assessed = behind_tiles(_view().units)["assessed"]
    assert len(assessed) > 5  # listed in a popover's table
    assert not any(d.value.shape[0] == len(assessed) for d in app.dataframe)  # drawn only when opened
    app.session_state["tile_assessed_open"] = True  # the popover opened
    app.run()
    assert not app.exception, app.exception
    assert any(d.value.shape[0] == len(assessed) for d in app.dataframe)
    app.session_state["tile_assessed"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    app.run()
    _landed(app, assessed.iloc[2]["unit"])


def test_the_unmet_tile_opens_the_unit_on_the_unmet_item(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _overview(app)
    view = _view()
    names = dict(zip(view.units["unit"], view.units["name"], strict=True))
    unmet = unmet_items(view.detail.leaves, view.scheme, names)
    assert len(unmet) == headline(view.units).unmet_targets
    if len(unmet) > 5:
        app.session_state["tile_unmet_open"] = True
        app.session_state["tile_unmet"] = {"selection": {"rows": [len(unmet) - 1], "columns": [], "cells": []}}
        app.run()
    else:
        app.button(key=f"tile_unmet_{len(unmet) - 1}").click().run()
    _landed(app, unmet.iloc[-1]["unit"], unmet.iloc[-1]["leaf"])


@pytest.mark.parametrize("key", ["top_table", "bottom_table", "up_table", "down_table"])
def test_a_row_of_the_overview_tables_opens_that_unit(app: AppTest, key: str) -> None:  # noqa: F811 - app: the fixture
    _overview(app)
    units = _view().units
    up, down = movers(units)
    rows = {"top_table": top(units), "bottom_table": bottom(units), "up_table": up, "down_table": down}[key]
    assert len(rows)
    app.session_state[key] = {"selection": {"rows": [len(rows) - 1], "columns": [], "cells": []}}
    app.run()
    _landed(app, rows.iloc[-1]["unit"])


def _criteria(at: AppTest) -> AppTest:
    at.switch_page("pages/criteria.py").run()
    choose(at, SCHEME, MONTH)
    assert at.title[0].value == "指标分析"
    return at


def _leaves(view: PeriodView) -> tuple[pd.DataFrame, dict[str, str]]:
    names = dict(zip(view.units["unit"], view.units["name"], strict=True))
    return view.detail.leaves, names


def test_a_lost_points_row_lists_the_units_that_lost_on_it_and_each_opens_on_the_item(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _criteria(app)
    view = _view()
    leaves, names = _leaves(view)
    lost = lost_by_leaf(leaves, view.scheme)
    code = lost.iloc[0]["leaf"]
    app.session_state["lost_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception
    losing = units_losing(leaves, view.scheme, code, names)
    shown = next(d.value for d in app.dataframe if list(d.value.columns) == ["单位", "得分", "失分"])
    assert shown["单位"].tolist() == losing["name"].tolist()
    assert len(shown) == lost.iloc[0]["units_losing"]
    app.session_state["lost_units"] = {"selection": {"rows": [len(losing) - 1], "columns": [], "cells": []}}
    app.run()
    _landed(app, losing.iloc[-1]["unit"], code)


def test_a_lost_points_bar_lists_the_units_behind_it(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _criteria(app)
    view = _view()
    leaves, names = _leaves(view)
    code = lost_by_leaf(leaves, view.scheme).iloc[1]["leaf"]
    app.session_state["lost_chart"] = {"selection": {"points": [{"customdata": [code]}], "box": [], "lasso": []}}
    app.run()
    assert not app.exception, app.exception
    losing = units_losing(leaves, view.scheme, code, names)
    assert any(f"在「{code} " in m.value and f"（{len(losing)} 个）" in m.value for m in app.markdown)


def test_a_heatmap_cell_opens_that_unit_on_that_item(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _criteria(app)
    view = _view()
    leaves, _ = _leaves(view)
    # The cell the way the chart reports it: the customdata score_heatmap gives that cell.
    worst = leaves[leaves["applicable"] & (leaves["points"] > 0)].sort_values("lost").iloc[-1]
    unit, code = str(worst["unit"]), str(worst["leaf"])
    app.session_state["score_heatmap"] = {
        "selection": {"points": [{"customdata": [unit, code]}], "box": [], "lasso": []}
    }
    app.run()
    _landed(app, unit, code)


def test_a_target_row_lists_the_units_that_missed_it(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    _criteria(app)
    view = _view()
    leaves, names = _leaves(view)
    attain = target_attainment(leaves, view.scheme)
    assert attain.iloc[0]["met"] < attain.iloc[0]["units"]  # the least met target comes first
    code = attain.iloc[0]["leaf"]
    app.session_state["attain_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception
    failing = units_failing(leaves, view.scheme, code, names)
    assert len(failing) == attain.iloc[0]["units"] - attain.iloc[0]["met"]
    shown = next(d.value for d in app.dataframe if list(d.value.columns) == ["单位", "实际值", "得分", "失分"])
    assert shown["单位"].tolist() == failing["name"].tolist()
    app.session_state["failed_units"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    _landed(app, failing.iloc[0]["unit"], code)


def test_an_item_in_the_address_comes_chosen_on_the_criteria_page(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    view = _view()
    leaves, names = _leaves(view)
    code = lost_by_leaf(leaves, view.scheme).iloc[0]["leaf"]
    app.switch_page("pages/criteria.py").run()
    app.query_params.update({"scheme": SCHEME, "period": MONTH, "item": code})
    app.run()
    assert not app.exception, app.exception
    losing = units_losing(leaves, view.scheme, code, names)
    assert any(f"在「{code} " in m.value and f"（{len(losing)} 个）" in m.value for m in app.markdown)


def test_a_point_of_a_trend_opens_that_unit_in_that_period(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    choose(app, SCHEME, MONTH).switch_page("pages/trends.py").run()
    unit = str(ordered(_view().units).iloc[0]["unit"])  # the first unit the page compares
    with trusted():
        data = history(SCHEME, [unit], engine=get_engine())
    point = data.sort_values("period").iloc[0]  # its first period, not the one the page is on
    assert point["period"] != MONTH
    app.session_state["trend_chart_total"] = {
        "selection": {"points": [{"customdata": [point["unit"], point["period"]]}], "box": [], "lasso": []}
    }
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "单位详情"
    assert app.session_state["unit"] == unit
    assert app.query_params["period"] == point["period"]
