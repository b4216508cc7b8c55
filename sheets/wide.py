"""The wide layout: one row per unit, one column per input code (leaf or checklist task).

The header may span several rows (一级指标 / 指标 / 任务 / 编码), with merged cells; the row that
names the most input codes is the key row, and the data start below it (and below any header
cell merged further down). Columns are recognised by code or name; unit, assessor and note
columns by their header. Blank rows are skipped; reading stops at a 合计 / 签名 row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from sheets import messages as msg
from sheets.extract import Block, Extract, entries_frame, fill_merged, find_statements
from sheets.headers import (
    ASSESSOR,
    CATEGORY,
    IGNORED,
    NOTE,
    PERIOD,
    SCHEME,
    UNIT_CODE,
    UNIT_EITHER,
    UNIT_NAME,
    VERSION,
    HeaderIndex,
    is_footer,
)
from sheets.model import CellError
from sheets.package import Workbook
from sheets.text import as_text, clean, clean_uncached, column_letter, key, tidy

_HEADER_SCAN = 40  # rows looked at for the header
_HEADER_DEPTH = 8  # header rows above the key row, at most
_CONTINUATION = frozenset(map(key, ["分值", "满分", "权重", "标准分", "填写说明", "填写要求", "要求", "说明"]))


@dataclass
class WideHeader:
    key_row: int  # 0-based
    top_row: int  # 0-based: the header block is rows top_row … key_row
    data_start: int  # 0-based
    inputs: dict[int, str]  # column → input code
    headers: dict[int, str]  # column → header text shown in messages
    unit_code: int | None = None
    unit_name: int | None = None
    assessor: int | None = None
    period: int | None = None
    category: int | None = None
    notes: dict[int, str] = field(default_factory=dict)  # note column → input code
    unknown: dict[int, str] = field(default_factory=dict)  # column → header text
    unnamed: list[int] = field(default_factory=list)
    duplicates: dict[int, int] = field(default_factory=dict)  # column → first column of the same code

    @property
    def unit_columns(self) -> list[int]:
        return [c for c in (self.unit_code, self.unit_name) if c is not None]


def find_header(rows: list[list], merged: list, index: HeaderIndex) -> WideHeader | None:
    """The wide header of a sheet, or None when no row names any input code."""
    upto = min(len(rows), _HEADER_SCAN)
    if upto == 0:
        return None
    width = max(len(r) for r in rows[:upto])
    top_rows = fill_merged(rows, merged, upto, width)
    texts = [[clean(c) if isinstance(c, str) else as_text(c) for c in r] for r in top_rows]
    # Each distinct text once: a merged range repeats its text in every cell it covers.
    counts = [len({index.match(t) for t in set(row) if t} - {None}) for row in texts]
    best = max(counts)
    if best == 0:
        return None
    key_row = max(r for r, n in enumerate(counts) if n == best)
    input_cols = {c for c, t in enumerate(texts[key_row]) if t and index.match(t)}
    top = _header_top(texts, key_row, input_cols)
    h = WideHeader(key_row=key_row, top_row=top, data_start=key_row + 1, inputs={}, headers={})
    for c in range(width):
        above = [texts[r][c] if c < len(texts[r]) else "" for r in range(key_row, top - 1, -1)]
        _classify_column(h, c, above, index)
    ends = [r1 for (r0, _c0), (r1, _c1) in merged if r0 <= key_row < r1]
    h.data_start = max([key_row + 1] + [e + 1 for e in ends])
    while h.data_start < len(rows) and _is_continuation(rows[h.data_start], h):
        h.data_start += 1
    return h


def _header_top(texts: list[list[str]], key_row: int, input_cols: set[int]) -> int:
    """First row of the header block: rows above the key row with text over the input columns,
    up to a row of statements (考核期间 …) or one with nothing over them (a title)."""
    top = key_row
    while top > 0 and key_row - top < _HEADER_DEPTH:
        row = texts[top - 1]
        if any(_is_label(t) for t in row) or not any(c < len(row) and row[c] for c in input_cols):
            break
        top -= 1
    return top


def _is_label(text: str) -> bool:
    k = key(text.replace("：", ":").partition(":")[0]) if text else ""
    return bool(k) and (k in PERIOD or k in SCHEME or k in VERSION or k in ASSESSOR)


def _classify_column(h: WideHeader, c: int, above: list[str], index: HeaderIndex) -> None:
    """Decide what column `c` holds from its header cells, key row first, then upwards."""
    shown = next((t for t in above if t), "")
    # A checklist leaf named above its task columns narrows task names shared by several checklists.
    context = next((code for t in above[1:] if t and (code := index.match(t)) in index.checklists), None)
    code = next((found for t in above if t and (found := index.match(t, within=context))), None)
    if code:
        h.headers[c] = index.names.get(code, shown)
        if code in h.inputs.values():
            h.duplicates[c] = next(k for k, v in h.inputs.items() if v == code)
        else:
            h.inputs[c] = code
        return
    h.headers[c] = shown
    k = key(shown)
    if not k:
        h.unnamed.append(c)
    elif k in UNIT_CODE and h.unit_code is None:
        h.unit_code = c
    elif (k in UNIT_NAME or k in UNIT_EITHER) and h.unit_name is None:
        h.unit_name = c
    elif k in ASSESSOR and h.assessor is None:
        h.assessor = c
    elif k in PERIOD and h.period is None:
        h.period = c
    elif k in CATEGORY and h.category is None:
        h.category = c
    elif _note_for(k, index):
        h.notes[c] = _note_for(k, index)
    elif k == key("说明") and (c - 1) in h.inputs:
        h.notes[c] = h.inputs[c - 1]
    elif k in NOTE or k in IGNORED or k in UNIT_CODE or k in UNIT_NAME:
        return
    else:
        h.unknown[c] = shown


def _note_for(k: str, index: HeaderIndex) -> str | None:
    """'C3说明' / 'C3备注' → C3."""
    for suffix in ("说明", "备注"):
        if k.endswith(key(suffix)) and len(k) > len(suffix):
            return index.by_code(k[: -len(suffix)])
    return None


def _is_continuation(row: list, h: WideHeader) -> bool:
    """A header row below the key row (分值 …): its unit cell holds a header word, not a unit."""
    return any(c < len(row) and isinstance(row[c], str) and key(row[c]) in _CONTINUATION for c in h.unit_columns)


def read_wide(book: Workbook, sheet: str, rows: list[list], h: WideHeader, index: HeaderIndex) -> Extract:
    """Entries (one per unit row) and blocks (one per input column) of a wide sheet."""
    errors: list[CellError] = []
    header_row = h.key_row + 1
    statements = find_statements(rows, sheet, h.top_row, merged=book.merged(sheet))
    if not h.unit_columns:
        errors.append(CellError(sheet, header_row, None, None, "", msg.NO_UNIT_COLUMN, kind="no_unit_column"))
        return Extract("wide", entries_frame(), [], statements, errors, [sheet])

    width = max((len(r) for r in rows), default=0)
    body = rows[h.data_start :]
    grid = _grid(body, width)
    n = len(grid)
    row_no = np.arange(h.data_start + 1, h.data_start + 1 + n)

    used = sorted(set(h.inputs) | set(h.unit_columns) | set(h.notes) | set(h.unknown) | set(h.unnamed))
    # calamine writes '' for an empty cell (and `_grid` pads with ''): one comparison finds them all.
    empty = grid == "" if n else np.zeros(grid.shape, dtype=bool)
    blank_row = _blank_rows(grid, used, empty) if n else np.zeros(0, dtype=bool)
    footer_at, footer_word = _footer(grid, h)
    after = np.zeros(n, dtype=bool)
    if footer_at is not None:
        after[footer_at:] = True
        blank_row[footer_at] = True  # the 合计 / 签名 row itself
    keep = np.flatnonzero(~blank_row)

    for c, first in h.duplicates.items():
        errors.append(CellError(sheet, header_row, column_letter(c), h.headers.get(c), "",
                                msg.DUPLICATE_COLUMN.format(code=h.headers.get(c), first=column_letter(first)),
                                kind="duplicate_column"))  # fmt: skip
    for c, text in h.unknown.items():
        if n and not _blank_column(grid[~after, c]).all():
            hint = index.suggest(text)
            errors.append(CellError(sheet, header_row, column_letter(c), text, text,
                                    msg.UNKNOWN_COLUMN.format(header=text), None,
                                    msg.UNKNOWN_COLUMN_HINT.format(names="、".join(hint)) if hint else msg.UNKNOWN_COLUMN_NO_HINT,
                                    "unknown_column"))  # fmt: skip
    for c in h.unnamed:
        filled = ~_blank_column(grid[:, c])
        if n and filled[~after].any():
            first = int(np.flatnonzero(filled)[0])
            errors.append(CellError(sheet, int(row_no[first]), column_letter(c), None, as_text(grid[first, c]),
                                    msg.NO_HEADER, kind="no_header"))  # fmt: skip

    def text_col(c: int | None) -> np.ndarray | str:
        if c is None:
            return ""
        # One distinct text per row (unit codes): the uncached `clean`, so no cache is churned.
        return np.array([clean_uncached(v if type(v) is str else as_text(v)) for v in grid[keep, c].tolist()],
                        dtype=object)  # fmt: skip

    entries = entries_frame(
        sheet=sheet,
        row=row_no[keep],
        unit_text=text_col(h.unit_code if h.unit_code is not None else h.unit_name),
        unit_col=column_letter(h.unit_code if h.unit_code is not None else h.unit_name),
        unit_header=h.headers.get(h.unit_code if h.unit_code is not None else h.unit_name, ""),
        name_text=text_col(h.unit_name) if h.unit_code is not None and h.unit_name is not None else "",
        name_col=column_letter(h.unit_name) if h.unit_code is not None and h.unit_name is not None else None,
        name_header=h.headers.get(h.unit_name, "") if h.unit_name is not None else "",
        assessor=text_col(h.assessor),
        period_text=text_col(h.period) if h.period is not None else "",
        period_col=column_letter(h.period) if h.period is not None else None,
        category=text_col(h.category),
        after_footer=np.where(after[keep], footer_word or "", ""),
    )

    blocks = _blocks(book, sheet, grid, empty, keep, row_no, h)
    return Extract("wide", entries, blocks, statements, errors, [sheet])


def _grid(body: list[list], width: int) -> np.ndarray:
    if not body:
        return np.empty((0, width), dtype=object)
    if all(len(r) == width for r in body):
        return np.array(body, dtype=object).reshape(len(body), width)
    return np.array([list(r) + [""] * (width - len(r)) for r in body], dtype=object)


def _empty(values: np.ndarray) -> np.ndarray:
    """Cells with nothing at all in them ('' as read by calamine, or None): one C-level pass."""
    out = values == ""
    if not isinstance(out, np.ndarray):  # numpy gives a scalar for an empty array
        out = np.zeros(values.shape, dtype=bool)
    return out | np.equal(values, None)


def _spaces(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


def _blank_rows(grid: np.ndarray, cols: list[int], empty_grid: np.ndarray) -> np.ndarray:
    """Rows whose cells in `cols` are all empty or only spaces.

    Only the first non-empty cell of each row is looked at in Python (a row is not blank as
    soon as it holds one real value); rows whose first such cell is spaces are checked whole.
    """
    sub = grid[:, cols]
    empty = empty_grid[:, cols]
    blank = empty.all(axis=1)
    live = np.flatnonzero(~blank)
    if len(live):
        first = (~empty[live]).argmax(axis=1)
        spaces = np.fromiter(map(_spaces, sub[live, first]), dtype=bool, count=len(live))
        for i in live[spaces]:
            blank[i] = all(e or _spaces(v) for e, v in zip(empty[i], sub[i], strict=True))
    return blank


def _blank_column(values: np.ndarray) -> np.ndarray:
    """Exact blankness of one column's cells (empty or only spaces)."""
    empty = _empty(values)
    rest = np.flatnonzero(~empty)
    if len(rest):
        empty[rest] = np.fromiter(map(_spaces, values[rest]), dtype=bool, count=len(rest))
    return empty


