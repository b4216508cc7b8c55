"""One text per quantity, for every page, sentence and export (issue 21 part 5, 「数字一致」).

Leaders read a summary sentence beside a metric card and a table beside a workbook: 92.9 in one
place and 92.94 in the other reads as two different results. So scores and changes of score are
always written to the scheme's `decimals`, rounded half up as the engine rounds totals (Python's
own `:.2f` rounds 89.175 to 89.17 on some values and 89.18 on others); score rates as percentages;
counts and money with thousands separators.
"""

from __future__ import annotations

import math

import numpy as np

from scoring.methods import round_half_up

NONE = "—"  # no value (no period before, no result): never 0, never blank


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def points(x: float | None, decimals: int) -> str:
    """A score in the scheme's decimals, with thousands separators: 92.94, 1,234.50, '—'."""
    if _missing(x):
        return NONE
    return f"{round_half_up(float(x), decimals):,.{decimals}f}"  # type: ignore[arg-type]


def points_many(x: np.ndarray, decimals: int) -> list[str]:
    """`points` of each number, rounded in one pass (a province's hundreds of thousands)."""
    return [
        NONE if v != v else f"{v:,.{decimals}f}" for v in round_half_up(np.asarray(x, dtype=float), decimals).tolist()
    ]


def change(x: float | None, decimals: int) -> str:
    """A change of score, signed, in the scheme's decimals: +0.55, -1.20, 0.00 (no sign for no
    change: 「+0.00」 would claim a rise the rounding hid)."""
    if _missing(x):
        return NONE
    r = round_half_up(float(x), decimals)  # type: ignore[arg-type]
    if r == 0:
        return f"{0:.{decimals}f}"
    return f"{r:+,.{decimals}f}"


def rate(x: float | None, decimals: int = 1) -> str:
    """A share (0.9294) as a percentage: 92.9%."""
    if _missing(x):
        return NONE
    return f"{round_half_up(float(x) * 100, decimals):.{decimals}f}%"  # type: ignore[arg-type]


def count(n: int | float | None) -> str:
    """A count with thousands separators: 1,234."""
    if _missing(n):
        return NONE
    return f"{int(n):,}"  # type: ignore[arg-type]


def money(x: float | None) -> str:
    """Yuan to the fen, with thousands separators: 12,345.60."""
    if _missing(x):
        return NONE
    return f"{round_half_up(float(x), 2):,.2f}"  # type: ignore[arg-type]
