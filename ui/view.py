"""The current period's results for a page, or a clear message instead of the page."""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd
import streamlit as st

from reports.overview import filter_units
from scoring import ScoringInputError
from services.dashboard import PeriodView, period_view
from services.publishing import NOT_PUBLISHED
from services.results import published_only, view_mode
from ui.filters import current, group_filters
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape

EMPTY = "本期尚无评分，请先上传评分表。"


def current_view(with_groups: bool = True, published: bool | None = None) -> tuple[PeriodView, pd.DataFrame]:
    """(view, units shown): the chosen scheme and period, narrowed by the group filters.

    `published=True` (the meeting page): the published results, whoever looks. Otherwise the
    account decides: assessors and administrators see the draft (marked 草稿), everyone else
    the published results (services.results.view_mode).
    """
    page_guard()
    f = current()
    if f.scheme is None or f.period is None:
        st.info(EMPTY)
        st.stop()
    mode = view_mode(True if published else None)
    try:
        with published_only() if mode == "published" else nullcontext():
            view = period_view(f.scheme.key, f.period)
    except ScoringInputError as exc:
        st.error(f"{f.period} 的评分数据不完整，暂时无法计分（共 {len(exc.problems)} 处）。请补充后重新上传：")
        st.markdown("\n".join(f"- {md_escape(p)}" for p in exc.problems[:20]))
        st.stop()
    if mode == "draft":
        _draft_notice(view)
    if view is None or view.units.empty:
        st.info(NOT_PUBLISHED + "。" if mode == "published" else EMPTY)
        st.stop()
    units = view.units
    if with_groups:
        category, parent = group_filters(units)
        units = filter_units(units, category, parent)
    return view, units


def _draft_notice(view: PeriodView | None) -> None:
    """Drafts are marked as such, with the units that cannot be scored yet and what they miss."""
    if view is None:
        return
    published = view.detail.publication if view.detail is not None else None
    if published is not None:
        return
    st.warning("草稿：以下为尚未发布的考核结果，仅考核员和管理员可见；领导和单位看到的是已发布的结果。", icon="📝")
    incomplete = view.detail.incomplete if view.detail is not None else None
    if incomplete is not None and len(incomplete):
        with st.expander(
            f"{len(incomplete)} 个单位数据不完整，暂未计分（点击查看缺少什么）", expanded=view.units.empty
        ):
            show_table(
                incomplete.rename(columns={"unit": "单位编码", "name": "单位", "missing": "缺少或有误的数据"}),
                hide_index=True,
                width="stretch",
            )


def caption(view: PeriodView) -> None:
    s = view.scheme
    text = f"{s.name} · 版本 {s.version} · {view.title}"
    if view.months:
        text += f" · 由 {len(view.months)} 个月平均得出"
    published = view.detail.publication if view.detail is not None else None
    text += f" · {published.text}" if published is not None else ""
    st.caption(md_escape(text))
