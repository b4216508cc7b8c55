"""`write_scheme_book(scheme)`: the 评分细则 workbook, print-ready, with editable parameter sheets.

The first sheet is the table as bureaus publish it (not read back); the others hold every field
of the scheme in the columns of `layout`, which `reader.read_scheme_book` reads again. A field at
its default is left blank, so a person sees what the scheme actually says.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from exports.glossary_xlsx import write_glossary_sheet
from scoring import names
from scoring.explain import fmt, rule_text
from scoring.scheme import Criterion, Leaf, Scheme
from sheets.scheme_book import layout as L
from sheets.scheme_book.cells import number_text, to_cell

_EDIT_ROWS = 300  # rows below the data that keep their dropdowns, for rows a person adds


def write_scheme_book(scheme: Scheme) -> bytes:
    """The workbook of `scheme` as .xlsx bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    st = _styles(book)
    _print_sheet(book, st, scheme)
    write_glossary_sheet(book, scheme)  # what assessment teams print and carry; not read back
    _info_sheet(book, st, scheme)
    _table(book, st, L.CRITERIA_SHEET, L.CRITERIA_COLUMNS, criteria_rows(scheme))
    _table(book, st, L.PARAMS_SHEET, L.LEAF_COLUMNS, leaf_rows(scheme))
    for sheet in L.CHILD_SHEETS:
        _table(book, st, sheet.name, sheet.columns, child_rows(scheme, sheet))
    _table(book, st, L.VARIANTS_SHEET, L.VARIANT_COLUMNS, variant_rows(scheme))
    _table(book, st, L.GRADES_SHEET, L.GRADE_COLUMNS, [g.model_dump() for g in scheme.grades])
    _table(book, st, L.TAGS_SHEET, L.TAG_COLUMNS, [t.model_dump() for t in scheme.tags])
    _table(book, st, L.TAG_RULES_SHEET, L.TAG_RULE_COLUMNS, [r.model_dump() for r in scheme.tag_rules])
    book.close()
    return out.getvalue()


# -- the rows of each parameter sheet ------------------------------------------------------------
def _get(data: dict, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def info_values(scheme: Scheme) -> dict[str, Any]:
    """方案信息 values by key; a field at its default is absent (blank), 「无」 for an unset line."""
    written = scheme.model_dump(by_alias=True, exclude_defaults=True)
    written.update({k: getattr(scheme, k) for k in ("id", "name", "version", "period_type", "total")})
    # The line's default follows the total (80 % of it), not the field's literal 80: always say it.
    written["bottom"] = {**written.get("bottom", {}), "threshold": scheme.bottom.threshold}
    return {c.key: _get(written, c.key) for c in L.INFO_ROWS if _has(written, c.key)}


def _has(data: dict, key: str) -> bool:
    *head, last = key.split(".")
    for part in head:
        data = data.get(part) if isinstance(data, dict) else None
    return isinstance(data, dict) and last in data


def criteria_rows(scheme: Scheme) -> list[dict]:
    rows: list[dict] = []

    def visit(c: Criterion, parent: str | None) -> None:
        row = {"code": c.code, "name": c.name, L.PARENT: parent, "points": c.points, "bonus_points": c.bonus_points}
        rows.append({k: v for k, v in row.items() if v is not None})  # an unwritten subtotal stays blank
        for child in c.children:
            visit(child, c.code)

    for c in scheme.criteria:
        visit(c, None)
    return rows


def leaf_rows(scheme: Scheme) -> list[dict]:
    rows = []
    paths = scheme.leaf_paths()
    for leaf in scheme.leaves:
        written = leaf.model_dump(by_alias=True, exclude_defaults=True)
        row = {c.key: _get(written, c.key) for c in L.LEAF_COLUMNS if _has(written, c.key)}
        row[L.PARENT] = paths[leaf.code][-1].code
        rows.append(row)
    return rows


def child_rows(scheme: Scheme, sheet: L.ChildSheet) -> list[dict]:
    return [
        {L.LEAF: leaf.code, **item.model_dump(exclude_defaults=True)}
        for leaf in scheme.leaves
        if leaf.method in sheet.methods
        for item in getattr(leaf, sheet.key, [])
    ]


def variant_text(param: str, value: Any) -> Any:
    """A variant's value as its cell: 是/否, 「60:10；50:6」, 「110:2」 or the number."""
    if param == "applicable":
        return names.YES_NO_NAMES[bool(value)]
    if param == "bands":
        return L.PAIR_SEP.join(f"{number_text(b['threshold'])}:{number_text(b['points'])}" for b in value)
    if param == "stretch":
        return f"{number_text(value['target'])}:{number_text(value['points'])}"
    return float(value)


def variant_rows(scheme: Scheme) -> list[dict]:
    return [
        {L.LEAF: leaf.code, "category": category, "param": param, "value": variant_text(param, value)}
        for leaf in scheme.leaves
        for category, override in leaf.variants.items()
        for param, value in override.items()
    ]


# -- sheets --------------------------------------------------------------------------------------
def _styles(book: Any) -> dict[str, Any]:
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1}
    return {
        "title": book.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"}),
        "sub": book.add_format({"font_name": "宋体", "font_size": 10, "align": "center"}),
        "head": book.add_format({**base, "bold": True, "bg_color": "#D9D9D9", "align": "center", "text_wrap": True}),
        "cell": book.add_format({**base, "text_wrap": True}),
        "center": book.add_format({**base, "align": "center", "text_wrap": True}),
        "total": book.add_format({**base, "bold": True, "align": "center"}),
        "plain": book.add_format({"font_name": "宋体", "font_size": 10}),
        "label": book.add_format({"font_name": "宋体", "font_size": 10, "bold": True, "bg_color": "#F2F2F2"}),
    }


