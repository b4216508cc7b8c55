"""The used range of a worksheet as the reader holds it: only cells that hold something count.

The package scan (`sheets.xmlscan`) bounds a sheet by every `<row>` and `<c>` tag, which is
fast and safe. But some programs write tags for cells and rows that hold nothing: Gnumeric
writes a `<row>` for every formatted row down to row 1048576, other programs write styled empty
cells (`<c r="C1048576" s="1"/>`). The reader (calamine) keeps only cells with a value, so such
a sheet of 2 rows is no burden — yet the scan would count 1,048,576 rows and refuse it with a
message that is not true. `used_extent` measures what the reader will hold, so the limits are
applied to the real used range: it runs only for sheets the scan would refuse (a regex pass).

It errs on the side of counting: a cell counts when it has any `<v>`, `<is>` or `<f>` child,
even an empty one, so the reader never holds more than was measured.
"""

from __future__ import annotations

import re

_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c|v|is|f)(?=[\s>/])([^>]*?)(/?)>")
_ROW_REF = re.compile(rb"(?:^|\s)(?:[\w.-]+:)?r\s*=\s*[\"']\s*(\d+)")
_CELL_REF = re.compile(rb"(?:^|\s)(?:[\w.-]+:)?r\s*=\s*[\"']\s*([A-Za-z]*)(\d*)")


def used_extent(xml: bytes) -> tuple[int, int]:
    """(last row, last column), 1-based, of the cells holding a value, formula or text; (0, 0) if none."""
    max_row = max_col = 0
    row = col = 0
    cell: tuple[int, int] | None = None  # the open cell's place
    filled = False
    for m in _TAG.finditer(xml):
        closing, name, attrs, empty = m.group(1), m.group(2), m.group(3), m.group(4)
        if name == b"row":
            if closing:
                continue
            r = _ROW_REF.search(attrs)
            row = int(r.group(1)) if r else row + 1
            col = 0
        elif name == b"c":
            if closing:
                if cell is not None and filled:
                    max_row, max_col = max(max_row, cell[0]), max(max_col, cell[1])
                cell = None
                continue
            r = _CELL_REF.search(attrs)
            if r and r.group(1):
                col = 0
                for ch in r.group(1).upper():
                    col = col * 26 + ch - 64
                if r.group(2):
                    row = int(r.group(2))
            else:
                col += 1
            cell, filled = (None, False) if empty else ((max(row, 1), col), False)
        elif not closing and cell is not None:  # <v>, <is>, <f> inside a cell
            filled = True
    return max_row, max_col
