"""指标分析: where the system loses points, score rates per unit and leaf, target attainment.

Every row, bar and cell leads to the units behind it: an item chosen in 失分最多的指标 (row or
bar) lists the units that lost points on it, one chosen in 目标达成情况 the units that missed it,
and a heatmap cell opens that unit on that item; each listed unit opens 单位详情 on the item. An
item in the address (…&item=B2, 单位详情's 「查看各单位的…」) comes chosen in both (ui/drill.py).
A scheme with tags (★核心指标 …) adds a 「标签」 filter over the items listed (reports.criteria).
"""

from __future__ import annotations

import streamlit as st

from reports.criteria import (
    heat_rows,
    heat_scopes,
    leaf_catalogue,
    leaves_with_tag,
    lost_by_leaf,
    score_rate_matrix,
    tag_choices,
    target_attainment,
    units_failing,
    units_losing,
)
from ui.charts import distribution, lost_points_bars, score_heatmap
from ui.derived import derived
from ui.drill import fresh, open_unit, picked_point, picked_row, unit_table
from ui.monitor import show_monitor_note, show_monitor_spread
from ui.safe_table import csv_button, show_table
from ui.text import md_escape
from ui.url_state import write_url
from ui.view import caption, current_view

view, units = current_view()
scheme = view.scheme
st.title("指标分析")
caption(view)
if scheme.monitoring_only:  # no points to analyse: how the values spread across units
    show_monitor_note()
    show_monitor_spread(view)
    st.stop()
if scheme.monitor_leaves:
    show_monitor_spread(view)

st.subheader("各类别得分分布")
st.plotly_chart(distribution(units, scheme.bottom.threshold), config={"displayModeBar": False})

if view.detail is None:
    st.info(f"{view.title}为多个月的平均分；指标层面的分析请选择具体月份。")
    st.stop()

all_leaves = view.detail.leaves
tag_options = tag_choices(scheme)
picked_tag = None
if len(tag_options) > 1:  # 「标签」: only the items carrying one tag (★核心指标 …) in the tables below
    picked_tag = st.selectbox("标签", list(tag_options), key=f"criteria_tag_{scheme.id}")


def _leaves():  # noqa: ANN202 - the shown units' leaves, of the chosen tag
    shown = all_leaves[all_leaves["unit"].astype(str).isin(units["unit"])]
    return shown if picked_tag is None else leaves_with_tag(shown, scheme, tag_options[picked_tag])


# reruns (a bar or cell clicked) reuse the tables derived for the same results, units and tag
leaves = derived(view.key, units["unit"], ("leaves", picked_tag), _leaves, large=True)
names = dict(zip(units["unit"], units["name"], strict=True))
catalogue = leaf_catalogue(scheme)
leaf_names = dict(zip(catalogue["leaf"], catalogue["leaf_name"], strict=True))
# The item the page lists units for: the address's or 单位详情's (session "item"), until a row,
# bar or cell here chooses another.
chosen = st.session_state.get("item")
chosen = chosen if chosen in leaf_names else None
UNIT_ROWS = {"name": "单位", "earned": "得分", "lost": "失分"}
POINTS = {k: st.column_config.NumberColumn(format=f"%.{scheme.decimals}f") for k in ("得分", "失分")}


def choose_item(code: str) -> str:
    st.session_state["item"] = code  # kept when the page is left: 单位详情 opens the same item
    return code


st.subheader("失分最多的指标")
lost = derived(view.key, units["unit"], ("lost", picked_tag), lambda: lost_by_leaf(leaves, scheme))
left, right = st.columns([3, 2])
bars = left.plotly_chart(
    lost_points_bars(lost),
    on_select="rerun",
    selection_mode="points",
    key="lost_chart",
    config={"displayModeBar": False},
)
lost_table = lost.rename(
    columns={
        "leaf": "编码",
        "leaf_name": "指标",
        "lost": "失分合计",
        "units_losing": "失分单位数",
        "units": "参评单位数",
    }
)[["编码", "指标", "失分合计", "失分单位数", "参评单位数"]]
picked = show_table(
    lost_table,
    where=right,
    hide_index=True,
    column_config={"失分合计": st.column_config.NumberColumn(format="%.2f")},
    on_select="rerun",
    selection_mode="single-row",
    key="lost_table",
)
csv_button(lost_table, "criteria_lost", f"{scheme.name}_{view.title}_失分指标.csv", key="lost_csv", where=right)
row = picked_row(picked, lost)
if fresh("lost_table", None if row is None else str(row["leaf"])):
    chosen = choose_item(str(row["leaf"]))