def _write(ws: Any, r: int, c: int, value: Any, fmt_: Any = None) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt_)
    elif isinstance(value, float):
        ws.write_number(r, c, value, fmt_)
    else:
        ws.write_string(r, c, str(value), fmt_)


def _validation(ws: Any, r0: int, r1: int, c: int, col: L.Col) -> None:
    if col.kind == "bool":
        source = list(names.YES_NO_NAMES.values())
    elif col.kind == "choice":
        source = list(col.names.values())
    else:
        return
    ws.data_validation(
        r0,
        c,
        r1,
        c,
        {"validate": "list", "source": source, "error_title": col.header, "error_message": "请从下拉列表中选择"},
    )


def _table(book: Any, st: dict, name: str, columns: list[L.Col], rows: list[dict]) -> None:
    ws = book.add_worksheet(name)
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.header, st["head"])
        ws.set_column(c, c, max(col.width, 2 * len(col.header) + 2))
        if col.note:
            ws.write_comment(0, c, col.note, {"x_scale": 2})
        _validation(ws, 1, len(rows) + _EDIT_ROWS, c, col)
    for r, row in enumerate(rows, start=1):
        for c, col in enumerate(columns):
            if col.key in row:
                value = row[col.key] if name == L.VARIANTS_SHEET and col.key == "value" else to_cell(col, row[col.key])
                _write(ws, r, c, value, st["plain"])
    ws.freeze_panes(1, 1)


def _info_sheet(book: Any, st: dict, scheme: Scheme) -> None:
    ws = book.add_worksheet(L.INFO_SHEET)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 2, 40)
    ws.write_string(0, 0, "项目", st["head"])
    ws.write_string(0, 1, "内容", st["head"])
    ws.write_string(0, 2, "说明", st["head"])
    values = info_values(scheme)
    for r, col in enumerate(L.INFO_ROWS, start=1):
        ws.write_string(r, 0, col.header, st["label"])
        if col.key in values:
            _write(ws, r, 1, to_cell(col, values[col.key]), st["plain"])
        if col.note:
            ws.write_string(r, 2, col.note, st["plain"])
        _validation(ws, r, r, 1, col)


