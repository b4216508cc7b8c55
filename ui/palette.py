"""One grade palette for every chart and table, readable on a projector."""

from __future__ import annotations

# Grade names are configurable per scheme; the usual four get fixed colours, others a fallback
# by position (best first), so a scheme with its own names still reads the same way.
_BY_NAME = {"优秀": "#1a7f37", "良好": "#2f6fde", "合格": "#d4a017", "基本合格": "#e07b00", "不合格": "#c62828"}
_BY_POSITION = ["#1a7f37", "#2f6fde", "#d4a017", "#e07b00", "#c62828"]

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
