"""趋势: chosen units' scores and ranks over the periods, and one item's points (and, for a
target item, its actual value) over the periods for the chosen units or the item's best and
worst units — never one line per unit of a large district (services.time_views)."""

from __future__ import annotations

import streamlit as st

from reports.overview import ordered
from services.dashboard import history
from services.time_views import MAX_TRACES, item_choices, item_trend
from ui.charts import item_lines, trend_lines
from ui.drill import picked_point
from ui.monitor import show_monitor_note, show_monitor_trend
from ui.text import md_escape
from ui.unit_picker import pick_units
from ui.url_state import open_page
from ui.view import caption, current_view

view, units = current_view()
scheme = view.scheme


def chart(figure: object, key: str, item: str | None = None) -> None:
    """A trend chart whose clicked point opens that unit in that period (and on `item`)."""
    event = st.plotly_chart(
        figure, on_select="rerun", selection_mode="points", key=key, config={"displayModeBar": False}
    )
    point = picked_point(event)
    if point is not None and len(point) == 2:
        open_page("pages/unit_detail.py", scheme=scheme.id, period=str(point[1]), unit=str(point[0]), item=item)


st.title("趋势")
caption(view)
if scheme.monitoring_only:  # no totals or ranks: one indicator's value over the periods
    show_monitor_note()
    show_monitor_trend(scheme, units)
    st.stop()

ranked = ordered(units)
names = dict(zip(ranked["unit"], ranked["name"], strict=True))
default = list(ranked["unit"].head(3)) + list(ranked["unit"].tail(2))
# The units kept per scheme; none of them left here (another peer group or parent chosen): the
# default again, rather than an empty chart.
units_key = f"trend_units_{scheme.id}"
if units_key in st.session_state and not [u for u in st.session_state[units_key] if u in names]:
    del st.session_state[units_key]
chosen = pick_units(
    f"选择单位（最多 {MAX_TRACES} 个）",
    names,
    units_key,
    list(dict.fromkeys(default)),
    MAX_TRACES,
    "请选择单位",  # Streamlit's own placeholder is English (「Choose options」)
)
if not chosen:
    st.info("请选择要比较的单位。")
    st.stop()
data = history(scheme.id, chosen)
if data["period"].nunique() < 2:
    st.info("该方案只有一期数据，暂无趋势。")
else:
    st.subheader("总分")
    chart(trend_lines(data, "total", scheme.bottom.threshold), "trend_chart_total")
    st.subheader("同类排名")
    chart(trend_lines(data, "rank"), "trend_chart_rank")

st.subheader("指标趋势")
items = item_choices(scheme)
if st.session_state.get("item") in items and st.session_state.get("_trend_item_from") != st.session_state["item"]:
    # An item opened elsewhere (单位详情, 指标分析, a link's item=…) is the one shown here at first.
    st.session_state["trend_item"] = st.session_state["_trend_item_from"] = st.session_state["item"]
code = st.selectbox("选择指标", list(items), format_func=items.get, placeholder="请选择指标", key="trend_item")
CHOSEN, ENDS = "上面所选的单位", f"本期该项得分前 {MAX_TRACES // 2} 名和后 {MAX_TRACES // 2} 名"
which = st.radio("显示哪些单位", [CHOSEN, ENDS], horizontal=True, key="trend_item_units")
trend = item_trend(scheme.id, code, chosen if which == CHOSEN else None, ends=MAX_TRACES // 2) if code else None
if trend is None or trend.data.empty:
    st.info("该指标暂无可显示的得分。")
    st.stop()
st.caption(f"{trend.how}；每期一个点，该期不适用或无结果的单位不画点；点击点打开该单位该期的详情。")
chart(item_lines(trend.data, "earned", "得分", trend.points, f"满分 {trend.points:g} 分"), "trend_chart_item", code)
if trend.method == "target" and trend.target is not None:
    unit = f"（{trend.value_unit}）" if trend.value_unit else ""
    st.markdown(f"**{md_escape('实际值' + unit)}**")
    chart(
        item_lines(trend.data, "value", "实际值", trend.target, f"目标值 {trend.target:g}{trend.value_unit}"),
        "trend_chart_value",
        code,
    )
