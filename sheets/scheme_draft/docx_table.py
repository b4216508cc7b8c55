"""A Word table as a grid: python-docx gives the same cell for every position a merge covers
(horizontal gridSpan and vertical vMerge), so identical cell elements are one merged cell."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.table import Table

from sheets.scheme_draft import messages as msg
from sheets.scheme_draft.draft import DraftRefused
from sheets.scheme_draft.grid import Grid, build
from sheets.scheme_draft.text import clean

MAX_UNCOMPRESSED = 100 << 20  # a real 评分细则 document inflates to a few MB


def docx_grids(data: bytes) -> tuple[list[Grid], str]:
    """Every table of the document as a grid, and the document's title (its first paragraph that
    names a 方案 or 细则, '' if none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNCOMPRESSED:
                raise DraftRefused(msg.TOO_BIG)
            if "word/document.xml" not in zf.namelist():
                raise DraftRefused(msg.NOT_WORD)
        document = Document(io.BytesIO(data))
    except DraftRefused:
        raise
    except Exception:  # noqa: BLE001 - python-docx raises many kinds on a broken file; all mean 损坏
        raise DraftRefused(msg.CORRUPT) from None
    grids = [_grid(t, i) for i, t in enumerate(document.tables)]
    title = next((p.text.strip() for p in document.paragraphs if any(w in p.text for w in ("方案", "考核"))), "")
    return grids, clean(title)


def _grid(table: Table, index: int) -> Grid:
    rows: list[list[str]] = []
    origins: list[list[tuple[int, int]]] = []
    # Keyed by the cell element itself: holding it keeps lxml's proxy (and so its identity) alive.
    first: dict[object, tuple[int, int]] = {}  # cell element → where it was first seen
    texts: dict[object, str] = {}
    for r, row in enumerate(table.rows):
        line, where = [], []
        for c, cell in enumerate(row.cells):
            key = cell._tc
            if key not in first:
                first[key] = (r, c)
                texts[key] = clean(cell.text)
            line.append(texts[key])
            where.append(first[key])
        rows.append(line)
        origins.append(where)
    name = "表格" if index == 0 else f"第 {index + 1} 个表格"
    return build(rows, origins, list(range(1, len(rows) + 1)), name)
