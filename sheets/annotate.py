"""An annotated copy of the user's own workbook: every bad cell filled red with a comment saying
what is wrong, and a first sheet 校验结果 listing all errors with links to their cells.

openpyxl is used here because this edits an existing workbook (reading uses calamine). The file
goes through the same safety checks as for reading first. openpyxl keeps values, styles, merged
cells and validation; it drops charts and images, which scoresheets do not need.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.longfile import csv_rows
from sheets.model import CellError
from sheets.package import open_workbook, sniff_kind
from sheets.text import column_index

REPORT_SHEET = "校验结果"
AUTHOR = "绩效考核系统"
_BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_BAD_ROW = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")


def annotate_workbook(
    source: bytes | str | Path, errors: list[CellError], *, file_name: str, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """The user's workbook (or CSV, turned into a workbook) with its errors marked. Raises
    `sheets.package.PackageRefused` for a file that cannot be opened safely."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if sniff_kind(data) == "zip":
        open_workbook(data, file_name, limits)  # refuses bombs and broken files before openpyxl sees them
        wb = openpyxl.load_workbook(io.BytesIO(data), rich_text=False)
    else:
        wb = _from_csv(data, file_name, limits)
        errors_at = {file_name: wb.active.title}  # CSV errors name the file as their sheet
        errors = [_rename(e, errors_at) for e in errors]
    by_cell: dict[tuple[str, int, int], list[CellError]] = defaultdict(list)
    for e in errors:
        if e.sheet in wb.sheetnames and e.row:
            col = column_index(e.column) + 1 if e.column else 1
            by_cell[(e.sheet, e.row, col)].append(e)
    for (sheet, row, col), found in by_cell.items():
        ws = wb[sheet]
        cell = _anchor(ws, row, col)
        whole_row = all(e.column is None for e in found)
        cell.fill = _BAD_ROW if whole_row else _BAD
        text = "\n".join(_comment_text(e) for e in found)
        comment = Comment(text[:2000], AUTHOR)
        comment.width, comment.height = 320, min(60 + 40 * len(found), 400)
        cell.comment = comment
    _report(wb, errors)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rename(e: CellError, names: dict[str, str]) -> CellError:
    from dataclasses import replace

    return replace(e, sheet=names.get(e.sheet or "", e.sheet))


def _anchor(ws: Worksheet, row: int, col: int):
    """The cell to mark: the top-left cell of a merged range that holds (row, col)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _comment_text(e: CellError) -> str:
    text = e.problem
    if e.expected:
        text += f"，应为 {e.expected}"
    if e.suggestion:
        text += f"（{e.suggestion}）"
    return text


def _report(wb: openpyxl.Workbook, errors: list[CellError]) -> None:
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    ws = wb.create_sheet(REPORT_SHEET, 0)
    ws.append(["序号", "表", "单元格", "问题"])
    for c in ws[1]:
        c.font = Font(bold=True)
    for i, e in enumerate(errors, start=1):
        place = e.cell or (f"第 {e.row} 行" if e.row else "")
        ws.append([i, e.sheet or "", place, str(e)])
        if e.sheet in wb.sheetnames and e.row:
            target = e.cell or f"A{e.row}"
            link = ws.cell(row=i + 1, column=3)
            # An internal link (location), not a relationship to an external target named '#…'.
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{e.sheet}'!{target}")
            link.font = Font(color="0563C1", underline="single")
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 100
    wb.active = 0


def _from_csv(data: bytes, file_name: str, limits: Limits) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", Path(file_name).name)[:31] or "Sheet1"
    for row in csv_rows(data, limits):
        ws.append(row)
    return wb
