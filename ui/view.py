"""The current period's results for a page, or a clear message instead of the page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports.overview import filter_units
from scoring import ScoringInputError
from services.dashboard import PeriodView, period_view
from ui.filters import current, group_filters
from ui.guard import page_guard
from ui.text import md_escape

EMPTY = "本期尚无评分，请先上传评分表。"


def current_view(with_groups: bool = True) -> tuple[PeriodView, pd.DataFrame]:
    """(view, units shown): the chosen scheme and period, narrowed by the group filters."""
    page_guard()
    f = current()
    if f.scheme is None or f.period is None:
        st.info(EMPTY)
        st.stop()
    try:
        view = period_view(f.scheme.key, f.period)
    except ScoringInputError as exc:
        st.error(f"{f.period} 的评分数据不完整，暂时无法计分（共 {len(exc.problems)} 处）。请补充后重新上传：")
        st.markdown("\n".join(f"- {md_escape(p)}" for p in exc.problems[:20]))
        st.stop()
    if view is None or view.units.empty:
        st.info(EMPTY)
        st.stop()
    units = view.units
    if with_groups:
        category, parent = group_filters(units)
        units = filter_units(units, category, parent)
    return view, units


def caption(view: PeriodView) -> None:
    s = view.scheme
    text = f"{s.name} · 版本 {s.version} · {view.title}"
    if view.months:
        text += f" · 由 {len(view.months)} 个月平均得出"
    st.caption(md_escape(text))
