"""From a grid to the criteria tree: rows → (path of criteria, leaf), with subtotal rows, notes,
headings and rows merged under one 分值 handled as published tables use them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sheets.scheme_draft.columns import Columns
from sheets.scheme_draft.grid import Grid
from sheets.scheme_draft.text import parse_points, split_name_points, split_numbering, split_star, total_word

_NOTE = re.compile(r"^(注|备注|说明|附注)\s*[:：\d、.]")


@dataclass
class Node:
    """A criterion (一级 / 二级指标) as read: its name, own numbering and printed subtotals."""

    name: str
    number: str
    row: int  # grid row where it first appears
    starred: bool = False
    declared: list[tuple[int, str, float]] = field(default_factory=list)  # (grid row, word, points)
    children: list = field(default_factory=list)  # Node | LeafRow, in table order


@dataclass
class LeafRow:
    row: int  # grid row
    name: str
    number: str
    points: float | None
    points_text: str
    rule: str
    method_text: str
    starred: bool
    named_from_above: bool = False


@dataclass
class Table:
    roots: list[Node]
    leaves: list[LeafRow]
    skipped: list[tuple[int, str]]  # (grid row, why) rows that are not imported
    total: tuple[int, str, float] | None  # a 合计 row: (grid row, word, points)


def _label(text: str) -> tuple[str, str, bool, float | None]:
    """(number, name, starred, subtotal in the name) of a name cell."""
    starred, rest = split_star(text)
    number, rest = split_numbering(rest)
    name, declared = split_name_points(rest)
    return number, name, starred, declared


def read_tree(grid: Grid, cols: Columns) -> Table:
    """Walk the rows under the header. A 合计 row ends the table (notes follow it)."""
    crit_cols, leaf_col = cols.levels[:-1], cols.levels[-1]
    roots: list[Node] = []
    leaves: list[LeafRow] = []
    skipped: list[tuple[int, str]] = []
    path: list[tuple[str, Node]] = []  # (key, node) from the top
    heading: Node | None = None
    previous: list[str] = []  # criteria keys of the last leaf row
    start = max(cols.header_rows) + 1
    for r in range(start, len(grid.cells)):
        cells = grid.cells[r]
        texts = [t for t in cells if t]
        if not texts:
            continue
        first = grid.cells[r][min(cols.levels + [cols.points])]
        if _NOTE.match(first) or (grid.spans_row(r) and _NOTE.match(texts[0])):
            continue
        word = next((total_word(grid.own(r, c)) for c in _label_cols(cols) if total_word(grid.own(r, c))), "")
        if word:
            where = next(c for c in _label_cols(cols) if total_word(grid.own(r, c)))
            value = parse_points(cells[cols.points])
            if value is None:
                continue
            if word == "合计":
                return Table(roots, leaves, skipped, (r, grid.own(r, where), value))
            if path:
                path[_subtotal_depth(cols, where, heading is not None, len(path))][1].declared.append(
                    (r, grid.own(r, where), value)
                )
            continue
        points = parse_points(cells[cols.points])
        rule = cells[cols.rule] if cols.rule is not None else ""
        if grid.spans_row(r) or (points is None and not rule and _only_one_text(grid, r, cols)):
            number, name, starred, declared = _label(texts[0])
            heading = Node(name, number, r, starred)
            if declared is not None:
                heading.declared.append((r, "", declared))
            roots.append(heading)
            path, previous = [("#heading", heading)], []
            continue
        # Rows under one merged 分值 cell are one leaf: its rule text continues.
        if leaves and grid.continues(r, cols.points) and leaves[-1].row < r:
            last = leaves[-1]
            extra = rule if grid.own(r, leaf_col) == "" else f"{cells[leaf_col]}：{rule}"
            last.rule = "；".join(x.rstrip("，,；;") for x in (last.rule, extra) if x)
            continue
        keys = _criteria_keys(grid, r, crit_cols, previous)
        # A name merged over rows that each carry their own 分值 is a criterion; the leaves are the rows.
        leaf_text = cells[leaf_col]
        leaf_is_group = (grid.continues(r, leaf_col) or _merged_below(grid, r, leaf_col)) and not _merged_below(
            grid, r, cols.points
        )
        if leaf_is_group and leaf_text and rule:
            keys = keys + [leaf_text]
            leaf_text = ""
        previous = keys
        base = [("#heading", heading)] if heading else []
        path = _extend(path, base, keys, r, roots)
        number = grid.cells[r][cols.number] if cols.number is not None else ""
        own_number, name, starred, _ = _label(leaf_text) if leaf_text else ("", "", False, None)
        from_above = not name
        if from_above:
            name = _from_rule(rule) or (path[-1][1].name if path else "")
        leaf = LeafRow(
            row=r,
            name=name,
            number=number or own_number,
            points=points,
            points_text=cells[cols.points],
            rule=rule,
            method_text=cells[cols.method] if cols.method is not None else "",
            starred=starred or any(n.starred for _, n in path),
            named_from_above=from_above,
        )
        if not path:  # a table with one name column and no headings: one criterion holds all
            top = Node("考核指标", "", r)
            roots.append(top)
            path = [("#all", top)]
        path[-1][1].children.append(leaf)
        leaves.append(leaf)
    return Table(roots, leaves, skipped, None)


def _subtotal_depth(cols: Columns, where: int, heading: bool, depth: int) -> int:
    """Which open criterion a 小计 row totals: 「小计」 in the 二级指标 column (the 一级 cell merged
    beside it) totals the 一级指标; in the first column, the section it closes."""
    idx = cols.levels.index(where) if where in cols.levels else 0
    level = 0 if idx == 0 else idx - 1 + (1 if heading else 0)
    return min(level, depth - 1)


def _label_cols(cols: Columns) -> list[int]:
    return ([cols.number] if cols.number is not None else []) + cols.levels


def _only_one_text(grid: Grid, r: int, cols: Columns) -> bool:
    own = [grid.own(r, c) for c in range(len(grid.cells[r])) if grid.own(r, c)]
    return len(own) == 1 and grid.own(r, cols.levels[0]) == own[0]


def _merged_below(grid: Grid, r: int, c: int) -> bool:
    return r + 1 < len(grid.cells) and grid.origins[r + 1][c] == grid.origins[r][c]


def _from_rule(rule: str) -> str:
    """A short name from a rule's first clause, for rows that have no name of their own."""
    first = re.split(r"[,;。，；]", rule)[0].strip()
    return first[:24]


def _criteria_keys(grid: Grid, r: int, crit_cols: list[int], previous: list[str]) -> list[str]:
    """The criteria names of row r: a blank cell repeats the one above while its parent does."""
    keys: list[str] = []
    for i, c in enumerate(crit_cols):
        text = grid.cells[r][c]
        same_parent = previous[:i] == keys[:i] and len(previous) > i
        if not text and same_parent:
            text = previous[i]
        if not text:
            break
        keys.append(text)
    return keys


def _extend(path: list[tuple[str, Node]], base: list, keys: list[str], r: int, roots: list[Node]) -> list:
    """The node path for `keys`, reusing the nodes the previous row opened where keys agree."""
    wanted = base + [(k, None) for k in keys]
    out: list[tuple[str, Node]] = []
    for i, (key, node) in enumerate(wanted):
        if node is None:
            if i < len(path) and path[i][0] == key and [k for k, _ in path[:i]] == [k for k, _ in out]:
                node = path[i][1]
            else:
                number, name, starred, declared = _label(key)
                node = Node(name, number, r, starred)
                if declared is not None:
                    node.declared.append((r, "", declared))
                (out[-1][1].children if out else roots).append(node)
        out.append((key, node))
    return out
