"""A table as a grid of cell texts, merged cells resolved: every position a merge covers holds the
merge's text and the same origin, so a merged 一级指标 reads the same on each row it spans."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    cells: list[list[str]]  # cleaned text, rows × columns (rows padded to the same width)
    origins: list[list[tuple[int, int]]]  # the (row, column) where the cell's merge starts
    row_numbers: list[int]  # the row as the user sees it: 表格第 N 行 (Word) or Excel row N
    where: str  # 「表格」 or 「工作表「细则」」, for located messages

    def own(self, r: int, c: int) -> str:
        """The cell's text only where its merge starts ('' on the rows a merge continues over)."""
        return self.cells[r][c] if self.origins[r][c] == (r, c) else ""

    def continues(self, r: int, c: int) -> bool:
        """Whether the cell is the same merged cell as the one above it."""
        return r > 0 and self.origins[r][c] == self.origins[r - 1][c]

    def spans_row(self, r: int) -> bool:
        """A row that is one cell across (a note or section title written over the whole width)."""
        return len({o for o in self.origins[r]}) == 1


def build(rows: list[list[str]], origins: list[list[tuple[int, int]]], numbers: list[int], where: str) -> Grid:
    width = max((len(r) for r in rows), default=0)
    cells = [r + [""] * (width - len(r)) for r in rows]
    ors = [o + [(i, j) for j in range(len(o), width)] for i, o in enumerate(origins)]
    return Grid(cells, ors, numbers, where)
