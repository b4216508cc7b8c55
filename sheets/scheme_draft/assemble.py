"""From the read tree to a draft scheme: codes, methods from the rule phrasings, subtotals that
agree, and the row-by-row report with its warnings."""

from __future__ import annotations

import math
import re
import string

from scoring.errors import SchemeError
from scoring.lint import lint
from scoring.loader import scheme_from_dict
from scoring.names import label_for
from sheets.scheme_draft import messages as msg
from sheets.scheme_draft.draft import Draft, DraftRow
from sheets.scheme_draft.grid import Grid
from sheets.scheme_draft.phrases import recognise, rule_maximum
from sheets.scheme_draft.text import num
from sheets.scheme_draft.tree import LeafRow, Node, Table

CORE_TAG = {"name": "核心指标", "mark": "★", "description": "评分细则表中标 ★ 的指标"}
_LEVELS = ("一级指标", "二级指标", "三级指标")
_BASE = ("direct", "target", "checklist", "deduction")
_FULL_CODE = re.compile(r"^([A-Z]+\d*|\d+)(\.\d+)+$|^[A-Z]+\d+$")


def assemble(grid: Grid, table: Table, title: str, filename: str) -> Draft:
    codes = _codes(table.roots)
    rows: list[DraftRow] = []
    warnings: list[str] = []
    leaf_dicts: dict[int, dict] = {}
    for leaf in table.leaves:
        built, row = _leaf(grid, leaf, codes[id(leaf)])
        rows.append(row)
        if built is not None:
            leaf_dicts[id(leaf)] = built
        most = rule_maximum(leaf.rule, leaf.points)
        if built and built["method"] in _BASE and most is not None and not math.isclose(most, leaf.points or 0):
            warnings.append(
                msg.RULE_MAX.format(
                    where=grid.where,
                    row=grid.row_numbers[leaf.row],
                    name=leaf.name,
                    most=num(most),
                    points=num(leaf.points or 0),
                )
            )
    criteria = [c for c in (_criterion(grid, n, codes, leaf_dicts, warnings, 0) for n in table.roots) if c]
    leaves = [d for d in leaf_dicts.values()]
    base = sum(d["points"] for d in leaves if d["method"] in _BASE)
    if table.total is not None:
        r, word, declared = table.total
        if not math.isclose(base, declared, abs_tol=1e-6):
            warnings.append(
                msg.TOTAL_DIFFERS.format(
                    where=grid.where, row=grid.row_numbers[r], word=word, leaves=num(base), declared=num(declared)
                )
            )
    scheme: dict = {
        "id": _scheme_id(filename),
        "name": title or _stem(filename),
        "version": "草稿",
        "categories": [],
        "period_type": _period(title or filename),
        "total": _number(base),
    }
    caps = sum(d["cap"] for d in leaves if d["method"] == "bonus")
    if caps:
        scheme["bonus_cap"] = _number(caps)
    if any("核心指标" in d.get("tags", []) for d in leaves):
        scheme["tags"] = [CORE_TAG]
    scheme["criteria"] = criteria
    problems: list[str] = []
    try:
        warnings += lint(scheme_from_dict(scheme))
    except SchemeError as exc:
        problems = list(exc.messages)
    skipped = [DraftRow(grid.row_numbers[r], "", "", None, "", "", why) for r, why in table.skipped]
    rows = sorted(rows + skipped, key=lambda x: x.row)
    return Draft(scheme, rows, warnings, problems, [msg.CHECK_HEAD])


