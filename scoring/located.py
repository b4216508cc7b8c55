"""Key paths of a scheme ("criteria[0].items[1].points") said in the bureau's words.

Validation locates a problem by the keys of the stored form; a user reads 「一级指标「基本公共卫生」
› 指标 A1「建档率」的「分值」」. The names come from the scheme as written (the parsed YAML), so a
path into a broken part still reads 「第 2 个一级指标」 rather than a raw path.
"""

from __future__ import annotations

import re
from typing import Any

from scoring.names import field_name

Token = str | int

_LEVELS = ("一级指标", "二级指标", "三级指标")
# List fields whose elements are named things: (what one is called, the key holding its name).
_ELEMENTS = {
    "tasks": ("任务", "name"),
    "kinds": ("扣分类别", "name"),
    "inputs": ("输入项", "name"),
    "levels": ("档次", "label"),
    "grades": ("等级", "name"),
    "tags": ("标签", "name"),
    "tag_rules": ("标签规则", None),
    "bands": ("档", None),
}
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# A message line that starts with the key path it concerns: 'grades[0].min: 下限高于总分'.
_KEYED = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\]|\.[^\s:：.\[\]]+)*): (.*)$", re.S)


def parse_path(path: str) -> list[Token]:
    """'criteria[0].items[1].points' -> ['criteria', 0, 'items', 1, 'points']."""
    return [int(index) if index else key for key, index in _TOKEN.findall(path)]


def format_path(tokens: list[Token]) -> str:
    """The inverse of parse_path: the machine-readable key path."""
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def split_keyed(line: str) -> tuple[list[Token], str]:
    """A message line that starts with a known key path ('criteria[2].points: …'), split into the
    path and the text; ([], line) when it starts with none."""
    match = _KEYED.match(line)
    if match:
        tokens = parse_path(match.group(1))
        if tokens and field_name(str(tokens[0])) != tokens[0]:
            return tokens, match.group(2)
    return [], line


def _child(node: Any, key: Token) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
    return node.get(key) if isinstance(node, dict) else None


def _text(node: Any, key: str | None) -> str:
    value = _child(node, key) if key else None
    return str(value).strip() if isinstance(value, str | int | float) and str(value).strip() else ""


def locate(tokens: list[Token], data: Any) -> str:
    """Where `tokens` points in the scheme `data` (as parsed from YAML), in Chinese; '' for the
    scheme as a whole."""
    parts: list[str] = []
    fields: list[str] = []
    node, depth, within, i = data, 0, "", 0
    while i < len(tokens):
        key = tokens[i]
        index = tokens[i + 1] if i + 1 < len(tokens) and isinstance(tokens[i + 1], int) else None
        if isinstance(key, int):  # an index with no list name before it: say which one
            parts.append(f"第 {key + 1} 项")
            node, i = _child(node, key), i + 1
            continue
        if key in ("criteria", "children") and index is not None:
            level = _LEVELS[depth] if depth < len(_LEVELS) else "指标"
            node, depth = _child(_child(node, key), index), depth + 1
            name = _text(node, "name")
            parts.append(f"{level}「{name}」" if name else f"第 {index + 1} 个{level}")
        elif key == "items" and index is not None:
            node = _child(_child(node, key), index)
            code, name = _text(node, "code"), _text(node, "name")
            if name:
                parts.append(f"指标 {code}「{name}」" if code else f"指标「{name}」")
            else:
                parts.append(f"指标 {code}" if code else f"第 {index + 1} 个评分细则")
        elif key in _ELEMENTS and index is not None:
            what, name_key = _ELEMENTS[key]
            node = _child(_child(node, key), index)
            name = _text(node, name_key)
            if fields:  # a list inside a block (improvement, settlement …): keep the block's name
                parts.append(f"「{'」›「'.join(fields)}」")
                fields = []
            parts.append(f"{what}「{name}」" if name else f"第 {index + 1} {'' if key == 'bands' else '个'}{what}")
        elif key == "variants" and i + 1 < len(tokens) and isinstance(tokens[i + 1], str):
            category = str(tokens[i + 1])
            node = _child(_child(node, key), category)
            parts.append(f"按类别调整「{category}」")
        else:
            fields.append(field_name(key, within))
            node, within, i = _child(node, key), key, i + 1
            continue
        within, i = str(key), i + 2
    where = " › ".join(parts)
    if fields and not where:  # a block of the scheme itself: 「资金结算」的「基数」
        where, fields = f"「{fields[0]}」", fields[1:]
    if fields:
        where += f"的「{'」›「'.join(fields)}」"
    return where


def located(tokens: list[Token], text: str, data: Any) -> str:
    """One message: 「<where>: <text>」, or the text alone for the scheme as a whole."""
    where = locate(tokens, data)
    return f"{where}: {text}" if where else text
