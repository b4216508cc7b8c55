"""A scheme dict ⇄ the tables the editor shows. Pure: no Streamlit, so it is tested on its own.

The criteria tree becomes two flat tables a person can edit (指标: 编码, 名称, 上级编码, 声明分值;
评分细则: 编码, 名称, 所属指标, 评分方法, 分值, 说明); each leaf's other fields (目标值, 分档, 任务 …)
stay in `details`, edited by the method's own form. Reading the tables back builds the dict the
loader validates, so every rule of the format is checked in one place (scoring.scheme), and any
scheme goes dict → tables → dict unchanged.
"""

from __future__ import annotations

import math
import numbers
import re
import typing
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from scoring import scheme as model
from scoring.names import field_label, label_for, value_for

CRITERIA_COLUMNS = ["编码", "名称", "上级编码", "声明分值", "声明加分"]
LEAF_COLUMNS = ["编码", "名称", "所属指标", "评分方法", "分值", "说明"]
_LEAF_OWN = ("code", "name", "method", "points", "description")  # the leaf table's columns


def _leaf_models() -> dict[str, type[model._LeafBase]]:
    union = typing.get_args(typing.get_args(model.Leaf)[0])
    return {typing.get_args(cls.model_fields["method"].annotation)[0]: cls for cls in union}


LEAF_MODELS = _leaf_models()


def leaf_fields(method: str) -> list[str]:
    """The keys a leaf of `method` may write beyond the table's columns (`as` by its alias)."""
    cls = LEAF_MODELS.get(method)
    if cls is None:
        return []
    return [f.alias or name for name, f in cls.model_fields.items() if name not in _LEAF_OWN]


@dataclass
class SchemeTables:
    settings: dict[str, Any]  # every top-level key but `criteria`, as written
    criteria: pd.DataFrame  # CRITERIA_COLUMNS, parents before children
    leaves: pd.DataFrame  # LEAF_COLUMNS, with a range index
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # by the code a leaf was loaded with
    keys: list[str] = field(default_factory=list)  # row i of `leaves` as loaded → its key in `details`

    def detail_key(self, index: Any, code: str) -> str:
        """Where a leaf row's other fields are kept: by the code it was loaded with, so renaming a
        leaf in the table keeps its rule; a row added in the editor keeps them under its code."""
        if isinstance(index, numbers.Integral) and 0 <= int(index) < len(self.keys):
            return self.keys[int(index)]
        return code


def scheme_to_tables(data: dict[str, Any]) -> SchemeTables:
    """The tables of a scheme as written (a YAML mapping)."""
    settings = {k: v for k, v in data.items() if k != "criteria"}
    crit_rows: list[list[Any]] = []
    leaf_rows: list[list[Any]] = []
    keys: list[str] = []
    details: dict[str, dict[str, Any]] = {}

    def visit(c: dict[str, Any], parent: str) -> None:
        crit_rows.append([c.get("code"), c.get("name"), parent, c.get("points"), c.get("bonus_points")])
        for leaf in c.get("items") or []:
            method = leaf.get("method")
            leaf_rows.append(
                [
                    leaf.get("code"),
                    leaf.get("name"),
                    c.get("code"),
                    label_for("method", method),
                    leaf.get("points"),
                    leaf.get("description", ""),
                ]
            )
            keys.append(str(leaf.get("code")))
            details[str(leaf.get("code"))] = {k: v for k, v in leaf.items() if k not in _LEAF_OWN}
        for child in c.get("children") or []:
            visit(child, str(c.get("code")))

    for c in data.get("criteria") or []:
        visit(c, "")
    criteria = pd.DataFrame(crit_rows, columns=CRITERIA_COLUMNS).astype(
        {"编码": object, "名称": object, "上级编码": object, "声明分值": float, "声明加分": float}
    )
    leaves = pd.DataFrame(leaf_rows, columns=LEAF_COLUMNS).astype(
        {"编码": object, "名称": object, "所属指标": object, "评分方法": object, "分值": float, "说明": object}
    )
    return SchemeTables(settings, criteria, leaves, details, keys)