# A footer's first character (合计, 总计, 小计, 平均, 签名/签字, 审核, 制表, 填表, 负责人, 考核组成员,
# 日期, 注:) after any spaces or invisible characters: a cheap filter before `is_footer`.
_FOOTER_START = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]*[合总小平签审制填负考日注]")


def _footer(grid: np.ndarray, h: WideHeader) -> tuple[int | None, str | None]:
    """The first row whose leading cell says 合计 / 签名 / 制表 …"""
    if not len(grid):
        return None, None
    first_input = min(h.inputs) if h.inputs else grid.shape[1]
    cols = sorted({0, *h.unit_columns, *range(min(first_input, 3))} & set(range(grid.shape[1])))
    match = _FOOTER_START.match
    best: tuple[int, str] | None = None
    for c in cols:
        for i, v in enumerate(grid[:, c].tolist()):
            if best is not None and i >= best[0]:
                break
            if type(v) is str and match(v):
                word = is_footer(v)
                if word:
                    best = (i, word)
                    break
    return best if best is not None else (None, None)


def _blocks(book: Workbook, sheet: str, grid: np.ndarray, empty: np.ndarray, keep: np.ndarray, row_no: np.ndarray,
            h: WideHeader) -> list[Block]:  # fmt: skip
    formulas = book.formula_cells(sheet)
    untrusted = book.untrusted_formula_cells(sheet)
    errors = book.error_cells(sheet)
    percent = book.percent_cells(sheet)
    bools = book.may_hold_bools(sheet)
    rows0 = row_no[keep] - 1  # 0-based sheet rows of the kept entries
    entry = np.arange(len(keep))
    notes_of = {code: c for c, code in h.notes.items()}
    blocks = []
    for c, code in h.inputs.items():
        raw = grid[keep, c]
        special: dict[int, tuple[str, str]] = {}
        for (r, cc), text in errors.items():
            if cc == c:
                _mark(special, rows0, r, ("error_value", text))
        for r, cc in formulas:
            if cc == c:
                _mark(special, rows0, r, ("formula", ""))
        for r, cc in untrusted:
            if cc == c:
                _mark(special, rows0, r, ("formula_untrusted", ""))
        pct = None
        if percent:
            rows_pct = [r for r, cc in percent if cc == c]
            if rows_pct:
                pct = np.isin(rows0, rows_pct)
        note = None
        if code in notes_of:
            note = _notes(grid[keep, notes_of[code]])
        blocks.append(Block(code, entry, rows0 + 1, raw, sheet, column_letter(c), h.headers.get(c, code), pct, note,
                            special, bools, empty[keep, c]))  # fmt: skip
    return blocks


def _notes(raw: np.ndarray) -> np.ndarray:
    """Note texts as written ('' where empty); only the cells holding something are looked at."""
    out = np.full(len(raw), "", dtype=object)
    at = np.flatnonzero(~_empty(raw))
    out[at] = [tidy(as_text(v)) for v in raw[at]]
    return out


def _mark(special: dict, rows0: np.ndarray, r: int, what: tuple[str, str]) -> None:
    i = int(np.searchsorted(rows0, r))
    if i < len(rows0) and rows0[i] == r:
        special[i] = what
