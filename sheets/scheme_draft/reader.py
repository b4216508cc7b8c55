"""`read_draft`: a bureau's own 评分细则表 (Word or Excel) → a draft scheme with its report."""

from __future__ import annotations

from sheets.package import sniff_kind
from sheets.scheme_draft import messages as msg
from sheets.scheme_draft.assemble import assemble
from sheets.scheme_draft.columns import find_columns
from sheets.scheme_draft.docx_table import docx_grids
from sheets.scheme_draft.draft import Draft, DraftRefused
from sheets.scheme_draft.grid import Grid
from sheets.scheme_draft.tree import read_tree
from sheets.scheme_draft.xlsx_table import xlsx_grids

MAX_BYTES = 20 << 20
_TITLE_WORDS = ("方案", "细则", "考核")


def read_draft(data: bytes, filename: str) -> Draft:
    """The draft of the largest table with a 分值 column; DraftRefused (one Chinese message) when
    the file is empty, encrypted, corrupt, of another kind, or has no such table."""
    if not data:
        raise DraftRefused(msg.EMPTY)
    if len(data) > MAX_BYTES:
        raise DraftRefused(msg.TOO_BIG)
    kind = sniff_kind(data)
    if kind == "cfb":  # D0 CF 11 E0: an encrypted Office file, or an old .doc / .xls
        raise DraftRefused(msg.ENCRYPTED)
    lower = filename.lower()
    if not lower.endswith((".docx", ".xlsx")):
        raise DraftRefused(msg.WRONG_TYPE)
    if kind != "zip":
        raise DraftRefused(msg.CORRUPT)
    title = ""
    if lower.endswith(".docx"):
        grids, title = docx_grids(data)
    else:
        grids = xlsx_grids(data, filename)
    found = [(g, c) for g in grids if (c := find_columns(g)) is not None]
    if not found:
        raise DraftRefused(msg.NO_TABLE)
    grid, cols = max(found, key=lambda gc: len(gc[0].cells))
    table = read_tree(grid, cols)
    if not table.leaves:
        raise DraftRefused(msg.NO_LEAVES.format(where=grid.where))
    return assemble(grid, table, title or _title_above(grid, cols.header_rows[0]), filename)


def _title_above(grid: Grid, header: int) -> str:
    """A worksheet's title: the first cell above the header that names a 方案 or 细则."""
    for row in grid.cells[:header]:
        for text in row:
            if any(w in text for w in _TITLE_WORDS):
                return text
    return ""
