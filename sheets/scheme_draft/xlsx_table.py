"""A worksheet as a grid, through the product's guarded workbook reader (sheets.package: size,
zip-bomb and merge limits, encrypted and corrupt files refused), merged ranges filled."""

from __future__ import annotations

from sheets.package import PackageRefused, open_workbook
from sheets.scheme_draft.draft import DraftRefused
from sheets.scheme_draft.grid import Grid, build
from sheets.scheme_draft.text import clean


def xlsx_grids(data: bytes, filename: str) -> list[Grid]:
    """Every visible worksheet as a grid."""
    try:
        book = open_workbook(data, filename)
        return [_grid(book, s.name) for s in book.sheets if s.visible]
    except PackageRefused as exc:
        hint = f"（{exc.suggestion}）" if exc.suggestion else ""
        raise DraftRefused(f"{exc.problem}{hint}") from None


def _grid(book, name: str) -> Grid:  # noqa: ANN001 - sheets.package.Workbook
    raw = book.sheet_rows(name)
    rows = [[clean(v) for v in row] for row in raw]
    origins = [[(r, c) for c in range(len(row))] for r, row in enumerate(rows)]
    width = max((len(r) for r in rows), default=0)
    for (r0, c0), (r1, c1) in book.merged(name):
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            rows[r] += [""] * (width - len(rows[r]))
            origins[r] += [(r, c) for c in range(len(origins[r]), width)]
            for c in range(c0, min(c1, width - 1) + 1):
                rows[r][c] = rows[r0][c0] if c0 < len(rows[r0]) else ""
                origins[r][c] = (r0, c0)
    return build(rows, origins, list(range(1, len(rows) + 1)), f"工作表「{name}」")
