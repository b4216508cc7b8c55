"""监测指标 on the pages: a monitoring-only scheme shows its values instead of a ranking; a mixed
scheme's unit drill-down gets a short block of its monitored values. Text in one place."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports.monitor import MONITOR_ONLY_NOTE, heading, monitor_spread, monitor_values, monitor_wide
from scoring import Scheme
from scoring.explain import fmt
from services.dashboard import PeriodView
from ui.safe_table import show_table

NO_DETAIL = "监测指标按单期展示，请选择具体期间查看。"
UNIT_COLUMNS = ["指标编码", "指标", "数值", "参考值", "与参考值比较", "说明"]


def _names(units: pd.DataFrame) -> dict[str, str]:
    return dict(zip(units["unit"].astype(str), units["name"].astype(str), strict=True))


def show_monitor_note() -> None:
    st.info(MONITOR_ONLY_NOTE + "：下表为各单位的监测值，不排名、不评等级。")


def show_values_instead_of_ranking(view: PeriodView, units: pd.DataFrame, *, key: str = "monitor_values") -> None:
    """What a ranking page shows for a monitoring-only scheme: the note and units × values."""
    show_monitor_note()
    if view.detail is None:
        st.caption(NO_DETAIL)
        return
    wide = monitor_wide(view.detail.leaves, view.scheme, _names(units))
    wide = wide[wide["单位编码"].isin(units["unit"].astype(str))].drop(columns="期间")
    show_table(wide, hide_index=True, key=key)


def show_unit_monitors(view: PeriodView, unit: str, *, only: bool) -> None:
    """单位详情: one unit's monitored values, each with unit, reference and 「监测指标，不计分」."""
    if view.detail is None:
        st.caption(NO_DETAIL)
        return
    rows = monitor_values(view.detail.leaves, view.scheme)
    rows = rows[rows["单位编码"] == unit].assign(说明="监测指标，不计分")
    if rows.empty:
        return
    if only:
        show_monitor_note()
    st.subheader("监测指标")
    show_table(rows[UNIT_COLUMNS], hide_index=True, key="unit_monitors")


def show_monitor_spread(view: PeriodView) -> None:
    """指标分析: how each monitored value spreads across units."""
    if view.detail is None:
        st.caption(NO_DETAIL)
        return
    st.subheader("监测指标分布（不计分）")
    show_table(monitor_spread(view.detail.leaves, view.scheme), hide_index=True, key="monitor_spread")


def show_monitor_trend(scheme: Scheme, units: pd.DataFrame) -> None:
    """趋势: one unit's value of one 监测指标 over the periods, with its reference as a line."""
    from services.time_views import item_trend
    from ui.charts import item_lines

    names = _names(units)
    leaves = {leaf.code: leaf for leaf in scheme.monitor_leaves}
    code = st.selectbox("选择监测指标", list(leaves), format_func=lambda c: heading(leaves[c]), key="monitor_item")
    unit = st.selectbox("选择单位", list(names), format_func=names.get, key="monitor_unit")
    if code is None or unit is None:
        return
    leaf = leaves[code]
    trend = item_trend(scheme.id, code, [unit])
    data = None if trend is None else trend.data.dropna(subset=["value"])
    if data is None or data.empty:
        st.info("该单位该指标暂无监测值。")
        return
    ref = leaf.reference
    text = "" if ref is None else f"参考值 {fmt(ref, leaf.decimals)}{leaf.unit}"
    st.plotly_chart(item_lines(data, "value", heading(leaf), ref, text), config={"displayModeBar": False})
