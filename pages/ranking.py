"""排名: the ranking table and chart; selecting a unit opens its drill-down."""

from __future__ import annotations

import streamlit as st

from reports.overview import ordered
from ui.charts import ranking_bars
from ui.palette import grade_colors
from ui.tables import ranking_columns, ranking_rows, style_grades, table_height
from ui.view import caption, current_view

view, units = current_view()
scheme = view.scheme
st.title("排名")
caption(view)
threshold = scheme.bottom.threshold
if threshold is not None:
    st.caption(f"红色虚线为末位线（{threshold:g} 分）；名次为同类单位内排名，并列同名次；一票否决单位列末位。")

rows = ranking_rows(ordered(units), scheme.decimals)
grades = [g.name for g in scheme.grades]


def open_unit(unit: str) -> None:
    st.session_state["unit"] = unit
    st.switch_page("pages/unit_detail.py")


event = st.dataframe(
    style_grades(rows, grade_colors(grades), scheme.decimals),
    hide_index=True,
    column_config=ranking_columns(),
    on_select="rerun",
    selection_mode="single-row",
    key="ranking_table",
    height=table_height(len(rows)),
)
if event.selection.rows:
    open_unit(rows.iloc[event.selection.rows[0]]["unit"])

chart = st.plotly_chart(
    ranking_bars(units, grades, threshold),
    on_select="rerun",
    selection_mode="points",
    key="ranking_chart",
    config={"displayModeBar": False},
)
if chart.selection.points:
    open_unit(chart.selection.points[0]["customdata"][0])

names = dict(zip(rows["unit"], rows["单位"], strict=True))
with st.form("open_unit"):
    chosen = st.selectbox("查看单位详情", list(names), format_func=names.get, key="ranking_pick")
    if st.form_submit_button("打开"):
        open_unit(chosen)
