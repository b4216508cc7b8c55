"""The shared filters (scheme, period, peer group, parent unit), kept across pages.

They are drawn in the sidebar by app.py on every run, so their widget state survives page
changes; pages read the chosen values through `current()`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from scoring.periods import period_name
from services.dashboard import KIND_NAMES, SchemeChoice, period_choices, scheme_choices
from ui.guard import current_actor

ALL = "全部"


@dataclass(frozen=True)
class Filters:
    scheme: SchemeChoice | None
    period: str | None
    category: str | None  # None: every peer group
    parent: str | None  # None: every parent unit; else a parent unit code


def _kept(key: str) -> str:
    """Streamlit may drop a widget's state when the page changes; a plain copy under another key
    survives, and is put back before the widget is drawn, so filters stay as the user left them."""
    copy = f"_kept_{key}"
    if key not in st.session_state and copy in st.session_state:
        st.session_state[key] = st.session_state[copy]
    return key


def _keep(key: str) -> None:
    st.session_state[f"_kept_{key}"] = st.session_state.get(key)


def sidebar_filters() -> Filters:
    schemes = scheme_choices()
    actor = current_actor()
    if actor is not None and actor.role == "assessor":  # their own schemes first: the default choice
        schemes = sorted(schemes, key=lambda s: s.key not in actor.schemes)  # (a stable sort)
    with st.sidebar:
        st.markdown("### 筛选")
        if not schemes:
            st.info("尚无评分数据")
            filters = Filters(None, None, None, None)
            st.session_state["filters"] = filters
            return filters
        by_key = {s.key: s for s in schemes}
        if st.session_state.get("_kept_f_scheme") not in by_key:
            st.session_state.pop("_kept_f_scheme", None)
        key = st.selectbox("考核方案", list(by_key), format_func=lambda k: by_key[k].label, key=_kept("f_scheme"))
        _keep("f_scheme")
        scheme = by_key[key]
        choices = period_choices(scheme.key)
        kinds = list(choices)
        kind_key = _kept(f"f_kind_{key}")
        if st.session_state.get(kind_key) not in kinds:
            st.session_state[kind_key] = kinds[0]  # set here rather than as `default`, which would clash
        kind = st.segmented_control("期间类型", kinds, format_func=KIND_NAMES.get, key=kind_key) or kinds[0]
        _keep(kind_key)
        period_key = _kept(f"f_period_{key}_{kind}")
        if st.session_state.get(period_key) not in (None, *choices[kind]):
            st.session_state.pop(period_key)  # a period kept from before may no longer have values
        period = st.selectbox("期间", choices[kind], format_func=period_name, key=period_key)
        _keep(period_key)
        filters = Filters(scheme, period, None, None)
    st.session_state["filters"] = filters
    return filters


# Choices per units frame: a view's frame is reused across reruns (services.dashboard), so on a
# large district a rerun does not scan every unit again to list the groups.
_choices: dict[int, tuple[weakref.ref, tuple[list[str], dict[str, str]]]] = {}


def _group_choices(units: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    entry = _choices.get(id(units))
    if entry is not None and entry[0]() is units:
        return entry[1]
    categories = sorted(units["category"].astype(str).unique())
    parents = (
        units.loc[units["parent"] != "", ["parent", "parent_name"]].drop_duplicates().sort_values("parent")
        if "parent" in units.columns
        else units.iloc[0:0]
    )
    found = categories, dict(zip(parents["parent"], parents["parent_name"], strict=True))
    key = id(units)
    _choices[key] = (weakref.ref(units, lambda _, k=key: _choices.pop(k, None)), found)
    return found


def group_filters(units: pd.DataFrame) -> tuple[str | None, str | None]:
    """Peer group and parent-unit choosers for the units of the current view (sidebar)."""
    categories, names = _group_choices(units)
    with st.sidebar:
        category = None
        if len(categories) > 1:
            if st.session_state.get("_kept_f_category") not in [ALL, *categories]:
                st.session_state.pop("_kept_f_category", None)
            chosen = st.selectbox("同类分组", [ALL, *categories], key=_kept("f_category"))
            _keep("f_category")
            category = None if chosen == ALL else chosen
        parent = None
        if names:
            if st.session_state.get("_kept_f_parent") not in [ALL, *names]:
                st.session_state.pop("_kept_f_parent", None)
            chosen = st.selectbox(
                "上级单位", [ALL, *names], format_func=lambda c: names.get(c, c), key=_kept("f_parent")
            )
            _keep("f_parent")
            parent = None if chosen == ALL else chosen
    return category, parent


def current() -> Filters:
    return st.session_state.get("filters") or Filters(None, None, None, None)
