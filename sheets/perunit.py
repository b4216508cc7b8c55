"""The per-unit layout: one sheet per unit, one row per input code.

Header row: 编码 | 指标 | 分值 | 评分标准 | 实际值/得分 | 说明 (only 编码 and the value column are
needed). The unit is named above the header (单位编码 / 单位名称), or by the sheet's name.
Rows of 一级/二级指标 and of a checklist's own line (without a value) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sheets import messages as msg
from sheets.extract import Block, Extract, Statement, entries_frame, find_statements
from sheets.headers import (
    NOTE,
    PER_UNIT_CODE,
    PER_UNIT_NAME,
    PER_UNIT_VALUE,
    UNIT_CODE,
    UNIT_NAME,
    HeaderIndex,
    is_footer,
)
from sheets.model import CellError
from sheets.package import Workbook
from sheets.text import as_text, clean, column_letter, key, tidy

_HEADER_SCAN = 30


@dataclass
class PerUnitHeader:
    row: int  # 0-based
    code: int
    value: int
    name: int | None = None
    note: int | None = None


def find_header(rows: list[list]) -> PerUnitHeader | None:
    for r, row in enumerate(rows[:_HEADER_SCAN]):
        keys = [key(c) if isinstance(c, str) else "" for c in row]
        code = next((c for c, k in enumerate(keys) if k in PER_UNIT_CODE), None)
        value = next((c for c, k in enumerate(keys) if k in PER_UNIT_VALUE), None)
        if code is not None and value is not None and code != value:
            name = next((c for c, k in enumerate(keys) if k in PER_UNIT_NAME), None)
            note = next((c for c, k in enumerate(keys) if k in NOTE and c != value), None)
            return PerUnitHeader(r, code, value, name, note)
    return None


def read_per_unit(book: Workbook, sheets: list[tuple[str, list[list], PerUnitHeader]], index: HeaderIndex,
                  required: list[str]) -> Extract:  # fmt: skip
    """One entry per sheet; one block per input code, gathering that code's row from every sheet."""
    errors: list[CellError] = []
    statements: list[Statement] = []
    entry_rows = []
    cells: dict[str, list[tuple[int, int, object, str, str, object]]] = {}  # code → (entry, row, raw, sheet, col, note)
    specials: dict[str, dict[int, tuple[str, str]]] = {}
    percent_at: dict[str, set[int]] = {}
    bools = False
    for e, (sheet, rows, h) in enumerate(sheets):
        statements += find_statements(rows, sheet, h.row, merged=book.merged(sheet))
        unit_text, unit_row, unit_col, unit_header, name_text = _unit_statement(rows, sheet, h)
        entry_rows.append(dict(sheet=sheet, row=unit_row, unit_text=unit_text, unit_col=unit_col,
                               unit_header=unit_header, name_text=name_text))  # fmt: skip
        formulas = book.formula_cells(sheet)
        untrusted = book.untrusted_formula_cells(sheet)
        errs = book.error_cells(sheet)
        percent = book.percent_cells(sheet)
        bools |= book.may_hold_bools(sheet)
        seen: dict[str, int] = {}
        for r in range(h.row + 1, len(rows)):
            row = rows[r]
            code_cell = clean(as_text(row[h.code])) if h.code < len(row) else ""
            name_cell = clean(as_text(row[h.name])) if h.name is not None and h.name < len(row) else ""
            raw = row[h.value] if h.value < len(row) else ""
            first = next((clean(as_text(v)) for v in row if as_text(v).strip()), "")
            if first and is_footer(first) and not index.by_code(code_cell):
                break
            if not code_cell and not name_cell:
                if as_text(raw).strip():
                    errors.append(CellError(sheet, r + 1, column_letter(h.code), "编码", "",
                                            msg.NO_HEADER, kind="no_code"))  # fmt: skip
                continue
            code = index.by_code(code_cell) if code_cell else None
            if code is None and not code_cell and name_cell:
                code = index.match(name_cell)
            if code is None:
                if index.criterion(code_cell or name_cell):
                    if as_text(raw).strip():
                        errors.append(CellError(sheet, r + 1, column_letter(h.value), name_cell, as_text(raw),
                                                msg.CRITERION_CODE.format(value=code_cell or name_cell),
                                                kind="criterion_code"))  # fmt: skip
                    continue
                shown = code_cell or name_cell
                hint = index.suggest(shown)
                errors.append(CellError(sheet, r + 1, column_letter(h.code if code_cell else h.name), "编码", shown,
                                        msg.UNKNOWN_CODE.format(value=shown, scheme=index.scheme.name), None,
                                        msg.UNKNOWN_CODE_HINT.format(names="、".join(hint)) if hint else None,
                                        "unknown_code"))  # fmt: skip
                continue
            if code in seen:
                errors.append(CellError(sheet, r + 1, column_letter(h.code), "编码", code_cell,
                                        msg.DUPLICATE_CODE_ROW.format(code=code, first=seen[code]),
                                        kind="duplicate_code"))  # fmt: skip
                continue
            seen[code] = r + 1
            note = tidy(as_text(row[h.note])) if h.note is not None and h.note < len(row) else ""
            bucket = cells.setdefault(code, [])
            if (r, h.value) in formulas:
                specials.setdefault(code, {})[len(bucket)] = ("formula", "")
            elif (r, h.value) in untrusted:
                specials.setdefault(code, {})[len(bucket)] = ("formula_untrusted", as_text(raw))
            if (r, h.value) in errs:
                specials.setdefault(code, {})[len(bucket)] = ("error_value", errs[(r, h.value)])
            if (r, h.value) in percent:
                percent_at.setdefault(code, set()).add(len(bucket))
            bucket.append((e, r + 1, raw, sheet, column_letter(h.value), note))
        for code in required:
            if code not in seen:
                errors.append(CellError(sheet, None, None, None, "",
                                        msg.MISSING_ROW.format(code=code, name=index.names.get(code, "")),
                                        None, msg.MISSING_COLUMN_HINT, "missing_row", code=code))  # fmt: skip

    entries = entries_frame(
        sheet=[x["sheet"] for x in entry_rows],
        row=[x["row"] for x in entry_rows],
        unit_text=[x["unit_text"] for x in entry_rows],
        unit_col=[x["unit_col"] for x in entry_rows],
        unit_header=[x["unit_header"] for x in entry_rows],
        name_text=[x["name_text"] for x in entry_rows],
    )
    blocks = []
    for code, items in cells.items():
        pct = None
        if code in percent_at:
            pct = np.zeros(len(items), dtype=bool)
            pct[list(percent_at[code])] = True
        notes = np.array([i[5] for i in items], dtype=object)
        blocks.append(Block(
            code=code,
            entry=np.array([i[0] for i in items], dtype=np.int64),
            row=np.array([i[1] for i in items], dtype=np.int64),
            raw=np.array([i[2] for i in items] + [None], dtype=object)[:-1],
            sheet=np.array([i[3] for i in items], dtype=object),
            column=np.array([i[4] for i in items], dtype=object),
            header=index.names.get(code, code),
            percent=pct,
            note=notes,
            special=specials.get(code, {}),
            may_hold_bools=bools,
        ))  # fmt: skip
    return Extract("per-unit", entries, blocks, statements, errors, [s for s, _r, _h in sheets])


def _unit_statement(rows: list[list], sheet: str, h: PerUnitHeader) -> tuple[str, int, str | None, str, str]:
    """(unit text, row, column, label, name text) from 单位编码 / 单位名称 cells above the header; else the sheet name."""
    code = name = None
    for r in range(min(h.row, len(rows))):
        row = rows[r]
        for c, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            label, _, inline = clean(cell).replace("：", ":").partition(":")
            k = key(label)
            if k not in UNIT_CODE and k not in UNIT_NAME:
                continue
            value, col = (inline.strip(), c) if inline.strip() else _right_of(row, c)
            if not value:
                continue
            found = (value, r + 1, column_letter(col), label.strip())
            if k in UNIT_CODE and code is None:
                code = found
            elif k in UNIT_NAME and name is None:
                name = found
    if code:
        return code[0], code[1], code[2], code[3], name[0] if name else ""
    if name:
        return name[0], name[1], name[2], name[3], ""
    return sheet, 0, None, "", ""


def _right_of(row: list, c: int) -> tuple[str, int]:
    for c2 in range(c + 1, min(c + 4, len(row))):
        text = clean(as_text(row[c2]))
        if text:
            return text, c2
    return "", c
