"""Every table of the app goes through here, so the rules for what tables show live in one place.

Tables show text that people typed: unit and user names (a name typed at the login form reaches
the audit table), notes, reasons, file names. Two dangers, two rules:

- Formula injection. A table's cells leave the app through the table toolbar (download as CSV,
  copy to the clipboard) and are opened in a spreadsheet, which runs a cell such as
  `=HYPERLINK("http://…","x")`. The toolbar's export is switched off for the whole app
  (`client.disableDataExport` in .streamlit/config.toml), and in addition every text cell a table
  shows is neutralised here (`exports.safe_text.neutralise`: a leading = + - @ gets a quote), so a
  deployment started without that configuration is still safe. Numbers stay numbers, and text
  that is just a signed number ("+1.50", "-2") is left alone: no spreadsheet runs it.
  Where a table is worth taking away, `csv_button` offers 「下载 CSV」: neutralised, written only
  when clicked, after re-checking the signed-in account, and recorded in the audit log.
- Markup. `st.table` renders each cell as Markdown (images, links, colours); `static_table`
  escapes text cells with `ui.text.md_escape`. `st.dataframe` / `st.data_editor` draw plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st
from pandas.io.formats.style import Styler

from exports.safe_text import FORMULA_TRIGGERS, neutralise
from services.permissions import Actor
from ui.text import md_escape

# Text that is only a signed number: a spreadsheet reads it as that number, never as a formula.
_SIGNED_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")
_TRIGGER_PATTERN = "^[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
EMPTY_CELL = "—"  # what a table shows for a missing value (the grid would say 「None」)

Data = pd.DataFrame | Styler | pa.Table


def guard_cell(value: Any) -> Any:
    """A cell as a table may show it: formula-like text neutralised, everything else unchanged."""
    if isinstance(value, str):
        if value.startswith(FORMULA_TRIGGERS) and not _SIGNED_NUMBER.fullmatch(value):
            return neutralise(value)
        return value
    if isinstance(value, list | tuple):  # pill columns (MultiselectColumn) hold lists of text
        return [guard_cell(v) for v in value]
    return value


def _texty(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype | pd.CategoricalDtype)


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and text index) are guarded; numbers untouched."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if _texty(series):
            values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
            out.isetitem(i, values.map(guard_cell))
    if _texty(out.index.to_series()):
        out.index = out.index.map(guard_cell)
    return out


def guard_arrow(table: pa.Table) -> pa.Table:
    """The same for an Arrow table (pages that cache the converted page of rows). Only a column
    with a formula-like value is rebuilt, so the usual case costs one vectorised scan."""
    for i, field in enumerate(table.schema):
        column = table.column(i)
        listed = pa.types.is_list(field.type) or pa.types.is_large_list(field.type)
        kind = field.type.value_type if listed else field.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue  # numbers, dates, and lists that hold nothing (typed null) need no guard
        texts = pc.list_flatten(column) if listed else column
        if pc.any(pc.match_substring_regex(texts, _TRIGGER_PATTERN)).as_py():
            table = table.set_column(i, field, pa.array([guard_cell(v) for v in column.to_pylist()], field.type))
    return table


def _text_columns(styler: Styler) -> list[Any]:
    return [c for c in styler.data.columns if _texty(styler.data[c])]


def guard(data: Data) -> Data:
    """Whatever a table is given, guarded. A Styler keeps its colours (computed on the data as
    given); its text columns are *displayed* guarded."""
    if isinstance(data, Styler):
        columns = _text_columns(data)
        return data.format(_display(guard_cell), subset=columns) if columns else data
    if isinstance(data, pa.Table):
        return guard_arrow(data)
    return guard_frame(data)


def _display(rule: Callable[[Any], Any]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
            return "—"
        return str(rule(value))

    return show


def show_table(data: Data, *, where: Any = None, **kwargs: Any) -> Any:
    """st.dataframe of guarded data (`where`: a column or container to draw in). An empty cell
    shows 「—」, not the grid's own English 「None」."""
    kwargs.setdefault("placeholder", EMPTY_CELL)
    return (where or st).dataframe(guard(data), **kwargs)


def edit_table(frame: pd.DataFrame, *, disabled: Sequence[str], **kwargs: Any) -> pd.DataFrame:
    """st.data_editor whose read-only text columns are shown guarded (editable cells are the
    editor's own input). The frame handed back carries the read-only columns as they were, so a
    page that looks values up by them (grade names) is not misled by the guard's quote."""
    shown = frame.copy()
    guarded = [c for c in disabled if c in shown and _texty(shown[c])]
    for column in guarded:
        shown[column] = shown[column].map(guard_cell)
    kwargs.setdefault("placeholder", EMPTY_CELL)
    edited = st.data_editor(shown, disabled=list(disabled), **kwargs)
    if len(edited) == len(frame):  # rows cannot be added or removed unless the page allows it
        for column in guarded:
            edited[column] = frame[column].to_numpy()
    return edited


def static_table(data: pd.DataFrame | Styler) -> None:
    """st.table (every row at once, large type on the meeting page) with text cells escaped for
    Markdown and guarded as in every table."""
    escape = _display(lambda v: md_escape(guard_cell(v)))
    if isinstance(data, Styler):
        columns = _text_columns(data)
        st.table(data.format(escape, subset=columns) if columns else data)
        return
    shown = data.copy()
    for i in range(shown.shape[1]):
        if _texty(shown.iloc[:, i]):
            shown.isetitem(i, shown.iloc[:, i].map(escape))
    st.table(shown)


# -- 「下载 CSV」 ---------------------------------------------------------------------------------


def table_csv(frame: pd.DataFrame) -> bytes:
    """A shown table as CSV (UTF-8 with BOM for Excel, CRLF): numbers as numbers, every text
    cell neutralised (including signed-number text: in a file it is only text), lists joined."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if _texty(series):
            out.isetitem(
                i,
                series.astype(object).map(
                    lambda v: "" if v is None or (not isinstance(v, list | tuple) and pd.isna(v))
                    else neutralise("、".join(map(str, v)) if isinstance(v, list | tuple) else v)
                ),
            )  # fmt: skip
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def csv_file(frame: pd.DataFrame, what: str, file_name: str) -> Callable[[Actor], bytes]:
    """What a CSV button makes when clicked, for the account `ui.downloads` has just re-checked:
    the export is recorded in the audit log before the file is handed over."""
    data = frame.copy()

    def make(by: Actor) -> bytes:
        from services.audit import record_export

        record_export(what, file_name, by=by)
        return table_csv(data)

    return make


def csv_button(frame: pd.DataFrame, what: str, file_name: str, *, key: str, where: Any = None) -> None:
    """「下载 CSV」 under a table, for accounts that may export (nothing for the others)."""
    from ui.downloads import download_button, may_export

    if not may_export():
        return
    download_button(
        "下载 CSV",
        csv_file(frame, what, file_name),
        permission="export",
        what=what,
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=key,
        where=where,
    )
