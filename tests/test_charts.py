"""Charts (issue 21), checked on the figure objects: periods read 2025年1月 in time order, rank
axes have whole-number ticks, a handful of units is drawn as points rather than a box, vetoed
units are labelled 一票否决, legends lie above the plot (never over it), and units differ in
colour and marker shape."""

from __future__ import annotations

import pandas as pd
import pytest

from services.time_views import MAX_TRACES
from ui.charts import distribution, item_lines, ranking_bars, trend_lines
from ui.palette import BOTTOM_LINE, UNIT_COLORS, UNIT_SYMBOLS, VETO


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


def test_thousands_of_units_send_a_computed_box_and_only_the_lowest_points() -> None:
    """Beyond MANY_POINTS units no total is sent but the lowest twenty (issue 23)."""
    data = units({"卫生院": 3000})  # totals 70, 71, …, 3069
    data.loc[len(data)] = ["X", "远高单位", "卫生院", 10_000.0]  # beyond q3 + 1.5 × IQR: not a whisker
    fig = distribution(data, 80)
    box = next(t for t in fig.data if t.type == "box")
    # linear quantiles of 3,001 sorted values: positions 750, 1500, 2250 → 70 + position
    assert (box.q1, box.median, box.q3) == ((820.0,), (1570.0,), (2320.0,)) and box.y is None
    assert (box.lowerfence, box.upperfence) == ((70.0,), (3069.0,))  # 10,000 > 2320 + 1.5 × 1500
    points = [t for t in fig.data if t.type == "scatter"]
    assert [list(t.y) for t in points] == [[70.0 + i for i in range(20)]]
    assert len(fig.to_json()) < 20_000
    assert distribution(units({"卫生院": 2000}), 80).data[0].y is not None  # at the limit: every point, as before


def ranked(n: int, vetoed: set[int] = frozenset()) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": [f"U{i}" for i in range(n)],
            "name": [f"单位{i}" for i in range(n)],
            "category": ["卫生院"] * n,
            "total": [95.0 - 3 * i for i in range(n)],
            "rank_overall": list(range(1, n + 1)),
            "grade": ["优秀" if i < n // 2 else "合格" for i in range(n)],
            "veto": [i in vetoed for i in range(n)],
        }
    )


def veto_labels(fig) -> list[tuple[object, object]]:  # noqa: ANN001
    """(x, y) of the points labelled 一票否决 on the chart."""
    return [(x, y) for t in fig.data if t.text is not None for x, y, s in zip(t.x, t.y, t.text) if s == "一票否决"]


def test_vetoed_units_are_labelled_on_every_score_chart() -> None:
    units = ranked(10, {2})
    bars = ranking_bars(units, ["优秀", "合格"], 80)
    names = list(bars.layout.yaxis.categoryarray)
    assert "单位2（一票否决）" in names and sum("一票否决" in n for n in names) == 1
    assert veto_labels(distribution(units, 80)) == [("卫生院", 89.0)]
    assert veto_labels(distribution(units.head(5), 80)) == [("卫生院", 89.0)]  # as points, too
    assert veto_labels(distribution(units.assign(veto=False), 80)) == []
    data = history(["2025-01", "2025-02"]).assign(veto=[False, True, False, False])
    assert veto_labels(trend_lines(data, "total", 80)) == [("2025年2月", 81.0)]
    assert veto_labels(trend_lines(data, "rank")) == [("2025年2月", 2)]
    assert veto_labels(trend_lines(history(["2025-01", "2025-02"]), "total")) == []  # no veto column: nothing


def test_legends_lie_outside_the_plot_area() -> None:
    """A legend inside the plot covers lines or bars: every shown legend is one row above it."""
    data = history(["2025-01", "2025-02"])
    figures = [ranking_bars(ranked(6), ["优秀", "合格"], 80), trend_lines(data, "total", 80), trend_lines(data, "rank")]
    for fig in figures:
        legend = fig.layout.legend
        assert fig.layout.showlegend is not False and sum(bool(t.showlegend is not False) for t in fig.data) > 1
        assert legend.orientation == "h" and legend.yanchor == "bottom" and legend.y >= 1
    alone = trend_lines(data[data["unit"] == "A"], "total")
    assert alone.layout.showlegend is False  # one unit: no legend at all


def test_units_are_told_apart_by_colour_and_shape() -> None:
    n = MAX_TRACES
    data = pd.DataFrame(
        {
            "period": ["2025-01", "2025-02"] * n,
            "unit": [f"U{i // 2}" for i in range(2 * n)],
            "name": [f"单位{i // 2}" for i in range(2 * n)],
            "total": [80.0] * (2 * n),
            "rank": [1] * (2 * n),
        }
    )
    fig = trend_lines(data, "total", 80)
    lines = [t for t in fig.data if t.mode and "lines" in t.mode]
    colours = [t.line.color for t in lines]
    assert len(lines) == n and len(set(colours)) == n
    assert not {c.lower() for c in colours} & {BOTTOM_LINE.lower(), VETO.lower()}  # never read as the line or a veto
    assert len(UNIT_COLORS) >= MAX_TRACES and len(set(UNIT_COLORS)) == len(UNIT_COLORS)
    symbols = [t.marker.symbol for t in lines]
    assert len(set(symbols[: len(UNIT_SYMBOLS)])) == len(UNIT_SYMBOLS)


def test_the_ranking_axis_follows_the_schemes_total() -> None:
    """A 10-point scheme's bars fill the chart (axis 0–10.5), a 100-point one's runs to 105."""
    units = ranked(3).assign(total=[9.5, 8.0, 7.5])
    assert list(ranking_bars(units, ["优秀", "合格"], 8, total=10).layout.xaxis.range) == pytest.approx([0, 10.5])
    assert list(ranking_bars(ranked(3), ["优秀", "合格"], 80).layout.xaxis.range) == pytest.approx([0, 105])
    with_bonus = ranked(3).assign(total=[110.0, 90.0, 80.0])  # bonus points above the total stay on the chart
    assert list(ranking_bars(with_bonus, ["优秀", "合格"], 80).layout.xaxis.range) == pytest.approx([0, 115.5])


def test_a_line_chart_of_the_same_frame_is_built_once_and_any_change_builds_it_anew() -> None:
    data = history(["2025-01", "2025-02"])
    first = trend_lines(data, "total", 60)
    assert trend_lines(data.copy(), "total", 60) is first  # a rerun: the same content, the same figure
    assert trend_lines(data, "total", 70) is not first and trend_lines(data, "rank") is not first
    changed = data.assign(total=[80.0, 81.0, 82.0, 99.5])
    again = trend_lines(changed, "total", 60)
    assert again is not first and 99.5 in {y for trace in again.data for y in trace.y}
    reordered = trend_lines(data.iloc[[2, 3, 0, 1]], "total", 60)  # B first: its line gets the first colour
    assert reordered is not first and reordered.data[0].name == "乙"
    item = item_lines(data.assign(earned=data["total"]), "earned", "得分", 50, "满分 50 分")
    assert item_lines(data.assign(earned=data["total"]), "earned", "得分", 50, "满分 50 分") is item
    assert item_lines(data.assign(earned=data["total"]), "earned", "得分", 40, "满分 40 分") is not item
