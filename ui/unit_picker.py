"""A unit chooser that stays small at province size (issue 23).

A selectbox sends every option to the browser: 40,000 units are ~0.9 MB on each page that has
one. Up to PICK_ALL units it is the plain chooser; beyond, a search box (name or code) narrows the
list to at most PICK_SHOWN matches, and the unit already chosen stays in the list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

PICK_ALL = 300
PICK_SHOWN = 50


def matching_units(
    names: Mapping[str, str], query: str, keep: str | None = None, limit: int | None = None
) -> list[str]:
    """Codes whose name or code contains `query` (case-insensitive; blank: all), at most `limit`,
    in the given order, with `keep` (the current choice) first when it is one of `names`."""
    limit = limit or PICK_SHOWN
    codes = pd.Series(list(names), dtype=object)
    text = query.strip().lower()
    if text:
        labels = pd.Series(list(names.values()), dtype=object)
        hit = codes.str.lower().str.contains(text, regex=False) | labels.str.lower().str.contains(text, regex=False)
        codes = codes[hit.to_numpy()]
    found = codes.head(limit + 1).tolist()
    if keep is not None and keep in names:
        found = [keep, *(c for c in found if c != keep)]
    return found[:limit]


def pick_unit(
    label: str,
    names: Mapping[str, str],
    key: str,
    wanted: str | None = None,
    where: Any = st,
    format_func: Any = None,
    none_label: str | None = None,
) -> str | None:
    """Choose one unit of `names` (code → label). `wanted` comes chosen when it is a unit here.
    With `none_label` the first choice is no unit (None), shown as that label (「全部单位」)."""
    shown_as = format_func or (lambda c: names.get(c, c))
    fmt = shown_as if none_label is None else (lambda c: none_label if c is None else shown_as(c))
    first = [] if none_label is None else [None]
    # A chosen None shows the placeholder, not the option's label; Streamlit's own is English.
    placeholder = none_label or "请选择单位"
    codes = list(names)
    # `wanted` moves the chooser only when it differs from what the chooser showed last (another
    # page opened a unit); the page writing back what was chosen does not undo a person's choice.
    seen = f"_{key}_shown"
    if wanted is not None and wanted != st.session_state.get(seen):
        st.session_state[seen] = wanted
        if wanted in names:
            st.session_state[key] = wanted
    if len(codes) <= PICK_ALL:
        if st.session_state.get(key) not in names and not (first and st.session_state.get(key) is None):
            st.session_state.pop(key, None)
        chosen = where.selectbox(label, [*first, *codes], format_func=fmt, key=key, placeholder=placeholder)
        st.session_state[seen] = chosen
        return chosen
    box = where.container()
    query = box.text_input(
        f"搜索{label}（名称或编码）", key=f"{key}_q", placeholder=f"共 {len(codes)} 个，输入名称或编码的一部分"
    )
    current = st.session_state.get(key)
    total = len(matching_units(names, query, None, limit=len(codes))) if query.strip() else len(codes)
    if total == 0:
        box.caption(f"没有名称或编码包含「{query.strip()}」的单位。")
    shown = [*first, *matching_units(names, query, current if current in names else None)]  # the chosen one stays
    if not shown:
        st.session_state[seen] = None
        return None
    if st.session_state.get(key) not in shown:
        st.session_state[key] = shown[0]
    chosen = box.selectbox(label, shown, format_func=fmt, key=key, placeholder=placeholder)
    st.session_state[seen] = chosen
    if total > len(shown) - len(first):
        box.caption(f"共 {total} 个单位符合，列出前 {len(shown) - len(first)} 个；输入更多文字缩小范围。")
    return chosen


def pick_units(
    label: str, names: Mapping[str, str], key: str, default: list[str], max_selections: int, placeholder: str
) -> list[str]:
    """Choose several units of `names`; beyond PICK_ALL the options are the chosen units plus at
    most PICK_SHOWN matches of a search box, so the chooser stays small at any size."""
    codes = list(names)
    if st.session_state.get(key) is not None:
        st.session_state[key] = [u for u in st.session_state[key] if u in names]
    if len(codes) <= PICK_ALL:
        options = codes
    else:
        query = st.text_input(
            f"搜索要加入的单位（名称或编码，共 {len(codes)} 个）", key=f"{key}_q", placeholder="输入名称或编码的一部分"
        )
        chosen = st.session_state.get(key, default)
        found = [c for c in matching_units(names, query) if c not in chosen] if query.strip() else []
        if query.strip() and not found:
            st.caption(f"没有名称或编码包含「{query.strip()}」的单位。")
        options = [*chosen, *found]
    return st.multiselect(
        label,
        options,
        default=None if key in st.session_state else [u for u in default if u in names],
        format_func=lambda c: names.get(c, c),
        max_selections=max_selections,
        placeholder=placeholder,
        key=key,
    )
