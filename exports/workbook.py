"""Shared xlsx plumbing: one workbook in memory, cached formats, tables written row by row.

Workbooks are written with xlsxwriter, cells kept in memory until the end: strings are shared, not
written inline, so a province bulletin (40,000 units × 40 leaves, 5.1M cells) takes 45 s instead of
the 76 s it took streamed. Only a larger one (more than `CONSTANT_MEMORY_CELLS` cells) is written in
`constant_memory` mode, each row going to disk as soon as the next one starts. Either way a sheet
is written top to bottom (in constant_memory mode a cell written above the current row would be
lost). Every string goes through `neutralise` and `write_string`; numbers are written as numbers
with a number format; nothing is ever written as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from exports.safe_text import neutralise

CONSTANT_MEMORY_CELLS = 8_000_000  # about 1 GB of cells held by xlsxwriter in its default mode
FONT_NAME = "Microsoft YaHei"  # 微软雅黑: on every Chinese Windows; other systems substitute a CJK font
FONT_SIZE = 10
A4 = 9
HEADER_FILL = "#DDEBF7"
BORDER_COLOR = "#BFBFBF"
LOST_FILL = "#FCE4D6"  # points lost in 明细
RED_FILL = "#F8CBAD"  # below the line
VETO_FILL = "#C00000"  # vetoed rows (white text)
GRADE_FILLS = ["#C6EFCE", "#DDEBF7", "#FFF2CC", "#F8CBAD", "#F4B084", "#E7E6E6"]  # best grade first
UP_COLOR, DOWN_COLOR = "#00833E", "#C00000"

Kind = Literal["text", "int", "number", "money", "delta", "percent", "datetime"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    width: float = 12
    decimals: int = 2
    wrap: bool = False


def number_format(kind: Kind, decimals: int = 2) -> str | None:
    places = "." + "0" * decimals if decimals > 0 else ""
    return {
        "text": "@",
        "int": "0",
        "number": f"0{places}",
        "money": "#,##0.00",
        "delta": f"+0{places};-0{places};0{places}",
        "percent": f"0{places}%",
        "datetime": "yyyy-mm-dd hh:mm",
    }[kind]


class Book:
    """A workbook being written to memory; `close()` returns the xlsx bytes. `cells`: about how
    many cells it will hold (decides the constant_memory mode)."""

    def __init__(self, cells: int = 0) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                "constant_memory": cells > CONSTANT_MEMORY_CELLS,
                "default_format_properties": {"font_name": FONT_NAME, "font_size": FONT_SIZE},
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self._formats: dict[tuple, Format] = {}

    def format(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    def cell(self, column: Column, **extra: Any) -> Format:
        """The format of a data cell of `column` (thin grey border, its number format)."""
        props: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOR, "valign": "top"}
        props["num_format"] = number_format(column.kind, column.decimals)
        if column.wrap:
            props["text_wrap"] = True
        return self.format(**props, **extra)

    @property
    def title_format(self) -> Format:
        return self.format(bold=True, font_size=14)

    @property
    def header_format(self) -> Format:
        return self.format(
            bold=True, bg_color=HEADER_FILL, border=1, border_color=BORDER_COLOR, text_wrap=True,
            align="center", valign="vcenter",
        )  # fmt: skip

    def sheet(self, name: str) -> Worksheet:
        return self.workbook.add_worksheet(name)

    def close(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()


def write_text(ws: Worksheet, row: int, col: int, value: Any, cell_format: Format | None = None) -> None:
    """User or program text, neutralised, as a string cell."""
    ws.write_string(row, col, neutralise(value), cell_format)


def write_title(book: Book, ws: Worksheet, title: str) -> None:
    ws.set_row(0, 24)
    write_text(ws, 0, 0, title, book.title_format)


def write_header(book: Book, ws: Worksheet, row: int, columns: Sequence[Column], height: float = 30) -> None:
    ws.set_row(row, height)
    for c, column in enumerate(columns):
        write_text(ws, row, c, column.header, book.header_format)
        ws.set_column(c, c, column.width)


def write_rows(
    book: Book, ws: Worksheet, first_row: int, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> int:
    """Write `rows` below the header; return the index of the last row written (first_row - 1 if none)."""
    formats = [book.cell(c) for c in columns]
    texts = [c.kind == "text" for c in columns]
    dates = [c.kind == "datetime" for c in columns]
    write_number, write_string, write_blank = ws.write_number, ws.write_string, ws.write_blank
    r = first_row - 1
    for r, values in enumerate(rows, start=first_row):
        for c, v in enumerate(values):
            if v is None or v != v:  # None or NaN
                write_blank(r, c, None, formats[c])
            elif texts[c]:
                write_string(r, c, neutralise(v), formats[c])
            elif dates[c]:
                ws.write_datetime(r, c, v, formats[c])
            else:
                write_number(r, c, v, formats[c])
    return r


def setup_page(
    ws: Worksheet, header_row: int, freeze_col: int = 0, last_row: int | None = None, last_col: int = 0
) -> None:
    """A4 landscape, fit to one page wide, rows 0..header_row repeated, header frozen and filtered."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.freeze_panes(header_row + 1, freeze_col)
    if last_row is not None:
        ws.autofilter(header_row, 0, max(last_row, header_row), last_col)


def local_naive(at: datetime) -> datetime:
    """Excel has no time zones: write the wall-clock time the caller gave (its zone dropped)."""
    return at.replace(tzinfo=None)
