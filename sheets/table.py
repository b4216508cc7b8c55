"""Any file a page or command accepts, read as a plain table through the scoresheet upload guards.

Scoresheets have their own reader (`sheets.reader`); other files — the unit register imported on
单位管理 or named on the command line — come here, so that no file reaches a parser unchecked:
an .xlsx goes through `sheets.package.open_workbook` (size, zip structure and inflated size,
entity declarations, used range, merged ranges) and a CSV through `sheets.longfile.csv_rows`
(size, line count, UTF-8 or GBK). A refused file raises `PackageRefused`, whose text is Chinese.

`read_file` reads a file named on the command line, refusing one larger than an upload may be
before reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sheets import messages as msg
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.longfile import csv_rows
from sheets.package import PackageRefused, open_workbook, sniff_kind
from sheets.text import as_text


@dataclass
class Table:
    sheet: str  # the sheet read; '' for a CSV file
    rows: list[list[str]]  # row i is row i+1 of the file; cells as the user reads them, '' when empty


def read_table(data: bytes, file_name: str, limits: Limits = DEFAULT_LIMITS) -> Table:
    """The first visible sheet of a workbook, or a CSV file, as rows of text. Raises PackageRefused."""
    if sniff_kind(data) != "zip" and not file_name.lower().endswith((".xlsx", ".xlsm")):
        return Table("", csv_rows(data, limits))
    book = open_workbook(data, file_name, limits)
    sheets = [s for s in book.sheets if s.visible] or book.sheets
    if not sheets:
        raise PackageRefused(msg.FILE_NO_SHEET, msg.FILE_CORRUPT_HINT)
    name = sheets[0].name
    # A number typed as 1200 is read as 1200.0: shown as the user typed it (as_text).
    return Table(name, [[v if type(v) is str else as_text(v) for v in row] for row in book.sheet_rows(name)])


def read_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a file named on the command line; PackageRefused when it is larger than an
    upload may be (never read whole first). OSError when it cannot be read."""
    with Path(path).open("rb") as f:
        data = f.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        size = Path(path).stat().st_size if Path(path).is_file() else len(data)
        limit = msg.size_text(limits.max_bytes)
        raise PackageRefused(msg.FILE_TOO_BIG.format(size=msg.size_text(max(size, len(data))), limit=limit))
    return data