def plain(value: Any) -> Any:
    """A cell as YAML should hold it: blank → None, 10.0 → 10, numpy scalars → Python's."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str | list | dict):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return value.strip()
    return value


def _text(value: Any) -> str:
    v = plain(value)
    return "" if v is None else str(v)


def tables_to_scheme(tables: SchemeTables) -> tuple[dict[str, Any], list[str]]:
    """The scheme dict the tables describe, and located problems of the tables themselves (a
    parent or criterion code that does not exist, a loop). The dict is then validated as a whole
    by the loader, which reports everything else."""
    problems: list[str] = []
    nodes: dict[str, dict[str, Any]] = {}
    parents: dict[str, str] = {}
    order: list[str] = []
    for i, row in enumerate(tables.criteria.itertuples(index=False), start=1):
        code, name, parent = _text(row[0]), _text(row[1]), _text(row[2])
        if not code:
            if name or parent:
                problems.append(f"指标表第 {i} 行「编码」: 不能为空")
            continue
        if code in nodes:
            problems.append(f"指标表第 {i} 行「编码」: '{code}' 与前面的指标重复")
            continue
        node: dict[str, Any] = {"code": code, "name": name}
        for key, cell in (("points", row[3]), ("bonus_points", row[4])):
            if plain(cell) is not None:
                node[key] = plain(cell)
        nodes[code], parents[code] = node, parent
        order.append(code)
    for code in order:
        parent = parents[code]
        if parent and parent not in nodes:
            problems.append(f"指标「{code}」的「上级编码」: '{parent}' 不是指标表中的编码")
    for i, row in enumerate(tables.leaves.itertuples(), start=1):
        key, code, name, crit, method_label, points, description = row
        code, crit = _text(code), _text(crit)
        if not code:
            if _text(name) or crit:
                problems.append(f"评分细则表第 {i} 行「编码」: 不能为空")
            continue
        method = value_for("method", _text(method_label))
        if method is None:
            problems.append(f"评分细则表第 {i} 行「评分方法」: 请选择评分方法")
            continue
        if crit not in nodes:
            problems.append(f"评分细则表第 {i} 行「所属指标」: '{crit}' 不是指标表中的编码")
            continue
        leaf: dict[str, Any] = {"code": code, "name": _text(name), "method": method}
        if plain(points) is not None:
            leaf["points"] = plain(points)
        if _text(description):
            leaf["description"] = _text(description)
        allowed = leaf_fields(str(method))
        own = tables.details.get(tables.detail_key(key, code), {})
        leaf.update({k: v for k, v in own.items() if k in allowed})  # another method's fields drop
        nodes[crit].setdefault("items", []).append(leaf)
    roots: list[dict[str, Any]] = []
    for code in order:
        parent = parents[code]
        if not parent:
            roots.append(nodes[code])
        elif parent in nodes:
            nodes[parent].setdefault("children", []).append(nodes[code])
    reached = _reached(roots)
    for code in order:
        if code not in reached and (not parents[code] or parents[code] in nodes):
            problems.append(f"指标「{code}」的「上级编码」形成循环（上级的上级最终又是它自己）")
    data = dict(tables.settings)
    data["criteria"] = roots
    return data, problems


def _reached(roots: list[dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node["code"] in seen:
            continue
        seen.add(node["code"])
        stack += node.get("children", [])
    return seen


def to_yaml(data: dict[str, Any]) -> str:
    """The stored form: YAML with Chinese as written, keys in the order the scheme has them."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


_STEP = re.compile(r"^([A-Za-z_]+)(?:\[(\d+)\])?$")


def locate(line: str, data: dict[str, Any]) -> str:
    """A loader message located by key path (criteria[0].items[2].target: …) said as a person
    reads the editor: 「评分细则 A1.3「目标值」: …」. Lines without a path stay as they are."""
    path, sep, message = line.partition(": ")
    if not sep or " " in path or not path:
        return line
    node: Any = data
    where, fields, leaf_method = "方案设置", [], None
    for part in path.split("."):
        m = _STEP.match(part)
        if m is None:
            return line
        key, index = m.group(1), m.group(2)
        if isinstance(node, dict) and key in ("criteria", "children", "items") and index is not None:
            try:
                node = node[key][int(index)]
            except (KeyError, IndexError, TypeError):
                return line
            kind = "评分细则" if key == "items" else "指标"
            where, fields = f"{kind} {node.get('code', '')}", []
            leaf_method = node.get("method") if key == "items" else None
            continue
        label = field_label(key, leaf_method)
        fields.append(f"{label}第 {int(index) + 1} 项" if index is not None else label)
        node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list) and index is not None and int(index) < len(node):
            node = node[int(index)]
    named = "「" + " › ".join(fields) + "」" if fields else ""
    return f"{where}{named}: {message}"
