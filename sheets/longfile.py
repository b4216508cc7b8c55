"""The long layout: one row per value — unit, criterion (code), value[, assessor, period, category, note].

Headers may be English (unit, criterion, value, assessor, period, category, note) or Chinese
(单位, 指标编码, 数值, 考核人, 期间, 类别, 备注). CSV files may be UTF-8 (with or without BOM), GBK,
or UTF-16 (Excel's 「Unicode 文本」: with a BOM, or without one when its zero bytes tell the order).

`read_long_table` is the reader for `manage.py score --scores FILE`: it has no unit register, so
units stay as written, and each row may carry its own period.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.scheme import Scheme
from sheets import messages as msg
from sheets.cells import rules_for
from sheets.checks import Context, check
from sheets.extract import Block, Extract, entries_frame
from sheets.headers import (
    ASSESSOR,
    CATEGORY,
    LONG_CODE,
    LONG_UNIT,
    LONG_VALUE,
    NOTE,
    PERIOD,
    HeaderIndex,
    is_footer,
)
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.model import CellError, ParsedUpload, empty_values, file_error
from sheets.package import PackageRefused, Workbook, open_workbook, sniff_kind
from sheets.text import as_text, clean, column_letter, key, tidy

_HEADER_SCAN = 10
_DELIMITERS = (",", "\t", ";", "，")


def utf16_encoding(data: bytes) -> str | None:
    """'utf-16' (BOM), 'utf-16-le' / 'utf-16-be' (no BOM), or None when `data` is not UTF-16 text.

    Without a BOM, UTF-16 text of headers, codes and numbers has zero bytes (the high byte of
    every ASCII character) nearly all at odd offsets (little-endian) or at even ones (big-endian):
    only a few Chinese characters (一 is U+4E00) put one on the other side. A binary file has
    them on both sides alike.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = data[:4096]
    if b"\x00" not in head:
        return None
    odd = head[1::2].count(0)
    even = head[0::2].count(0)
    if odd >= 0.9 * (odd + even):
        return "utf-16-le"
    if even >= 0.9 * (odd + even):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str | None:
    """Text of a CSV file: UTF-16 (see `utf16_encoding`), UTF-8 (BOM or not), else GBK (as GB18030,
    its superset); None if none of them.

    Almost any even number of bytes decodes as UTF-16, so UTF-16 text counts only when it reads as
    a table: a separator in its first line (a long table has at least three columns).
    """
    wide = utf16_encoding(data)
    if wide is not None:
        try:
            text = data.decode(wide)
        except UnicodeDecodeError:
            return None
        first = text[:4096].split("\n", 1)[0]
        return text if "\x00" not in text and any(d in first for d in _DELIMITERS) else None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def csv_rows(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[list[str]]:
    """Rows of a CSV file as text cells. Raises PackageRefused for unreadable or oversized files."""
    if len(data) > limits.max_bytes:
        raise PackageRefused(
            msg.FILE_TOO_BIG.format(size=msg.size_text(len(data)), limit=msg.size_text(limits.max_bytes))
        )
    wide = utf16_encoding(data)
    if wide is None and b"\x00" in data[:4096]:
        raise PackageRefused(msg.FILE_NOT_XLSX, msg.FILE_XLS_HINT)
    text = decode_text(data)
    if text is None:
        raise PackageRefused(msg.FILE_TEXT_ENCODING_UTF16, msg.FILE_TEXT_HINT)
    lines = text.count("\n")
    if lines > limits.max_rows + 1:
        raise PackageRefused(
            msg.FILE_TOO_MANY_ROWS.format(rows=lines, limit=limits.max_rows), msg.FILE_TOO_MANY_ROWS_HINT
        )
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=str(exc)), msg.FILE_CORRUPT_HINT) from None


@dataclass
class LongHeader:
    row: int  # 0-based
    unit: int
    code: int
    value: int
    assessor: int | None = None
    period: int | None = None
    category: int | None = None
    note: int | None = None
    names: tuple[str, ...] = ()


