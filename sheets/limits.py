"""Upload limits: what the readers refuse before they read anything."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 << 20  # the file as uploaded
    max_rows: int = 200_000  # rows of one sheet (or lines of a CSV)
    # Cells in a sheet's used range (rows × columns). The reader holds the range densely, so a
    # workbook with one cell in A1 and one in XFD1048576 would need ~17 billion: refused first.
    max_cells: int = 12_000_000
    max_uncompressed: int = 400 << 20  # all parts of the zip, inflated
    max_ratio: float = 100.0  # inflated / compressed, for parts above `ratio_floor`
    ratio_floor: int = 1 << 20
    max_entries: int = 10_000
    max_errors: int = 2_000  # errors listed; the rest are counted in one last message
    # Merged ranges of one sheet. A real scoresheet has tens to hundreds, over a few cells each;
    # a hostile one repeats a huge merge thousands of times, and every reader that fills merged
    # ranges (the header search, openpyxl for the annotated copy) pays for each cell of each.
    max_merges: int = 10_000
    # Cells covered by the merged ranges of one sheet, summed, each range first clipped to the
    # used range (cells outside it are empty: a merge over a whole row or column costs only the
    # used part). Ranges cannot overlap in a real file, so there the sum is at most the used range.
    max_merged_cells: int = 2_000_000
    # Cells the annotated copy (openpyxl, ~1 KB and ~10 µs per cell) may load, all sheets together.
    max_annotate_cells: int = 1_000_000


DEFAULT_LIMITS = Limits()
