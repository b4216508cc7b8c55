"""The shared filters (scheme, period, peer group, parent unit), kept across pages.

app.py draws them in a bar at the top of every page that shows one scheme and period (ui/nav.py
FILTERED_PAGES) — above the fold on any screen, unlike the bottom of a long sidebar — and the view
they choose is kept in the page's address (ui/url_state.py). Pages read the chosen values through
`current()`; a page's peer-group and parent-unit choosers (`group_filters`) join the same bar.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from scoring.periods import period_name
from services.dashboard import KIND_NAMES, SchemeChoice, period_choices, scheme_choices
from ui.guard import current_actor
from ui.url_state import write_url

ALL = "全部"
BAR_KEY = "filter_bar"  # the bar's container key: its element carries the class st-key-filter_bar
# The bar of this script run (a session's runs share its script thread; app.py sets it every run).
_bar = threading.local()


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


def filter_bar(show: bool = True) -> Filters:
    """The scheme and period choosers at the top of the page (`show=False`: none on this page)."""
    _bar.container = None
    if not show:
        return current()
    schemes = scheme_choices()
    actor = current_actor()
    if actor is not None and actor.role == "assessor":  # their own schemes first: the default choice
        schemes = sorted(schemes, key=lambda s: s.key not in actor.schemes)  # (a stable sort)
    if not schemes:
        st.info("尚无评分数据")
        filters = Filters(None, None, None, None)
        st.session_state["filters"] = filters
        return filters
    bar = st.container(horizontal=True, vertical_alignment="bottom", key=BAR_KEY)
    _bar.container = bar
    with bar:
        by_key = {s.key: s for s in schemes}
        if st.session_state.get("_kept_f_scheme") not in by_key:
            st.session_state.pop("_kept_f_scheme", None)
        if st.session_state.get("f_scheme") not in (None, *by_key):
            st.session_state.pop("f_scheme")  # a scheme from an old link that is not (or no longer) here
        key = st.selectbox(
            "考核方案", list(by_key), format_func=lambda k: by_key[k].label, key=_kept("f_scheme"), width=340
        )
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
        period = st.selectbox("期间", choices[kind], format_func=period_name, key=period_key, width=170)
        _keep(period_key)
    filters = Filters(scheme, period, None, None)
    st.session_state["filters"] = filters
    write_url(scheme=scheme.key, period=period)
    return filters


def _place() -> AbstractContextManager:
    """Where a page's extra choosers go: the bar of this run, else the sidebar."""
    bar = getattr(_bar, "container", None)
    return bar if bar is not None else st.sidebar


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
    """Peer group and parent-unit choosers for the units of the current view (in the bar)."""
    categories, names = _group_choices(units)
    with _place():
        category = None
        if len(categories) > 1:
            for key in ("f_category", "_kept_f_category"):  # e.g. a group from an old link
                if st.session_state.get(key) not in [None, ALL, *categories]:
                    st.session_state.pop(key)
            chosen = st.selectbox("同类分组", [ALL, *categories], key=_kept("f_category"), width=200)
            _keep("f_category")
            category = None if chosen == ALL else chosen
        parent = None
        if names:
            for key in ("f_parent", "_kept_f_parent"):
                if st.session_state.get(key) not in [None, ALL, *names]:
                    st.session_state.pop(key)
            chosen = st.selectbox(
                "上级单位", [ALL, *names], format_func=lambda c: names.get(c, c), key=_kept("f_parent"), width=220
            )
            _keep("f_parent")
            parent = None if chosen == ALL else chosen
    write_url(group=category, parent=parent)
    return category, parent


def current() -> Filters:
    return st.session_state.get("filters") or Filters(None, None, None, None)
