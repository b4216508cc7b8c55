"""总览: headline tiles, top and bottom five, biggest movers."""

from __future__ import annotations

import streamlit as st

from reports.overview import bottom, headline, movers, top
from ui.safe_table import show_table
from ui.view import caption, current_view

view, units = current_view()
st.title("总览")
caption(view)

h = headline(units)
c = st.columns(5)
c[0].metric("参评单位", h.assessed, border=True)
c[1].metric("平均分", f"{h.mean:.2f}", None if h.mean_change is None else f"{h.mean_change:+.2f}", border=True)
threshold = view.scheme.bottom.threshold
c[2].metric(f"低于 {threshold:g} 分" if threshold is not None else "末位", h.below_line, border=True, delta_color="off")
c[3].metric("一票否决", h.vetoed, border=True)
c[4].metric("未达标指标", h.unmet_targets, border=True, help="各单位未达到目标值的指标数合计")

columns = {"rank": "名次", "name": "单位", "category": "类别", "total": "总分", "grade": "等级"}
fmt = {"总分": st.column_config.NumberColumn(format=f"%.{view.scheme.decimals}f")}
left, right = st.columns(2)
with left:
    st.subheader("前五名")
    show_table(top(units)[list(columns)].rename(columns=columns), hide_index=True, column_config=fmt)
with right:
    st.subheader("后五名")
    show_table(bottom(units)[list(columns)].rename(columns=columns), hide_index=True, column_config=fmt)

up, down = movers(units)
moved = {"name": "单位", "prev_total": "上期", "total": "本期", "delta_total": "变化"}
fmt_moved = {k: st.column_config.NumberColumn(format="%.2f") for k in ("上期", "本期")} | {
    "变化": st.column_config.NumberColumn(format="%+.2f")
}
left, right = st.columns(2)
with left:
    st.subheader("进步最大")
    if up.empty:
        st.caption("没有上期数据可比较，或无单位进步。")
    else:
        show_table(up[list(moved)].rename(columns=moved), hide_index=True, column_config=fmt_moved)
with right:
    st.subheader("退步最大")
    if down.empty:
        st.caption("没有上期数据可比较，或无单位退步。")
    else:
        show_table(down[list(moved)].rename(columns=moved), hide_index=True, column_config=fmt_moved)
