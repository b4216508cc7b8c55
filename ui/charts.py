"""Plotly figures for the dashboard. Pure functions: frames in, figures out (the line charts
hand out the same figure again for a frame with the same content: never change one in place).

Plotly reads a little HTML in every text it draws (axis labels, legends, hover boxes): `<a href>`
becomes a link in the chart, `<b>`, `<span style>` change the look. Unit, indicator, category and
grade names come from people, so every text taken from data goes through `plotly_text` first
(`&`, `<`, `>` as entities, which Plotly shows as the characters themselves).
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from reports import numbers
from scoring.periods import period_name
from ui.palette import BOTTOM_LINE, UNIT_COLORS, UNIT_SYMBOLS, VETO, grade_colors


def plotly_text(value: object) -> str:
    """Text from data as Plotly shows it literally (None: empty)."""
    s = "" if value is None else str(value)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _texts(values: pd.Series) -> pd.Series:
    return values.map(plotly_text)


FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif", size=15)


# Legends lie in one row above the plot area (Plotly widens the top margin for them), never over
# a line, bar or point; the y-axis ticks and the x-axis title keep their room below.
LEGEND = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0)
VETO_TEXT = "一票否决"


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        font=FONT, height=height, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="", legend=LEGEND
    )
    return fig


def _vetoed(data: pd.DataFrame) -> pd.Series:
    """Which rows are vetoed (一票否决); none when the frame does not say."""
    if "veto" not in data:
        return pd.Series(False, index=data.index)
    return data["veto"].astype("boolean").fillna(False).astype(bool)


def _veto_marks(x: pd.Series, y: pd.Series, names: pd.Series) -> go.Scatter:
    """Vetoed points marked and labelled 一票否决 on the chart itself: their score alone (often
    still above the line) does not say the unit failed."""
    return go.Scatter(
        x=x,
        y=y,
        mode="markers+text",
        marker=dict(symbol="x-thin-open", size=16, color=VETO, line=dict(width=3, color=VETO)),
        text=[VETO_TEXT] * len(x),
        textposition="top center",
        textfont=dict(color=VETO),
        hovertext=names + f"（{VETO_TEXT}）",
        hovertemplate="%{hovertext}<br>%{y}<extra></extra>",
        name=VETO_TEXT,
        showlegend=False,
    )


_KEPT: OrderedDict[tuple, go.Figure] = OrderedDict()
_KEPT_LOCK = threading.Lock()
_KEPT_SIZE = 64


def _kept(build: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """The figure already built from a frame with the same content and the same arguments.

    趋势 and 单位详情 draw the same few lines on every rerun (a click anywhere reruns the page);
    building them with plotly express is about 45 ms a chart, hashing the frame about 1 ms. The
    figure handed out is shared: callers pass it to Streamlit, which only reads it."""

    @functools.wraps(build)
    def kept(data: pd.DataFrame, *args: object, **kwargs: object) -> go.Figure:
        rows = pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes()  # a heatmap's rows are its index
        shape = repr((list(data.columns), [str(t) for t in data.dtypes], data.index.names)).encode()
        options = (_frozen(args), _frozen(sorted(kwargs.items())))
        key = (build.__name__, options, hashlib.blake2b(rows + shape).digest())
        with _KEPT_LOCK:
            hit = _KEPT.get(key)
            if hit is not None:
                _KEPT.move_to_end(key)
                return hit
        fig = build(data, *args, **kwargs)
        with _KEPT_LOCK:
            _KEPT[key] = fig
            while len(_KEPT) > _KEPT_SIZE:
                _KEPT.popitem(last=False)
        return fig

    return kept


def _frozen(x: object) -> object:
    """`x` as a key: the names a chart is given come as dicts, the grades as lists."""
    if isinstance(x, dict):
        return ("dict", tuple((k, _frozen(v)) for k, v in sorted(x.items())))
    if isinstance(x, list | tuple):
        return tuple(_frozen(v) for v in x)
    return x


@_kept
def ranking_bars(
    units: pd.DataFrame, grades: list[str], threshold: float | None, decimals: int = 2, total: float = 100
) -> go.Figure:
    """Horizontal bars, best at the top, coloured by grade, with the bottom line drawn.
    The axis runs to a little beyond the scheme's `total`, so a 10-point scheme fills the chart."""
    data = units.sort_values(["rank_overall", "name"], ascending=[False, True])
    vetoed = _vetoed(data)
    # A vetoed unit says so beside its name (the axis label never runs off the chart, a bar's text may).
    names = _texts(data["name"]).where(~vetoed, _texts(data["name"]) + f"（{VETO_TEXT}）")
    data = data.assign(name=names, grade=_texts(data["grade"]))
    grades = [plotly_text(g) for g in grades]
    fig = px.bar(
        data,
        x="total",
        y="name",
        orientation="h",
        color="grade",
        color_discrete_map=grade_colors(grades),
        category_orders={"grade": grades},
        text=data["total"].map(lambda v: numbers.points(v, decimals)),  # as in the table beside it
        custom_data=["unit"],
        labels={"total": "总分", "name": "单位", "grade": "等级"},
    )
    fig.update_traces(textposition="outside", cliponaxis=False)
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line_dash="dash",
            line_color=BOTTOM_LINE,
            line_width=2,
            annotation_text=f"末位线 {threshold:g} 分",
            annotation_position="bottom right",  # the legend lies above the plot
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(data["name"]), title=None)
    fig.update_xaxes(range=[0, max(total, float(data["total"].max())) * 1.05])
    return _style(fig, height=max(360, 28 * len(data) + 80))