def _standard(leaf: Leaf) -> str:
    """评分标准: the rule in words and the leaf's description, as the template's 说明 sheet has it."""
    return rule_text(leaf) + ("\n" + leaf.description if leaf.description else "")


def _points_text(leaf: Leaf) -> Any:
    if leaf.method == "bonus":
        return f"加分，最多 {fmt(leaf.cap)}"
    return float(leaf.points) if leaf.points else "—"


def _print_sheet(book: Any, st: dict, scheme: Scheme) -> None:
    ws = book.add_worksheet(L.PRINT_SHEET)
    paths = scheme.leaf_paths()
    depth = 3 if any(len(p) > 2 for p in paths.values()) else 2
    heads = ["一级指标", "二级指标", "三级指标"][:depth] + ["编码", "评分细则", "分值", "评分标准", "考核方法"]
    widths = [14, 16, 16][:depth] + [8, 24, 8, 56, 10]
    last = len(heads) - 1
    ws.merge_range(0, 0, 0, last, f"{scheme.name}评分细则", st["title"])
    period = names.PERIOD_TYPE_NAMES[scheme.period_type]
    ws.merge_range(1, 0, 1, last, f"版本 {scheme.version}　{period}考核　总分 {fmt(scheme.total)} 分", st["sub"])
    for c, (h, w) in enumerate(zip(heads, widths)):
        ws.write_string(2, c, h, st["head"])
        ws.set_column(c, c, w)
    r = 3
    for top in scheme.criteria:
        leaves = [leaf for leaf in scheme.leaves if paths[leaf.code][0] is top]
        start = r
        for leaf in leaves:
            ws.write_string(r, depth, leaf.code, st["center"])
            ws.write_string(r, depth + 1, scheme.tagged_label(leaf), st["cell"])
            _write(ws, r, depth + 2, _points_text(leaf), st["center"])
            ws.write_string(r, depth + 3, _standard(leaf), st["cell"])
            ws.write_string(r, depth + 4, names.METHOD_NAMES[leaf.method], st["center"])
            r += 1
        if leaves and all(len(paths[x.code]) == 1 for x in leaves):  # no 二级指标: the 一级 cell spans both
            ws.merge_range(start, 0, r - 1, depth - 1, _level_name((top,), 0, depth)[1], st["cell"])
        else:
            for level in range(depth):
                _merge_level(ws, st, [_level_name(paths[x.code], level, depth) for x in leaves], start, level)
        ws.merge_range(r, 0, r, depth + 1, f"{top.name} 小计", st["total"])
        ws.write_number(r, depth + 2, float(sum(leaf.points for leaf in leaves)), st["total"])
        ws.merge_range(r, depth + 3, r, last, "", st["total"])
        r += 1
    ws.merge_range(r, 0, r, depth + 1, "合计", st["total"])
    ws.write_number(r, depth + 2, float(scheme.total), st["total"])
    ws.merge_range(r, depth + 3, r, last, "", st["total"])
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(2)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _level_name(path: tuple[Criterion, ...], level: int, depth: int) -> tuple[int, str]:
    """(identity, text) of a leaf's criterion at a print level; the last level takes the rest."""
    if level >= len(path):
        return (-1, "")
    chain = path[level:] if level == depth - 1 else path[level : level + 1]
    c = chain[-1]
    return (id(c), " / ".join(x.name for x in chain) + _subtotal(c))


def _subtotal(c: Criterion) -> str:
    points = c.points if c.points is not None else _sum(c)
    return f"（{fmt(points)}分）"


def _sum(c: Criterion) -> float:
    return sum(leaf.points for leaf in c.items) + sum(_sum(x) for x in c.children)


def _merge_level(ws: Any, st: dict, keys: list[tuple[int, str]], start: int, col: int) -> None:
    i = 0
    while i < len(keys):
        j = i
        while j + 1 < len(keys) and keys[j + 1] == keys[i]:
            j += 1
        if j > i:
            ws.merge_range(start + i, col, start + j, col, keys[i][1], st["cell"])
        else:
            ws.write_string(start + i, col, keys[i][1], st["cell"])
        i = j + 1