def find_header(rows: list[list]) -> LongHeader | None:
    for r, row in enumerate(rows[:_HEADER_SCAN]):
        keys = [key(as_text(c)) for c in row]

        def first(keys_wanted: frozenset[str], taken: set[int], keys=keys) -> int | None:
            return next((c for c, k in enumerate(keys) if k in keys_wanted and c not in taken), None)

        taken: set[int] = set()
        found = {}
        for name, wanted in (("value", LONG_VALUE), ("code", LONG_CODE), ("unit", LONG_UNIT)):
            c = first(wanted, taken)
            if c is None:
                break
            found[name] = c
            taken.add(c)
        else:
            h = LongHeader(r, found["unit"], found["code"], found["value"])
            h.assessor = first(ASSESSOR, taken)
            h.period = first(PERIOD, taken)
            h.category = first(CATEGORY, taken)
            h.note = first(NOTE, taken)
            h.names = tuple(clean(as_text(c)) for c in row)
            return h
    return None


def missing_columns(rows: list[list]) -> list[str]:
    """What a would-be long header lacks, for the message when no header is found."""
    best: list[str] = ["单位", "指标编码", "数值"]
    for row in rows[:_HEADER_SCAN]:
        keys = {key(as_text(c)) for c in row}
        lacking = [n for n, w in (("单位", LONG_UNIT), ("指标编码", LONG_CODE), ("数值", LONG_VALUE)) if not keys & w]
        if len(lacking) < len(best):
            best = lacking
    return best


def read_long(rows: list[list], sheet: str, h: LongHeader, index: HeaderIndex, book: Workbook | None) -> Extract:
    """One entry per data row; one block per input code."""
    errors: list[CellError] = []
    formulas = book.formula_cells(sheet) if book else set()
    untrusted = book.untrusted_formula_cells(sheet) if book else set()
    errs = book.error_cells(sheet) if book else {}
    percent = book.percent_cells(sheet) if book else set()
    bools = book.may_hold_bools(sheet) if book else False
    names = h.names
    width = len(names)
    keep_rows: list[int] = []
    codes: list[str | None] = []
    code_cache: dict[str, str | None] = {}

    def cell(row: list, c: int | None) -> object:
        return row[c] if c is not None and c < len(row) else ""

    for r in range(h.row + 1, len(rows)):
        row = rows[r]
        unit_text = clean(as_text(cell(row, h.unit)))
        code_text = clean(as_text(cell(row, h.code)))
        raw = cell(row, h.value)
        if not unit_text and not code_text and not as_text(raw).strip():
            continue
        if is_footer(unit_text) and not code_text:
            errors += _after_footer(rows, r, sheet, h, is_footer(unit_text) or "")
            break
        if code_text not in code_cache:
            code_cache[code_text] = index.match(code_text) if code_text else None
        code = code_cache[code_text]
        if code is None:
            if not code_text:
                errors.append(CellError(sheet, r + 1, column_letter(h.code), names[h.code], "",
                                        "没有填写指标编码", kind="code_blank"))  # fmt: skip
            elif index.criterion(code_text):
                errors.append(CellError(sheet, r + 1, column_letter(h.code), names[h.code], code_text,
                                        msg.CRITERION_CODE.format(value=code_text), kind="criterion_code"))  # fmt: skip
            else:
                hint = index.suggest(code_text)
                errors.append(CellError(sheet, r + 1, column_letter(h.code), names[h.code], code_text,
                                        msg.UNKNOWN_CODE.format(value=code_text, scheme=index.scheme.name), None,
                                        msg.UNKNOWN_CODE_HINT.format(names="、".join(hint)) if hint else None,
                                        "unknown_code"))  # fmt: skip
            continue
        keep_rows.append(r)
        codes.append(code)

    def column(c: int | None) -> list[str] | str:
        if c is None:
            return ""
        return [clean(as_text(cell(rows[r], c))) for r in keep_rows]

    entries = entries_frame(
        sheet=sheet,
        row=np.array(keep_rows, dtype=np.int64) + 1,
        unit_text=column(h.unit),
        unit_col=column_letter(h.unit),
        unit_header=names[h.unit] if h.unit < width else "",
        assessor=column(h.assessor),
        period_text=column(h.period),
        period_col=column_letter(h.period) if h.period is not None else None,
        category=column(h.category),
    )
    by_code: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        by_code.setdefault(code, []).append(i)
    blocks = []
    value_col = column_letter(h.value)
    notes = [tidy(as_text(cell(rows[r], h.note))) for r in keep_rows] if h.note is not None else ""
    for code, at in by_code.items():
        idx = np.array(at, dtype=np.int64)
        sheet_rows = np.array([keep_rows[i] for i in at], dtype=np.int64)
        special = {}
        pct = None
        for j, r in enumerate(sheet_rows):
            if (int(r), h.value) in formulas:
                special[j] = ("formula", "")
            elif (int(r), h.value) in untrusted:
                special[j] = ("formula_untrusted", as_text(cell(rows[r], h.value)))
            elif (int(r), h.value) in errs:
                special[j] = ("error_value", errs[(int(r), h.value)])
        if percent:
            pct = np.array([(int(r), h.value) in percent for r in sheet_rows], dtype=bool)
        raw = np.empty(len(at), dtype=object)
        raw[:] = [cell(rows[r], h.value) for r in sheet_rows]
        note = np.array([notes[i] for i in at], dtype=object) if isinstance(notes, list) else None
        blocks.append(Block(code, idx, sheet_rows + 1, raw, sheet, value_col, index.names.get(code, code), pct, note,
                            special, bools))  # fmt: skip
    return Extract("long", entries, blocks, [], errors, [sheet])


