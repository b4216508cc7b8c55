"""趋势: chosen units' scores and ranks over the periods."""

from __future__ import annotations

import streamlit as st

from reports.overview import ordered
from services.dashboard import history
from ui.charts import trend_lines
from ui.view import caption, current_view

view, units = current_view()
scheme = view.scheme
st.title("趋势")
caption(view)

ranked = ordered(units)
names = dict(zip(ranked["unit"], ranked["name"], strict=True))
default = list(ranked["unit"].head(3)) + list(ranked["unit"].tail(2))
chosen = st.multiselect(
    "选择单位（最多 10 个）",
    list(names),
    default=list(dict.fromkeys(default)),
    format_func=names.get,
    max_selections=10,
    key="trend_units",
)
if not chosen:
    st.info("请选择要比较的单位。")
    st.stop()
data = history(scheme.id, chosen)
if data["period"].nunique() < 2:
    st.info("该方案只有一期数据，暂无趋势。")
    st.stop()
st.subheader("总分")
st.plotly_chart(trend_lines(data, "total", scheme.bottom.threshold), config={"displayModeBar": False})
st.subheader("同类排名")
st.plotly_chart(trend_lines(data, "rank"), config={"displayModeBar": False})
