"""排名: the ranking table and chart; selecting a unit opens its drill-down.

A month can be ranked as 本月 or as 年度累计 (January to that month, combined as quarters and
years are), and every row carries its 同比 (against the same period last year) beside 较上期
(services.time_views).

A large district (thousands of units) is shown a page of rows at a time and the chart keeps to
the first and last units of the current group: the browser gets what a person can read, and a
rerun (a click, a filter change) stays cheap — see docs/performance.md.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st

from reports import numbers
from reports.overview import ends, ordered, rank_arrow
from scoring.periods import period_name, period_type
from services.time_views import YearOnYear, year_on_year, year_to_date, year_to_date_on_year
from ui.charts import ranking_bars
from ui.monitor import show_values_instead_of_ranking
from ui.palette import grade_colors
from ui.safe_table import csv_button, show_table
from ui.tables import (
    CHART_BARS,
    PAGE_ROWS,
    pager,
    ranking_columns,
    ranking_rows,
    table_height,
)
from ui.url_state import open_page
from ui.view import caption, current_view


def _shown_key(view_key: str, units: pd.DataFrame) -> str:
    """Which rows of which results: the same key means the same table and chart."""
    return view_key + ":" + hashlib.sha1(units.index.to_numpy().tobytes()).hexdigest()


@st.cache_resource(max_entries=64, show_spinner=False)
def _rows(key: str, decimals: int, _units: pd.DataFrame) -> pd.DataFrame:
    return ranking_rows(ordered(_units), decimals)


@st.cache_resource(max_entries=256, show_spinner=False)
def _arrow(key: str, page: int, _shown: pd.DataFrame) -> pa.Table:
    # Converted once per page of results: a rerun then sends the table without touching pandas.
    return pa.Table.from_pandas(_shown, preserve_index=False)


@st.cache_resource(max_entries=64, show_spinner=False)
def _chart(
    key: str, grades: tuple[str, ...], threshold: float | None, decimals: int, total: float, _units: pd.DataFrame
) -> go.Figure:
    return ranking_bars(ends(_units, CHART_BARS), list(grades), threshold, decimals, total)


def _with_year_on_year(rows: pd.DataFrame, yoy: YearOnYear, decimals: int) -> pd.DataFrame:
    """同比 and 同比名次 beside 较上期 and 名次变化 (「—」 where last year has no result)."""
    by_unit = yoy.units.set_index("unit")
    diff = rows["unit"].map(by_unit["yoy_total"])
    moved = rows["unit"].map(by_unit["yoy_rank"])
    at = rows.columns.get_loc("名次变化") + 1
    out = rows.copy()
    out.insert(at, "同比", ["—" if pd.isna(v) else numbers.change(v, decimals) for v in diff])
    out.insert(at + 1, "同比名次", [rank_arrow(v) for v in moved])
    return out


TIME_COLUMNS = {
    "同比": st.column_config.TextColumn(alignment="right", help="与去年同期总分相比"),
    "同比名次": st.column_config.TextColumn(help="与去年同期名次相比，↑ 为上升"),
    "月数": st.column_config.NumberColumn(width="small", help="年度累计中该单位有考核结果的月份数"),
}

view, units = current_view()
scheme = view.scheme
st.title("排名")
caption(view)
if scheme.monitoring_only:  # nothing to rank: the values themselves
    show_values_instead_of_ranking(view, units, key="ranking_monitor")
    st.stop()
threshold = scheme.bottom.threshold
if threshold is not None:
    st.caption(f"红色虚线为末位线（{threshold:g} 分）；名次为同类单位内排名，并列同名次；一票否决单位列末位。")

MONTH, YEAR_TO_DATE = "本月", "年度累计"
basis = MONTH
if period_type(view.period) == "month" and not view.months:
    basis = st.segmented_control("排名口径", [MONTH, YEAR_TO_DATE], default=MONTH, key="ranking_basis") or MONTH

grades = [g.name for g in scheme.grades]
if basis == YEAR_TO_DATE:
    ytd = year_to_date(scheme.id, view.period)
    if ytd is None:
        st.info(f"{view.title}所在年度尚无可累计的考核结果。")
        st.stop()
    # The group filters chosen for this month apply to the year to date as well.
    keep = ytd.units["category"].astype(str).isin(set(units["category"].astype(str)))
    keep &= ytd.units["parent"].astype(str).isin(set(units["parent"].astype(str)))
    units = ytd.units[keep]
    text = (
        f"年度累计：{ytd.title}，各月总分的平均（与季度、年度汇总的规则相同；任一月被一票否决，累计结果也按否决处理），"
        "再按等级和名次规则排出；「月数」为该单位有考核结果的月份数；「未达标」为各月未达标指标数之和；较上期为与累计到上一个月相比。"
    )
    if ytd.skipped:
        published = view.detail is not None and not view.detail.draft
        text += (
            f"{'、'.join(period_name(m) for m in ytd.skipped)}尚无{'已发布的' if published else ''}考核结果，未计入。"
        )
    st.caption(text)
    yoy = year_to_date_on_year(scheme.id, ytd)
    key = None
    rows = ranking_rows(ordered(units), scheme.decimals)
    rows.insert(rows.columns.get_loc("总分") + 1, "月数", rows["unit"].map(units.set_index("unit")["months"]))
else:
    yoy = year_on_year(scheme.id, view.period, units, scheme.decimals)
    key = _shown_key(view.key, units) if view.key else None
    rows = _rows(key, scheme.decimals, units) if key else ranking_rows(ordered(units), scheme.decimals)
rows = _with_year_on_year(rows, yoy, scheme.decimals)
if key:
    key += ":yoy=" + str(hash(tuple(rows["同比"]) + tuple(rows["同比名次"])))
if yoy.note:
    st.caption(yoy.note)


def open_unit(unit: str) -> None:
    open_page("pages/unit_detail.py", scheme=scheme.id, period=view.period, unit=unit)


page = pager(len(rows), "ranking_page_no")
shown = rows.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
event = show_table(
    _arrow(key, page, shown) if key else shown,
    hide_index=True,
    column_config=ranking_columns(grade_colors(grades), scheme.decimals) | TIME_COLUMNS,
    on_select="rerun",
    selection_mode="single-row",
    key="ranking_table",
    height=table_height(len(shown)),
)
if event.selection.rows and event.selection.rows[0] < len(shown):
    open_unit(shown.iloc[event.selection.rows[0]]["unit"])
title = view.title if basis == MONTH else ytd.title
csv_button(rows.drop(columns="unit"), "ranking", f"{scheme.name}_{title}_排名.csv", key="ranking_csv")

if len(units) > CHART_BARS:
    st.caption(
        f"图中显示前 {CHART_BARS // 2} 名和后 {CHART_BARS - CHART_BARS // 2} 名；"
        "在页面上方选择同类分组或上级单位可缩小范围。"
    )
figure = (
    _chart(key, tuple(grades), threshold, scheme.decimals, scheme.total, units)
    if key
    else ranking_bars(ends(units, CHART_BARS), grades, threshold, scheme.decimals, scheme.total)
)
chart = st.plotly_chart(
    figure,
    on_select="rerun",
    selection_mode="points",
    key="ranking_chart",
    config={"displayModeBar": False},
)
if chart.selection.points:
    open_unit(chart.selection.points[0]["customdata"][0])

st.caption("点击表格中的行或图中的柱，打开该单位的详情；也可在「单位详情」页直接选择任一单位。")
