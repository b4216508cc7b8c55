"""Scheme and period choosers of the data-entry pages (上传评分表, 提交记录).

Unlike the sidebar filters, they offer every registered scheme and periods without data yet
(a new month is uploaded before it has results); they start from the sidebar's choice.
"""

from __future__ import annotations

import streamlit as st

from services.catalog import SchemeVersionInfo, list_schemes
from services.dashboard import KIND_NAMES
from services.permissions import Actor
from services.uploads import PeriodOption, period_options
from ui.filters import current


def _remembered(key: str, options: list, fallback: object) -> None:
    """Put the last choice (kept under a plain key, which survives page changes) back in place."""
    if key not in st.session_state:
        kept = st.session_state.get(f"_kept_{key}")
        st.session_state[key] = kept if kept in options else fallback


def _remember(key: str) -> None:
    st.session_state[f"_kept_{key}"] = st.session_state.get(key)


def choose_scheme(actor: Actor | None, key: str = "entry_scheme") -> SchemeVersionInfo | None:
    """Every registered scheme; an assessor sees only the schemes assigned to them."""
    schemes = {v.scheme_key: v for v in list_schemes()}
    if actor is not None and actor.role == "assessor":
        schemes = {k: v for k, v in schemes.items() if k in actor.schemes}
        if not schemes:
            st.info("您还没有被分配考核方案，请联系管理员。")
            return None
    if not schemes:
        st.info("尚未登记任何考核方案，请先由管理员登记方案。")
        return None
    f = current()
    fallback = f.scheme.key if f.scheme is not None and f.scheme.key in schemes else next(iter(schemes))
    _remembered(key, list(schemes), fallback)
    chosen = st.selectbox(
        "考核方案",
        list(schemes),
        format_func=lambda k: f"{schemes[k].name}（{KIND_NAMES[schemes[k].period_type]}）",
        key=key,
    )
    _remember(key)
    return schemes[chosen]


def choose_period(scheme_key: str, key: str = "entry_period") -> PeriodOption:
    options = {o.label: o for o in period_options(scheme_key)}
    f = current()
    with_values = [lb for lb, o in options.items() if o.has_values]
    if f.scheme is not None and f.scheme.key == scheme_key and f.period in options:
        fallback = f.period
    else:
        fallback = with_values[0] if with_values else next(iter(options))
    full_key = f"{key}_{scheme_key}"
    _remembered(full_key, list(options), fallback)
    label = st.selectbox(
        "考核期间", list(options), format_func=lambda lb: options[lb].text, key=full_key,
        help="可以选择尚无数据的期间（如新的一个月）",
    )  # fmt: skip
    _remember(full_key)
    return options[label]


def after_data_change() -> None:
    """After an import or rollback: drop cached page data so every page shows the new values.
    (services.results checks its own cache against the assessment's revision on every call.)"""
    st.cache_data.clear()
