"""An annotated copy of the user's own workbook: every bad cell filled red with a comment saying
what is wrong, and a first sheet 校验结果 listing all errors with links to their cells.

openpyxl is used here because this edits an existing workbook (reading uses calamine). The file
goes through the same safety checks as for reading first. openpyxl keeps values, styles, merged
cells and validation; it drops charts and images, which scoresheets do not need.

openpyxl makes an object for every cell of every merged range as it loads (~140 µs each, so one
merge over a whole sheet never finishes), and for every cell it loads. So a workbook with more
cells than `Limits.max_annotate_cells` is refused, and the merged ranges are taken out of the
package before openpyxl reads it and put back afterwards as ranges only, clipped to the used range
(as the reader sees them): the cost is then one step per range, whatever its area.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from sheets import messages as msg
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.longfile import csv_rows
from sheets.model import CellError
from sheets.package import PackageRefused, Workbook, open_workbook, sniff_kind
from sheets.text import column_index, column_letter
from sheets.xmlscan import MergeScanner

REPORT_SHEET = "校验结果"
AUTHOR = "绩效考核系统"
_BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_BAD_ROW = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
# The <mergeCells> element of a worksheet (with any namespace prefix), written out or empty.
_MERGE_CELLS = re.compile(
    rb"<((?:[\w.-]+:)?)mergeCells(?:\s[^>]*)?/>|<((?:[\w.-]+:)?)mergeCells(?:\s[^>]*)?>.*?</\2mergeCells\s*>", re.S
)


def annotate_workbook(
    source: bytes | str | Path, errors: list[CellError], *, file_name: str, limits: Limits = DEFAULT_LIMITS
) -> bytes:
    """The user's workbook (or CSV, turned into a workbook) with its errors marked. Raises
    `sheets.package.PackageRefused` for a file that cannot be opened safely."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if sniff_kind(data) == "zip":
        book = open_workbook(data, file_name, limits)  # refuses bombs and broken files before openpyxl sees them
        _check_cells(sum(s.scan.cell_tags for s in book.sheets), limits)
        wb = _load(book)
    else:
        wb = _from_csv(data, file_name, limits)
        errors_at = {file_name: wb.active.title}  # CSV errors name the file as their sheet
        errors = [_rename(e, errors_at) for e in errors]
    by_cell: dict[tuple[str, int, int], list[CellError]] = defaultdict(list)
    for e in errors:
        if e.sheet in wb.sheetnames and e.row:
            col = column_index(e.column) + 1 if e.column else 1
            by_cell[(e.sheet, e.row, col)].append(e)
    merged: dict[str, np.ndarray] = {}
    for (sheet, row, col), found in by_cell.items():
        ws = wb[sheet]
        if sheet not in merged:
            merged[sheet] = np.array([(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges])
        cell = _anchor(ws, row, col, merged[sheet])
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


def _check_cells(cells: int, limits: Limits) -> None:
    if cells > limits.max_annotate_cells:
        raise PackageRefused(
            msg.ANNOTATE_TOO_MANY_CELLS.format(cells=f"{cells:,}", limit=f"{limits.max_annotate_cells:,}"),
            msg.ANNOTATE_TOO_MANY_CELLS_HINT,
        )


def _load(book: Workbook) -> openpyxl.Workbook:
    """The checked workbook in openpyxl, its merged ranges those of `book` (clipped), as ranges only."""
    merges = {s.name: s.merges for s in book.sheets}
    parts = {s.part for s in book.sheets}
    source = zipfile.ZipFile(io.BytesIO(book.data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in source.infolist():
            body = source.read(info)
            if info.filename in parts:
                body = _without_merges(body)
            z.writestr(info.filename, body)
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()), rich_text=False)
    for ws in wb.worksheets:
        ranges = [
            MergedCellRange(ws, f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}")
            for (r0, c0), (r1, c1) in merges.get(ws.title, [])
        ]
        if ranges:
            ws.merged_cells = MultiCellRange(ranges)
    return wb


def _without_merges(xml: bytes) -> bytes:
    """A worksheet part without its <mergeCells> element; PackageRefused if a merge is left."""
    at = xml.find(b"mergeCells")
    if at >= 0:
        at = max(0, at - 64)  # the pattern from just before the element, not over every cell
        xml = xml[:at] + _MERGE_CELLS.sub(b"", xml[at:])
    left = MergeScanner(0)
    left.feed(xml)
    if left.count:  # a form the pattern missed: openpyxl must not be the one to fill it
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=msg.MERGE_INVALID), msg.FILE_CORRUPT_HINT)
    return xml


def _anchor(ws: Worksheet, row: int, col: int, bounds: np.ndarray):
    """The cell to mark: the top-left cell of a merged range that holds (row, col).

    `bounds`: the sheet's merged ranges as rows of (min_row, min_col, max_row, max_col); up to
    `max_merges` of them for each of up to `max_errors` cells, so compared at C speed.
    """
    if len(bounds):
        hit = np.flatnonzero(
            (bounds[:, 0] <= row) & (row <= bounds[:, 2]) & (bounds[:, 1] <= col) & (col <= bounds[:, 3])
        )
        if len(hit):
            return ws.cell(row=int(bounds[hit[0], 0]), column=int(bounds[hit[0], 1]))
    return ws.cell(row=row, column=col)


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
    rows = csv_rows(data, limits)
    _check_cells(sum(map(len, rows)), limits)
    for row in rows:
        ws.append(row)
    return wb