def _leaf(grid: Grid, leaf: LeafRow, code: str) -> tuple[dict | None, DraftRow]:
    row = grid.row_numbers[leaf.row]
    found = recognise(leaf.rule, leaf.points)
    notes = [msg.NAME_FROM_ABOVE] if leaf.named_from_above else []
    if found is None and leaf.points is None:
        return None, DraftRow(row, code, leaf.name, None, "", "", msg.NO_POINTS.format(text=leaf.points_text or "空"))
    if found is None and "一票否决" in leaf.rule:
        notes.insert(0, msg.VETO_WITH_POINTS.format(points=num(leaf.points or 0)))
    elif found is None:
        notes.insert(0, msg.DIRECT)
    fields = dict(found.fields) if found else {"method": "direct"}
    out: dict = {"code": code, "name": leaf.name, "method": fields.pop("method")}
    out["points"] = _number(fields.pop("points", leaf.points or 0))
    if out["method"] == "checklist":
        fields["tasks"] = [
            {"code": f"{code}-{i}", "name": t["name"], "points": _number(t["points"])}
            for i, t in enumerate(fields["tasks"], 1)
        ]
    out.update({k: _number(v) if isinstance(v, float) else v for k, v in fields.items()})
    if "bands" in out:
        out["bands"] = [{k: _number(v) for k, v in b.items()} for b in out["bands"]]
    description = leaf.rule + (f"（考核方法：{leaf.method_text}）" if leaf.method_text else "")
    if description:
        out["description"] = description
    said = [found.summary] if found else []
    if leaf.starred:
        out["tags"] = ["核心指标"]
        said.append(msg.STARRED)
    points = None if out["method"] in ("veto", "bonus") else out["points"]
    method = label_for("method", out["method"])
    return out, DraftRow(row, code, leaf.name, points, method, "；".join(said), "；".join(notes))


def _criterion(grid: Grid, node: Node, codes: dict, leaves: dict, warnings: list[str], depth: int) -> dict | None:
    items = [leaves[id(c)] for c in node.children if isinstance(c, LeafRow) and id(c) in leaves]
    children = [
        x
        for x in (_criterion(grid, c, codes, leaves, warnings, depth + 1) for c in node.children if isinstance(c, Node))
        if x
    ]
    if not items and not children:
        return None
    out: dict = {"code": codes[id(node)], "name": node.name}
    base = _base_points(items, children)
    level = _LEVELS[depth] if depth < len(_LEVELS) else "指标"
    agreed = None
    for r, word, declared in node.declared:
        if math.isclose(base, declared, abs_tol=1e-6):
            agreed = declared
            continue
        row = grid.row_numbers[r]
        if word:
            warnings.append(msg.subtotal_differs(grid.where, row, word, level, node.name, base, declared))
        else:
            warnings.append(
                msg.NAME_SUBTOTAL_DIFFERS.format(
                    where=grid.where, row=row, level=level, name=node.name, leaves=num(base), declared=num(declared)
                )
            )
    if agreed is not None and len({d for _, _, d in node.declared}) == 1:
        out["points"] = _number(agreed)  # the table's own subtotal, checked again on every load
    if children:
        out["children"] = children
    if items:
        out["items"] = items
    return out


def _base_points(items: list[dict], children: list[dict]) -> float:
    own = sum(d["points"] for d in items if d["method"] in _BASE)
    return own + sum(_base_points(c.get("items", []), c.get("children", [])) for c in children)


def _codes(roots: list[Node]) -> dict[int, str]:
    """The table's own numbering where every node has one and they are unique, else A, A1, A1.1."""
    own = _own_codes(roots, "")
    if own is not None and len(set(own.values())) == len(own):
        return own
    out: dict[int, str] = {}

    def visit(node: Node | LeafRow, code: str, depth: int) -> None:
        out[id(node)] = code
        for i, child in enumerate(getattr(node, "children", []), 1):
            visit(child, f"{code}{i}" if depth == 0 else f"{code}.{i}", depth + 1)

    for i, root in enumerate(roots):
        visit(root, _letters(i), 0)
    return out


def _own_codes(nodes: list, parent: str) -> dict[int, str] | None:
    out: dict[int, str] = {}
    for node in nodes:
        number = node.number.rstrip(".")
        if not number:
            return None
        if not parent or number.startswith(parent + ".") or _FULL_CODE.match(number):
            code = number
        else:
            code = f"{parent}.{number}"
        out[id(node)] = code
        below = _own_codes(getattr(node, "children", []), code)
        if below is None:
            return None
        out.update(below)
    return out


def _letters(i: int) -> str:
    letters = string.ascii_uppercase
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def _number(x: float) -> float | int:
    """10.0 → 10 (the YAML reads as the table did), 0.5 stays."""
    return int(x) if float(x).is_integer() else float(x)


def _stem(filename: str) -> str:
    return re.sub(r"\.(docx|xlsx)$", "", filename.rsplit("/", 1)[-1], flags=re.I) or "导入的方案"


def _scheme_id(filename: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", _stem(filename).lower()).strip("_")
    return slug or "draft"


def _period(text: str) -> str:
    if "季" in text:
        return "quarter"
    if "月" in text:
        return "month"
    return "year"
