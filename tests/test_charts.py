"""Charts (issue 21): periods read 2025年1月 in time order, rank axes have whole-number ticks,
a handful of units is drawn as points rather than a box."""

from __future__ import annotations

import pandas as pd

from ui.charts import distribution, item_lines, trend_lines


def history(periods: list[str], ranks: list[int] | None = None) -> pd.DataFrame:
    n = len(periods)
    return pd.DataFrame(
        {
            "period": periods * 2,
            "unit": ["A"] * n + ["B"] * n,
            "name": ["甲"] * n + ["乙"] * n,
            "total": [80.0 + i for i in range(2 * n)],
            "rank": ranks * 2 if ranks else [1, 2] * n,
        }
    )


def test_periods_are_named_in_chinese_and_in_time_order() -> None:
    data = history(["2025-02", "2024-12", "2025-01"])
    for fig in (trend_lines(data, "total", 60), trend_lines(data, "rank")):
        assert list(fig.layout.xaxis.categoryarray) == ["2024年12月", "2025年1月", "2025年2月"]
        shown = {x for trace in fig.data for x in trace.x}
        assert shown == {"2024年12月", "2025年1月", "2025年2月"}
        assert not any("-" in x for x in shown)
        assert fig.layout.xaxis.title.text == "期间"
    item = item_lines(data.assign(earned=data["total"]), "earned", "得分", 50, "满分 50 分")
    assert list(item.layout.xaxis.categoryarray) == ["2024年12月", "2025年1月", "2025年2月"]
    assert len(item.layout.shapes) == 1 and item.layout.shapes[0].y0 == 50


def test_rank_axis_has_whole_number_ticks() -> None:
    fig = trend_lines(history(["2025-01", "2025-02"], [1, 3]), "rank")
    axis = fig.layout.yaxis
    assert axis.autorange == "reversed" and axis.tickformat == "d" and axis.dtick == 1 and axis.tick0 == 1
    wide = trend_lines(history(["2025-01", "2025-02"], [1, 250]), "rank")
    assert wide.layout.yaxis.dtick == 25 and float(wide.layout.yaxis.dtick).is_integer()


def units(sizes: dict[str, int]) -> pd.DataFrame:
    rows = [(f"{c}{i}", f"{c}单位{i}", c, 70.0 + i) for c, n in sizes.items() for i in range(n)]
    return pd.DataFrame(rows, columns=["unit", "name", "category", "total"])


def test_a_handful_of_units_is_points_not_a_box() -> None:
    few = distribution(units({"医院": 5}), 60)
    assert [t.type for t in few.data] == ["scatter"] and few.data[0].mode == "markers"
    assert sum(len(t.y) for t in few.data) == 5
    many = distribution(units({"卫生院": 12}), None)
    assert [t.type for t in many.data] == ["box"] and len(many.data[0].y) == 12
    mixed = distribution(units({"卫生院": 12, "医院": 3}), None)
    kinds = {t.type: set(t.x) for t in mixed.data}
    assert kinds["box"] == {"卫生院"} and set().union(*(set(t.x) for t in mixed.data if t.type != "box")) == {"医院"}
    assert list(mixed.layout.xaxis.categoryarray) == ["卫生院", "医院"]
