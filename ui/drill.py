"""Drill-through: a KPI, a table row, a chart bar or point leads to the units (and items) behind
it, and a unit to its 单位详情 on the same view (ui.url_state.open_page).

Tables and charts report what is selected, and keep it selected across reruns. A selection that
opens another page acts at once (the next page starts without it). One that only changes what this
page shows (指标分析's chosen item) must act once, when it changes, or it would undo every later
choice: `fresh` tells the two apart.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from services.dashboard import PeriodView
from ui.safe_table import show_table
from ui.text import md_escape
from ui.url_state import open_page

UNIT_DETAIL = "pages/unit_detail.py"
SHORT = 5  # this many units or fewer: each a link under its tile (one click); more: a table


def open_unit(view: PeriodView, unit: str, item: str | None = None) -> None:
    """单位详情 of `unit` on this scheme and period, with `item` open in its 指标详情."""
    open_page(UNIT_DETAIL, scheme=view.scheme.id, period=view.period, unit=str(unit), item=item)


def _selection(event: Any) -> dict[str, Any]:
    # Item access: Streamlit's event states are dicts (with attributes too), and a selection
    # preset through session_state, as tests do, is a plain dict.
    return dict((event or {}).get("selection") or {})


def picked_row(event: Any, shown: pd.DataFrame) -> pd.Series | None:
    """The row of `shown` selected in a single-row table (None: nothing selected)."""
    rows = _selection(event).get("rows") or []
    return shown.iloc[rows[0]] if rows and rows[0] < len(shown) else None


def picked_point(event: Any) -> list[Any] | None:
    """The customdata of the first point selected in a chart (None: nothing, or no customdata)."""
    points = _selection(event).get("points") or []
    data = points[0].get("customdata") if points else None
    if data is None:
        return None
    return list(data) if isinstance(data, list | tuple) else [data]


def fresh(key: str, value: str | None) -> bool:
    """True the first run `value` is what widget `key` selects (see the module's note)."""
    seen = f"_drill_seen_{key}"
    if st.session_state.get(seen) == value:
        return False
    st.session_state[seen] = value
    return value is not None


def open_from_table(event: Any, shown: pd.DataFrame, view: PeriodView) -> None:
    """A row chosen in a table of units (a `unit` column, optionally `leaf`): open that unit."""
    row = picked_row(event, shown)
    if row is not None:
        open_unit(view, row["unit"], str(row["leaf"]) if "leaf" in row.index else None)


def unit_table(rows: pd.DataFrame, columns: dict[str, str], view: PeriodView, key: str, **config: Any) -> None:
    """Units (with `unit`, and `leaf` to open an item) as a table whose row opens 单位详情.
    `columns`: the columns shown and their Chinese headings."""
    shown = rows.reset_index(drop=True)
    event = show_table(
        shown[list(columns)].rename(columns=columns),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        **config,
    )
    open_from_table(event, shown, view)


def unit_links(
    rows: pd.DataFrame, label: str, view: PeriodView, key: str, columns: dict[str, str], **config: Any
) -> None:
    """Under a KPI tile: the units it counts. Up to SHORT of them, each a link-like button (one
    click to the unit); more, a popover with a table to pick from (a district may have
    thousands). `rows`: unit, name and the `columns` shown in the table; a `leaf` column opens
    that item of the unit."""
    if rows.empty:
        return
    if len(rows) > SHORT:
        # Drawn only while open (a rerun on opening): a district's thousands of units are not
        # sent with every run of the page.
        with st.popover(label, width="stretch", key=f"{key}_open", on_change="rerun") as popover:
            if popover.open:
                unit_table(rows, columns, view, key, **config)
        return
    for i, row in enumerate(rows.itertuples(index=False)):
        item = getattr(row, "leaf", None)
        text = str(row.name) + (f" · {row.leaf_name}" if item is not None else "")
        # Button labels are Markdown: a unit's name is shown as written (ui/text.py).
        if st.button(md_escape(text), key=f"{key}_{i}", type="tertiary", icon=":material/arrow_forward:"):
            open_unit(view, str(row.unit), None if item is None else str(item))
