"""Unit choosers stay small at province size (issue 23): beyond PICK_ALL units a search box narrows
the list to PICK_SHOWN matches, and a unit opened from another page stays chosen."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_pages import app, choose, demo_url  # noqa: F401 - app, demo_url: fixtures

import ui.unit_picker as picker
from ui.unit_picker import matching_units

NAMES = {"U1": "甲中心", "U2": "乙中心", "U3": "丙卫生院", "X9": "甲卫生院"}


def test_matching_by_name_or_code_keeps_the_chosen_first_and_bounds_the_list() -> None:
    assert matching_units(NAMES, "") == ["U1", "U2", "U3", "X9"]
    assert matching_units(NAMES, "甲") == ["U1", "X9"]
    assert matching_units(NAMES, "x9") == ["X9"]  # codes, case-insensitive
    assert matching_units(NAMES, "卫生院", keep="U2") == ["U2", "U3", "X9"]  # the chosen unit stays listed
    assert matching_units(NAMES, "", limit=2) == ["U1", "U2"]
    assert matching_units(NAMES, "", keep="X9", limit=2) == ["X9", "U1"]
    assert matching_units(NAMES, "无此单位") == []
    assert matching_units(NAMES, "(") == []  # typed text, not a pattern


def test_unit_detail_searches_when_there_are_many_units(app: AppTest, monkeypatch) -> None:  # noqa: F811 - app: the fixture
    monkeypatch.setattr(picker, "PICK_ALL", 3)
    monkeypatch.setattr(picker, "PICK_SHOWN", 2)
    app.switch_page("pages/unit_detail.py").run()
    choose(app, "village_monthly")
    assert not app.exception, app.exception
    box = next(t for t in app.text_input if t.label == "搜索单位（名称或编码）")
    chooser = next(s for s in app.selectbox if s.label == "单位")
    assert len(chooser.options) == 2  # not every unit: at most PICK_SHOWN
    assert any("输入更多文字缩小范围" in c.value for c in app.caption)

    box.set_value("上河").run()
    assert not app.exception, app.exception
    chooser = next(s for s in app.selectbox if s.label == "单位")
    index = next(i for i, o in enumerate(chooser.options) if "上河" in o)  # the match is offered
    chooser.select_index(index).run()
    assert not app.exception, app.exception
    chosen = app.session_state["detail_unit"]
    assert app.session_state["unit"] == chosen == app.query_params["unit"]  # the page shows it
    assert "上河" in next(s for s in app.selectbox if s.label == "单位").format_func(chosen)

    next(t for t in app.text_input if t.label == "搜索单位（名称或编码）").set_value("无此单位").run()
    assert not app.exception, app.exception
    assert any("没有名称或编码包含「无此单位」的单位" in c.value for c in app.caption)


def test_trends_adds_a_unit_found_by_search_and_keeps_the_chosen(app: AppTest, monkeypatch) -> None:  # noqa: F811 - app: the fixture
    monkeypatch.setattr(picker, "PICK_ALL", 3)
    app.switch_page("pages/trends.py").run()
    choose(app, "village_monthly")
    assert not app.exception, app.exception
    chooser = app.multiselect(key="trend_units_village_monthly")
    first = list(chooser.value)
    assert first and len(chooser.options) == len(first)  # only the chosen units: nothing else sent

    app.text_input(key="trend_units_village_monthly_q").set_value("上河").run()
    assert not app.exception, app.exception
    chooser = app.multiselect(key="trend_units_village_monthly")
    assert len(chooser.options) == len(first) + 1 and "上河" in chooser.options[-1]  # the match is offered
    found = next(c for c in _village_codes() if "上河" in _village_codes()[c])
    chooser.select(found).run()
    assert not app.exception, app.exception
    assert list(app.multiselect(key="trend_units_village_monthly").value) == [*first, found]

    app.text_input(key="trend_units_village_monthly_q").set_value("东湖").run()
    assert not app.exception, app.exception
    assert list(app.multiselect(key="trend_units_village_monthly").value) == [*first, found]  # kept


def _village_codes() -> dict[str, str]:
    from services.catalog import list_units

    units = list_units()
    return dict(zip(units["code"], units["name"], strict=True))


def test_a_unit_chosen_on_unit_detail_stays_chosen_across_reruns(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    """The page writes the chosen unit back to the session; that must not undo the choice (it did:
    a unit picked on 单位详情 snapped back to the first one)."""
    app.switch_page("pages/unit_detail.py").run()
    choose(app, "village_monthly")
    first = app.session_state["unit"]
    chooser = next(s for s in app.selectbox if s.label == "单位")
    other = next(i for i, o in enumerate(chooser.options) if o != chooser.format_func(first))
    chooser.select_index(other).run()
    picked = app.session_state["detail_unit"]
    assert picked != first and app.session_state["unit"] == picked
    app.run()
    app.run()
    assert app.session_state["unit"] == app.session_state["detail_unit"] == picked


def test_the_task_lists_unit_filter_keeps_a_unit_and_offers_all(app: AppTest) -> None:  # noqa: F811 - app: the fixture
    app.switch_page("pages/tasks.py").run()
    chooser = app.selectbox(key="tasks_unit")
    assert chooser.value is None and chooser.format_func(None) == "全部单位"
    chooser.select_index(1).run()
    code = app.selectbox(key="tasks_unit").value
    assert code is not None
    app.run()
    assert app.selectbox(key="tasks_unit").value == code
