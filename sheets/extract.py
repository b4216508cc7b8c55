"""What a layout reader hands to the checks: units as written, and value cells grouped by input code.

Each layout (wide, per-unit, long) only finds where things are. `Entries` are the units as
written (a wide row, a per-unit sheet, a long row); a `Block` is the cells of one input code,
each with its entry and its place in the sheet. The checks in `sheets.checks` then work on
whole blocks at once, whatever the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheets.headers import ASSESSOR, PERIOD, SCHEME, VERSION
from sheets.model import CellError
from sheets.text import as_text, clean, column_letter, key

ENTRY_COLUMNS = [
    "sheet", "row", "unit_text", "unit_col", "unit_header", "name_text", "name_col", "name_header",
    "assessor", "period_text", "period_col", "category", "after_footer",
]  # fmt: skip


def entries_frame(**columns: object) -> pd.DataFrame:
    """An entries frame with every column; scalars are broadcast."""
    n = max((len(v) for v in columns.values() if isinstance(v, list | np.ndarray | pd.Series)), default=0)
    defaults: dict[str, object] = {
        "sheet": "", "row": 0, "unit_text": "", "unit_col": None, "unit_header": "", "name_text": "",
        "name_col": None, "name_header": "", "assessor": "", "period_text": "", "period_col": None,
        "category": "", "after_footer": "",
    }  # fmt: skip
    data = {}
    for c in ENTRY_COLUMNS:
        v = columns.get(c, defaults[c])
        data[c] = v if isinstance(v, list | np.ndarray | pd.Series) else [v] * n
    # Object columns: pandas would copy every text into Arrow strings (and the checks read them
    # back as Python objects), a cost per row of a province's sheet for nothing.
    frame = pd.DataFrame(data, dtype=object)
    frame["row"] = frame["row"].astype(np.int64)
    return frame


@dataclass
class Block:
    """The cells of one input code. Per-cell arrays are aligned; `sheet`/`column` may be scalars."""

    code: str
    entry: np.ndarray  # int: index into the entries frame
    row: np.ndarray  # int: 1-based Excel row
    raw: np.ndarray  # object: the cell values as read
    sheet: str | np.ndarray
    column: str | np.ndarray
    header: str
    percent: np.ndarray | None = None  # bool: numeric cell shown as a percentage
    note: np.ndarray | None = None  # object: a note written for this cell
    special: dict[int, tuple[str, str]] = field(default_factory=dict)  # index → (kind, shown): formulas, #DIV/0!
    may_hold_bools: bool = True
    empty: np.ndarray | None = None  # bool: cells known to be empty (''), when the reader has it already

    def sheet_at(self, i: int) -> str:
        return self.sheet if isinstance(self.sheet, str) else str(self.sheet[i])

    def column_at(self, i: int) -> str:
        return self.column if isinstance(self.column, str) else str(self.column[i])


@dataclass
class Statement:
    """Something the sheet states about itself: its period, scheme, version or assessor."""

    what: str  # 'period', 'scheme', 'version', 'assessor'
    value: object
    sheet: str
    row: int
    column: str
    label: str
    # 'A2:B2' when the label's cell is merged with the cells to its right, where the value was to be
    # written (merging keeps only the label): the value is then unreadable and `value` is ''.
    merged: str = ""


@dataclass
class Extract:
    layout: str
    entries: pd.DataFrame
    blocks: list[Block] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    # Input codes each sheet should have had (wide: columns; per-unit: rows), checked by the layout.
    sheets: list[str] = field(default_factory=list)


def concat_entries(parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, list[int]]:
    """Join entries frames; also return each part's offset into the result."""
    offsets, total = [], 0
    for p in parts:
        offsets.append(total)
        total += len(p)
    if not parts:
        return entries_frame(), []
    return pd.concat(parts, ignore_index=True), offsets


# -- statements ------------------------------------------------------------------------------------
_LABELS = {"period": PERIOD, "scheme": SCHEME, "version": VERSION, "assessor": ASSESSOR}


def find_statements(rows: list[list], sheet: str, stop: int, skip_cols: set[int] | None = None,
                    merged: list | None = None) -> list[Statement]:  # fmt: skip
    """Label cells (考核期间, 方案, 版本, 考核人) in rows[:stop], with the value to their right or after a colon.

    The value is the first filled cell among the three to the label's right, unless that cell is
    itself a label (考核期间 | （空） | 方案 …: the value was left blank). `merged`: the sheet's
    merged ranges ((r0, c0), (r1, c1)), 0-based; a label merged with the cells to its right has
    lost its value, and is reported as such (`Statement.merged`).
    """
    out: list[Statement] = []
    spans = {(r0, c0): (r1, c1) for (r0, c0), (r1, c1) in merged or [] if c1 > c0 and r0 < stop}
    for r in range(min(stop, len(rows))):
        row = rows[r]
        for c, cell in enumerate(row):
            if not isinstance(cell, str) or not cell.strip() or (skip_cols and c in skip_cols):
                continue
            text = clean(cell)
            label, _, inline = text.replace("：", ":").partition(":")
            what = _label(label)
            if not what:
                continue
            if inline.strip():
                out.append(Statement(what, inline.strip(), sheet, r + 1, column_letter(c), label.strip()))
                continue
            span = spans.get((r, c))
            start = span[1] + 1 if span else c + 1  # a merged label: its value is right of the merge
            found = False
            for c2 in range(start, min(start + 3, len(row))):
                if as_text(row[c2]).strip():
                    found = not (
                        isinstance(row[c2], str) and _label(clean(row[c2]).replace("：", ":").partition(":")[0])
                    )
                    if found:
                        out.append(Statement(what, row[c2], sheet, r + 1, column_letter(c2), label.strip()))
                    break
            if span is not None and not found and what != "assessor":  # no assessor named is fine
                ref = f"{column_letter(c)}{r + 1}:{column_letter(span[1])}{span[0] + 1}"
                out.append(Statement(what, "", sheet, r + 1, column_letter(c), label.strip(), merged=ref))
    return out


def _label(text: str) -> str | None:
    k = key(text)
    for what, keys in _LABELS.items():
        if k in keys:
            return what
    return None


def meta_statements(rows: list[list]) -> list[Statement]:
    """Key/value rows of the hidden meta sheet written by the templates."""
    out = []
    names = {"period": "period", "scheme_id": "scheme", "scheme_version": "version"}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0] in names and as_text(row[1]).strip():
            out.append(Statement(names[row[0]], row[1], "", 0, "", ""))  # hidden: reported for the file
    return out


def meta_layout(rows: list[list]) -> str | None:
    for row in rows:
        if len(row) >= 2 and row[0] == "layout":
            return str(row[1])
    return None


def fill_merged(rows: list[list], merged: list, upto: int, width: int) -> list[list]:
    """A copy of rows[:upto] with each merged range's value copied into all its cells.

    Title merges (one row spanning most of the sheet's width) are left alone, so the title does
    not become every column's header.
    """
    top = [list(r) for r in rows[:upto]]
    for (r0, c0), (r1, c1) in merged:
        if r0 >= upto:
            continue
        if r0 == r1 and (c1 - c0 + 1) >= max(3, 0.6 * width):
            continue
        value = top[r0][c0] if c0 < len(top[r0]) else ""
        for r in range(r0, min(r1, upto - 1) + 1):
            for c in range(c0, min(c1, len(top[r]) - 1) + 1):
                top[r][c] = value
    return top
