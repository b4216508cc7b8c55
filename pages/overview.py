"""总览: headline tiles, top and bottom five, biggest movers. Each tile lists the units it counts,
and every unit (a tile's link, a table's row) opens its 单位详情 on this view (ui/drill.py)."""

from __future__ import annotations

import streamlit as st

from reports import numbers
from reports.criteria import unmet_items
from reports.overview import UNMET_HELP, behind_tiles, bottom, headline, movers, top
from ui.derived import derived
from ui.drill import unit_links, unit_table
from ui.monitor import show_values_instead_of_ranking
from ui.view import caption, current_view

view, units = current_view()
st.title("总览")
caption(view)
if view.scheme.monitoring_only:  # no scores, means or flags to count: the values themselves
    show_values_instead_of_ranking(view, units, key="overview_monitor")
    st.stop()

h = headline(units)
c = st.columns(5)
c[0].metric("参评单位", h.assessed, border=True)
d = view.scheme.decimals
c[1].metric(
    "平均分",
    numbers.points(h.mean, d),
    None if h.mean_change is None else numbers.change(h.mean_change, d),
    border=True,
)
threshold = view.scheme.bottom.threshold
c[2].metric(f"低于 {threshold:g} 分" if threshold is not None else "末位", h.below_line, border=True, delta_color="off")
c[3].metric("一票否决", h.vetoed, border=True)
c[4].metric("未达标指标", h.unmet_targets, border=True, help=UNMET_HELP)

behind = behind_tiles(units)
listed = {"rank": "名次", "name": "单位", "total": "总分", "grade": "等级"}
with c[0]:
    unit_links(behind["assessed"], "查看全部单位", view, "tile_assessed", listed)
with c[2]:
    unit_links(behind["below_line"], "查看末位单位", view, "tile_below", listed)
with c[3]:
    unit_links(behind["vetoed"], "查看否决单位", view, "tile_vetoed", listed | {"veto_reason": "否决事由"})
with c[4]:
    if view.detail is None:  # a roll-up has no items: the units carrying unmet targets
        unit_links(behind["unmet"], "查看未达标单位", view, "tile_unmet", listed | {"unmet_targets": "未达标数"})
    else:  # one row per unmet item, opened on that item
        names = dict(zip(units["unit"], units["name"], strict=True))
        unmet = derived(
            view.key, units["unit"], "unmet_items", lambda: unmet_items(view.detail.leaves, view.scheme, names)
        )
        unit_links(
            unmet,
            "查看未达标指标",
            view,
            "tile_unmet",
            {"name": "单位", "leaf_name": "指标", "lost": "失分"},
            column_config={"失分": st.column_config.NumberColumn(format="%.2f")},
        )

columns = {"rank": "名次", "name": "单位", "category": "类别", "total": "总分", "grade": "等级"}
fmt = {"总分": st.column_config.NumberColumn(format=f"%.{view.scheme.decimals}f")}
left, right = st.columns(2)
with left:
    st.subheader("前五名")
    unit_table(top(units), columns, view, "top_table", column_config=fmt)
with right:
    st.subheader("后五名")
    unit_table(bottom(units), columns, view, "bottom_table", column_config=fmt)

up, down = movers(units)
moved = {"name": "单位", "prev_total": "上期", "total": "本期", "delta_total": "变化"}
fmt_moved = {k: st.column_config.NumberColumn(format=f"%.{d}f") for k in ("上期", "本期")} | {
    "变化": st.column_config.NumberColumn(format=f"%+.{d}f")
}
left, right = st.columns(2)
with left:
    st.subheader("进步最大")
    if up.empty:
        st.caption("没有上期数据可比较，或无单位进步。")
    else:
        unit_table(up, moved, view, "up_table", column_config=fmt_moved)
with right:
    st.subheader("退步最大")
    if down.empty:
        st.caption("没有上期数据可比较，或无单位退步。")
    else:
        unit_table(down, moved, view, "down_table", column_config=fmt_moved)

st.caption("点击指标卡下的单位或表格中的行，打开该单位的详情。")