def _after_footer(rows: list[list], at: int, sheet: str, h: LongHeader, footer: str) -> list[CellError]:
    """Rows below the 合计 / 签名 row at `at` that still hold a code and a value: not read, so say so."""
    out = []
    for r in range(at + 1, len(rows)):
        row = rows[r]
        code_text = clean(as_text(row[h.code])) if h.code < len(row) else ""
        value = as_text(row[h.value]).strip() if h.value < len(row) else ""
        if not (code_text and value):
            continue
        unit_text = clean(as_text(row[h.unit])) if h.unit < len(row) else ""
        problem = msg.AFTER_FOOTER if unit_text else msg.AFTER_FOOTER_NO_UNIT
        out.append(CellError(sheet, r + 1, column_letter(h.unit), h.names[h.unit] if h.unit < len(h.names) else "",
                             unit_text, problem.format(footer=footer), None, msg.AFTER_FOOTER_HINT,
                             "after_footer"))  # fmt: skip
    return out


def read_long_table(
    path_or_bytes: str | Path | bytes, scheme: Scheme, *, file_name: str, limits: Limits = DEFAULT_LIMITS
) -> ParsedUpload:
    """Read a long CSV or XLSX file of values (units as written, periods per row).

    Never raises for a bad file: problems come back as located errors.
    """
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    index = HeaderIndex(scheme)
    try:
        sheet, rows, book = _long_rows(data, file_name, limits)
    except PackageRefused as exc:
        return ParsedUpload(empty_values(), [file_error(exc.problem, exc.suggestion, file_name, exc.sheet)], "",
                            file_name=file_name)  # fmt: skip
    h = find_header(rows)
    if h is None:
        missing = "、".join(missing_columns(rows))
        err = CellError(sheet, None, None, None, "", msg.LONG_MISSING_COLUMNS.format(columns=missing), None,
                        msg.LONG_MISSING_COLUMNS_HINT, "missing_columns")  # fmt: skip
        return ParsedUpload(empty_values(), [err], "", file_name=file_name)
    extract = read_long(rows, sheet, h, index, book)
    ctx = Context(scheme, rules_for(scheme), index, None, None, None, limits, file_name, duplicates_by_cell=True)
    checked = check(extract, ctx)
    return ParsedUpload(checked.values, checked.errors, "long", checked.sheet_period, file_name, checked.locations,
                        warnings=checked.warnings)  # fmt: skip


def _long_rows(data: bytes, file_name: str, limits: Limits) -> tuple[str, list[list], Workbook | None]:
    if sniff_kind(data) == "zip" or file_name.lower().endswith((".xlsx", ".xlsm")):
        book = open_workbook(data, file_name, limits)
        visible = [s for s in book.sheets if s.visible] or book.sheets
        for info in visible:
            rows = book.sheet_rows(info.name)
            if find_header(rows) is not None:
                return info.name, rows, book
        if not visible:
            raise PackageRefused(msg.NO_SCORE_SHEET, msg.LONG_MISSING_COLUMNS_HINT)
        return visible[0].name, book.sheet_rows(visible[0].name), book
    return file_name, csv_rows(data, limits), None