@_kept
def score_heatmap(matrix: pd.DataFrame, leaf_names: dict[str, str], unit_names: dict[str, str]) -> go.Figure:
    """Units × leaves of score rates (0–100%), red where points are lost."""
    z = matrix.to_numpy() * 100
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[plotly_text(f"{c} {leaf_names.get(c, '')}") for c in matrix.columns],
            y=[plotly_text(unit_names.get(u, u)) for u in matrix.index],
            colorscale=[[0, "#c62828"], [0.6, "#f6d55c"], [1, "#1a7f37"]],
            zmin=0,
            zmax=100,
            colorbar=dict(title="得分率%"),
            hovertemplate="%{y}<br>%{x}<br>得分率 %{z:.1f}%<extra></extra>",
        )
    )
    # Plotly reports no selection on a heatmap, so each cell with a rate carries an invisible
    # marker whose customdata is [unit, leaf]: a click on the cell selects it (指标分析 opens
    # that unit on that item).
    rows, cols = (matrix.notna().to_numpy()).nonzero()
    fig.add_trace(
        go.Scatter(
            x=[fig.data[0].x[j] for j in cols],
            y=[fig.data[0].y[i] for i in rows],
            customdata=[[str(matrix.index[i]), str(matrix.columns[j])] for i, j in zip(rows, cols, strict=True)],
            text=[f"{z[i, j]:.1f}" for i, j in zip(rows, cols, strict=True)],
            mode="markers",
            marker=dict(size=18, color="rgba(0,0,0,0)"),
            hovertemplate="%{y}<br>%{x}<br>得分率 %{text}%<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_xaxes(tickangle=-40)
    return _style(fig, height=max(420, 22 * len(matrix) + 160))


@_kept
def lost_points_bars(lost: pd.DataFrame) -> go.Figure:
    """Where the system loses points: total points lost per leaf, largest first."""
    data = lost.head(15).iloc[::-1]
    fig = px.bar(
        data,
        x="lost",
        y=_texts(data["leaf"] + " " + data["leaf_name"]),
        orientation="h",
        text=data["lost"].map(lambda v: f"{v:.2f}"),  # as 失分合计 in the table beside it
        custom_data=["leaf"],  # a clicked bar names its item (指标分析 lists the units behind it)
        labels={"lost": "失分合计", "y": "指标"},
        color_discrete_sequence=["#c62828"],
    )
    fig.update_yaxes(title=None)
    return _style(fig, height=max(320, 30 * len(data) + 80))


SMALL_GROUP = 8  # fewer units than this: each unit as a point, a box would summarise too little
MANY_POINTS = 2_000  # more units than this in the boxes: boxes computed here, only the lowest as points
LOW_POINTS = 20  # the lowest units of a large group drawn as points


def _summary_box(category: str, totals: pd.Series) -> go.Box:
    """The box plotly would draw for `totals` (quartiles; whiskers at the furthest values within
    1.5 × IQR), computed here so that no value is sent."""
    values = totals.dropna().astype(float)
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75], interpolation="linear")
    reach = 1.5 * (q3 - q1)
    low, high = values[values >= q1 - reach].min(), values[values <= q3 + reach].max()
    return go.Box(
        x=[category], q1=[q1], median=[median], q3=[q3], lowerfence=[low], upperfence=[high], boxpoints=False,
        name=category, hoverinfo="y",
    )  # fmt: skip


