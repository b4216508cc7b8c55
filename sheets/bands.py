"""Reading one large worksheet on several cores.

python-calamine parses a sheet on one core, and releases the GIL while it does. A large sheet
(a province's wide scoresheet is ~150 MB of XML) is therefore cut between two `<row>` elements
into bands; each band becomes a small stored (uncompressed) package with the workbook's other
parts, is read by calamine in its own thread, and the rows are put back together.

Only sheets whose every row and cell states its reference in the usual form are cut (the package
scan knows), since calamine numbers rows without a reference by counting them. The bands must
come out in order, without sharing a row; anything unexpected returns None and the caller reads
the sheet whole, which gives the same rows.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import python_calamine

MIN_BYTES = 16 << 20  # below this a sheet is read whole: cutting it would save little
_OPEN = b"<sheetData>"
_CLOSE = b"</sheetData>"
_ROW = b'<row r="'
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cut(xml: bytes, bands: int) -> list[list[bytes | memoryview]] | None:
    """The sheet as `bands` sheets, each with the rows of one stretch of `<sheetData>` and every
    other element of the original; None when it cannot be cut cleanly.

    `xml` must hold one `<sheetData>` and no comment, CDATA or processing instruction (where a
    "<row" might not be a row); the package scan tells, at no cost here (a search for '<!' in
    150 MB of XML stops at each of its 15 million '<').
    """
    start = xml.find(_OPEN)
    end = xml.rfind(_CLOSE)
    if bands < 2 or start < 0 or end < start:
        return None
    start += len(_OPEN)
    bounds = [start]
    for k in range(1, bands):
        at = xml.find(_ROW, start + (end - start) * k // bands, end)
        if at > bounds[-1]:
            bounds.append(at)
    bounds.append(end)
    if len(bounds) < 3:
        return None
    head, tail, view = xml[:start], xml[end:], memoryview(xml)
    # Pieces, not joined: each band's package is written in its own thread, without a copy here.
    return [[head, view[a:b], tail] for a, b in zip(bounds, bounds[1:], strict=False)]


@dataclass
class Band:
    start: tuple[int, int] | None  # first (row, column) holding a cell, 0-based; None when none does
    end: tuple[int, int] | None
    rows: list[list]  # from `start`, as calamine gives them
    merged: list


def read(parts: dict[str, bytes], sheet_part: str, sheet_name: str, band_xmls: list[list[bytes | memoryview]]
         ) -> tuple[list[list], list] | None:  # fmt: skip
    """Rows (from A1, as `to_python(skip_empty_area=False)` gives them) and merged ranges of the
    sheet, its bands read in parallel; None if calamine refuses a band or the bands overlap.

    `parts`: the package's other parts (the sheet's own part is replaced by each band).
    """

    def one(k: int) -> Band:
        # A file, not bytes: calamine reads a file itself, while from bytes it pulls them through
        # Python (0.2 s per band of 75 MB, holding the GIL).
        path = Path(folder) / f"band{k}.xlsx"
        with path.open("wb") as out:
            _package(out, parts, sheet_part, band_xmls[k])
        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet_name)
        if sheet.start is None:
            return Band(None, None, [], list(sheet.merged_cell_ranges or []))
        return Band(sheet.start, sheet.end, sheet.to_python(skip_empty_area=True),
                    list(sheet.merged_cell_ranges or []))  # fmt: skip

    try:
        with tempfile.TemporaryDirectory(prefix="assess-bands-") as folder, ThreadPoolExecutor(len(band_xmls)) as pool:
            bands = list(pool.map(one, range(len(band_xmls))))
    except (python_calamine.CalamineError, ValueError, OSError):
        return None  # read whole, so the error is reported as for any file
    rows = assemble(bands)
    return None if rows is None else (rows, bands[0].merged)


def assemble(bands: list[Band]) -> list[list] | None:
    """The bands' rows as one grid from A1, '' in empty cells; None if two bands share a row."""
    filled = [b for b in bands if b.start is not None]
    if not filled:
        return []
    for before, after in zip(filled, filled[1:], strict=False):
        if before.end[0] >= after.start[0]:
            return None
    width = max(b.end[1] for b in filled) + 1
    out: list[list] = []
    for band in filled:
        row0, col0 = band.start
        out.extend([""] * width for _ in range(row0 - len(out)))
        right = width - band.end[1] - 1
        if col0 == 0 and right == 0:
            out.extend(band.rows)
        else:
            left, pad = [""] * col0, [""] * right
            out.extend(left + r + pad for r in band.rows)
    return out


def _package(out: BinaryIO, parts: dict[str, bytes], sheet_part: str, pieces: list[bytes | memoryview]) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts.items():
            if name != sheet_part:
                z.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.file_size = sum(len(p) for p in pieces)
            with z.open(info, "w") as stream:
                for piece in pieces:
                    stream.write(piece)


def other_parts(zf: zipfile.ZipFile, sheet_parts: list[str]) -> dict[str, bytes]:
    """The package's XML parts calamine may look at, other worksheets replaced by empty ones
    (they are not read, and copying them into every band would cost time)."""
    out = {}
    for info in zf.infolist():
        name = info.filename
        if name in sheet_parts:
            out[name] = _EMPTY_SHEET
        elif name.endswith((".xml", ".rels")):
            out[name] = zf.read(name)
    return out
