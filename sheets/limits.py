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


DEFAULT_LIMITS = Limits()