point = picked_point(bars)
if fresh("lost_chart", None if point is None else str(point[0])):
    chosen = choose_item(str(point[0]))
if chosen in set(lost["leaf"]):
    losing = units_losing(leaves, scheme, chosen, names)
    if losing.empty:
        st.caption(md_escape(f"没有单位在「{chosen} {leaf_names[chosen]}」上失分。"))
    else:
        st.markdown(f"**{md_escape(f'在「{chosen} {leaf_names[chosen]}」上失分的单位（{len(losing)} 个）')}**")
        unit_table(losing, UNIT_ROWS, view, "lost_units", column_config=POINTS)
else:
    st.caption("点击表格中的行或图中的柱，查看在该指标上失分的单位。")

st.subheader("各单位各指标得分率")
matrix = derived(view.key, units["unit"], ("rates", picked_tag), lambda: score_rate_matrix(leaves, scheme))
scopes = heat_scopes(units)  # more units than a person can read: aggregated, or the lowest shown
scope_key = f"heat_scope_{scheme.id}"
if scopes:
    opened = st.session_state.pop(f"{scope_key}_next", None)  # a group's row clicked last run
    if opened in scopes:
        st.session_state[scope_key] = opened
    if st.session_state.get(scope_key) not in scopes:
        st.session_state.pop(scope_key, None)
    scope = scopes[st.selectbox("热力图显示", list(scopes), key=scope_key)]
else:
    scope = None
shown, group_labels = heat_rows(matrix, units, scope)
cell = st.plotly_chart(
    score_heatmap(shown, leaf_names, {**names, **group_labels}),
    on_select="rerun",
    selection_mode="points",
    key="score_heatmap",
    config={"displayModeBar": False},
)
point = picked_point(cell)
if point is not None and len(point) == 2 and str(point[0]).startswith("@"):
    if fresh("score_heatmap", str(point[0])):  # a group's row: show that group's units
        label = next((k for k, v in scopes.items() if v == str(point[0])[1:]), None)
        if label is not None:
            st.session_state[f"{scope_key}_next"] = label  # the chooser is drawn: set before it next run
            st.rerun()
elif point is not None and len(point) == 2:
    open_unit(view, str(point[0]), str(point[1]))
st.caption(
    "点击格子，打开该单位在该指标上的得分详情"
    + ("；点击一个分组的行，显示该组的单位。" if scope and scope.startswith("@") else "。")
)

st.subheader("目标达成情况")
attain = derived(view.key, units["unit"], ("attain", picked_tag), lambda: target_attainment(leaves, scheme))
attain_table = attain.rename(
    columns={"leaf": "编码", "leaf_name": "指标", "met": "达标单位数", "units": "参评单位数", "rate": "达标率"}
)[["编码", "指标", "达标单位数", "参评单位数", "达标率"]]
picked = show_table(
    attain_table,
    hide_index=True,
    column_config={"达标率": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
    on_select="rerun",
    selection_mode="single-row",
    key="attain_table",
)
csv_button(attain_table, "criteria_targets", f"{scheme.name}_{view.title}_目标达成.csv", key="attain_csv")
row = picked_row(picked, attain)
if fresh("attain_table", None if row is None else str(row["leaf"])) and row["leaf"] != chosen:
    choose_item(str(row["leaf"]))
    st.rerun()  # 失分最多的指标, drawn above, lists the units of the item chosen here as well
if chosen in set(attain["leaf"]):
    failing = units_failing(leaves, scheme, chosen, names)
    if failing.empty:
        st.caption(md_escape(f"各单位均达成「{chosen} {leaf_names[chosen]}」。"))
    else:
        st.markdown(f"**{md_escape(f'未达成「{chosen} {leaf_names[chosen]}」的单位（{len(failing)} 个）')}**")
        unit_table(failing, {"name": "单位", "value": "实际值"} | UNIT_ROWS, view, "failed_units", column_config=POINTS)
else:
    st.caption("点击表格中的行，查看未达成该目标的单位。")
write_url(item=chosen)  # a bookmark or a shared link keeps the item listed