@_kept
def distribution(units: pd.DataFrame, threshold: float | None) -> go.Figure:
    """Score distribution per peer group: a box with its points, or the points alone for a
    group of fewer than SMALL_GROUP units; beyond MANY_POINTS units, boxes computed here with each
    group's LOW_POINTS lowest units as points (what is sent stays bounded)."""
    data = units.assign(category=_texts(units["category"]), name=_texts(units["name"]))
    sizes = data.groupby("category", sort=False)["total"].transform("size")
    labels = {"category": "类别", "total": "总分"}
    fig = go.Figure()
    big, small = data[sizes >= SMALL_GROUP], data[sizes < SMALL_GROUP]
    if len(big) > MANY_POINTS:
        # Every unit as a point is ~45 bytes each: 40,000 units sent 1.75 MB (issue 23). The box is
        # computed here and only each group's lowest units, the ones a leader looks for, are points.
        for category, group in big.groupby("category", sort=False):
            fig.add_trace(_summary_box(category, group["total"]))
            low = group.nsmallest(LOW_POINTS, "total")
            fig.add_trace(
                go.Scatter(
                    x=low["category"], y=low["total"], mode="markers", hovertext=low["name"],
                    hovertemplate="%{hovertext}<br>总分 %{y}<extra></extra>",
                )
            )  # fmt: skip
    elif len(big):
        box = px.box(big, x="category", y="total", points="all", hover_name="name", labels=labels)
        fig.add_traces(box.data)
    if len(small):
        fig.add_trace(
            go.Scatter(
                x=small["category"],
                y=small["total"],
                mode="markers",
                hovertext=small["name"],
                hovertemplate="%{hovertext}<br>总分 %{y}<extra></extra>",
            )
        )
    fig.update_traces(marker=dict(color="#2f6fde", size=9), showlegend=False)
    fig.update_traces(selector=dict(type="box"), line_color="#2f6fde")
    vetoed = _vetoed(data)
    if vetoed.any():
        fig.add_trace(_veto_marks(data.loc[vetoed, "category"], data.loc[vetoed, "total"], data.loc[vetoed, "name"]))
    order = list(dict.fromkeys(data["category"]))
    fig.update_xaxes(title="类别", type="category", categoryorder="array", categoryarray=order)
    fig.update_yaxes(title="总分")
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", line_color=BOTTOM_LINE, annotation_text=f"末位线 {threshold:g}")
    return _style(fig, height=420)


def _period_axis(fig: go.Figure, labels: list[str]) -> None:
    """Periods in time order, named as people say them (2025年1月, not 2025-01)."""
    ordered = sorted(set(labels))
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=[plotly_text(period_name(p)) for p in ordered],
        title="期间",
    )


def _rank_axis(fig: go.Figure, ranks: pd.Series) -> None:
    """Ranks are whole numbers, 1 at the top; ticks at whole steps (about ten at most)."""
    highest = int(pd.to_numeric(ranks, errors="coerce").max()) if ranks.notna().any() else 1
    step = max(1, math.ceil(highest / 10))
    fig.update_yaxes(autorange="reversed", tickmode="linear", tick0=1, dtick=step, tickformat="d")


def _lines(history: pd.DataFrame, value: str, label: str) -> go.Figure:
    data = history.sort_values("period")
    periods = [str(p) for p in data["period"]]
    data = data.assign(
        name=_texts(data["name"]), period=[plotly_text(period_name(p)) for p in periods], period_code=periods
    )
    # Each unit its own colour and marker shape: told apart on a projector and in black and white.
    fig = px.line(
        data,
        x="period",
        y=value,
        color="name",
        symbol="name",
        color_discrete_sequence=UNIT_COLORS,
        symbol_sequence=UNIT_SYMBOLS,
        markers=True,
        # A clicked point opens its unit in its period (趋势 → 单位详情).
        custom_data=["unit", "period_code"] if "unit" in data.columns else None,
        labels={"period": "期间", value: label, "name": "单位"},
    )
    vetoed = _vetoed(data)
    if vetoed.any():
        fig.add_trace(_veto_marks(data.loc[vetoed, "period"], data.loc[vetoed, value], data.loc[vetoed, "name"]))
    _period_axis(fig, periods)
    fig = _style(fig, height=380)
    # One unit needs no legend (the chart is about it); several get theirs above the plot.
    if data["name"].nunique() <= 1:
        fig.update_layout(showlegend=False)
    return fig


@_kept
def trend_lines(history: pd.DataFrame, value: str, threshold: float | None = None) -> go.Figure:
    """Lines over periods, one per unit; `value` is 'total' or 'rank' (rank axis reversed)."""
    label = {"total": "总分", "rank": "同类排名"}[value]
    fig = _lines(history, value, label)
    if value == "rank":
        _rank_axis(fig, history["rank"])
    elif threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", line_color=BOTTOM_LINE, annotation_text=f"末位线 {threshold:g}")
    return fig


@_kept
def item_lines(data: pd.DataFrame, value: str, label: str, line: float | None = None, line_text: str = "") -> go.Figure:
    """One item over periods, one line per unit: its points (`earned`) or actual value (`value`),
    with the item's full points or target drawn as a dashed line."""
    fig = _lines(data, value, label)
    if line is not None:
        fig.add_hline(y=line, line_dash="dash", line_color=BOTTOM_LINE, annotation_text=plotly_text(line_text))
    return fig
