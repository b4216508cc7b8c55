"""One grade palette for every chart and table, readable on a projector."""

from __future__ import annotations

# Grade names are configurable per scheme; the usual four get fixed colours, others a fallback
# by position (best first), so a scheme with its own names still reads the same way.
_BY_NAME = {"优秀": "#1a7f37", "良好": "#2f6fde", "合格": "#d4a017", "基本合格": "#e07b00", "不合格": "#c62828"}
_BY_POSITION = ["#1a7f37", "#2f6fde", "#d4a017", "#e07b00", "#c62828"]

# Units on one chart (trend lines; at most services.time_views.MAX_TRACES = 10 of them): colours
# far apart in hue and lightness, none the red of the bottom line or the purple of a veto, so a
# line is never read as either; beyond 12 they repeat, told apart by marker shape (ui.charts).
UNIT_COLORS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#393b79", "#f2c14e", "#637939", "#9edae5",
]  # fmt: skip
UNIT_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "star", "hexagon", "cross", "triangle-down"]

BOTTOM_LINE = "#c62828"
VETO = "#6a1b9a"
NEUTRAL = "#8a8f98"


def grade_colors(grade_names: list[str]) -> dict[str, str]:
    """Colour per grade name, best grade first in `grade_names`."""
    out = {}
    for i, name in enumerate(grade_names):
        fallback = _BY_POSITION[min(i, len(_BY_POSITION) - 1)] if i < len(grade_names) - 1 else _BY_POSITION[-1]
        out[name] = _BY_NAME.get(name, fallback)
    return out
