"""Finding the header of a 评分细则表 and what each column holds, by the words tables use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sheets.scheme_draft.grid import Grid
from sheets.scheme_draft.text import squeezed

HEADER_ROWS = 15  # a header sits under the title, within the first rows

_POINTS = ("分值", "标准分", "分数", "满分", "权重分", "标准分值")
_METHOD = ("考核方法", "考核方式", "评价方法", "检查方法", "考核办法", "核查方法", "评价方式")
_RULE = ("评分标准", "评分细则", "考核标准", "评分办法", "评分方法", "扣分标准", "计分方法", "评分要求", "考核细则")
_NUMBER = ("序号", "编号", "编码")
_LEVEL_WORDS = ("指标", "考核内容", "考核项目", "项目", "内容", "考核要素")


@dataclass(frozen=True)
class Columns:
    header_rows: list[int]  # grid rows of the header (one, or two when it is split over two)
    levels: list[int]  # name columns, outermost (一级指标) first
    points: int
    rule: int | None
    method: int | None
    number: int | None


def kind_of(text: str) -> str:
    """'points', 'method', 'rule', 'number', 'level' or '' for a header cell's text."""
    word = re.split(r"[(（]", squeezed(text))[0]
    if not word:
        return ""
    if word in _POINTS or word.startswith("分值"):
        return "points"
    if any(w in word for w in _METHOD):
        return "method"
    if any(w in word for w in _RULE):
        return "rule"
    if word in _NUMBER:
        return "number"
    if any(w in word for w in _LEVEL_WORDS) and len(word) <= 8:
        return "level"
    return ""


def find_columns(grid: Grid) -> Columns | None:
    """The header with a 分值 column and at least one name column, or None."""
    for r in range(min(HEADER_ROWS, len(grid.cells))):
        kinds = [kind_of(t) for t in grid.cells[r]]
        if "points" not in kinds or "level" not in kinds:
            continue
        rows = [r]
        below = [kind_of(t) for t in grid.cells[r + 1]] if r + 1 < len(grid.cells) else []
        # 「考核指标」 merged over two columns, 「一级指标」「二级指标」 under it: the lower row names them.
        if (
            below
            and any(below)
            and all(k or grid.continues(r + 1, c) or not grid.cells[r + 1][c] for c, k in enumerate(below))
        ):
            kinds = [b or k for k, b in zip(kinds, below)]
            rows.append(r + 1)
        return Columns(
            header_rows=rows,
            levels=[c for c, k in enumerate(kinds) if k == "level"],
            points=kinds.index("points"),
            rule=kinds.index("rule") if "rule" in kinds else None,
            method=kinds.index("method") if "method" in kinds else None,
            number=kinds.index("number") if "number" in kinds else None,
        )
    return None
