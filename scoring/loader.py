"""Reading a scheme from YAML text, with errors located by key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scoring.errors import SchemeError
from scoring.scheme import Scheme

_METHOD_TAGS = {
    "direct",
    "target",
    "checklist",
    "deduction",
    "bonus",
    "veto",
    "levels",
    "peer_rank",
    "improvement",
    "monitor",
}

# pydantic error type -> Chinese wording; ctx values are formatted in.
_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than_equal": "必须小于或等于 {le}",
    "less_than": "必须小于 {lt}",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "string_type": "必须是文字",
    "string_too_short": "不能为空",
    "list_type": "必须是列表",
    "too_short": "至少需要 {min_length} 项",
    "literal_error": "必须是 {expected} 之一",
    "union_tag_invalid": "method 必须是 {expected_tags} 之一",
    "union_tag_not_found": "缺少 method（评分方法）",
    "model_type": "必须是键值映射",
    "model_attributes_type": "必须是键值映射",
    "dict_type": "必须是键值映射",
}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i >= 2 and loc[i - 2] == "items" and isinstance(loc[i - 1], int) and part in _METHOD_TAGS:
            continue  # pydantic's discriminated-union tag, not a key the user wrote
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    template = _MESSAGES.get(err["type"])
    if template is None:
        msg = err["msg"]
        return msg.removeprefix("Value error, ")
    # 0.0 reads as 0; pydantic lists literals as "'a', 'b' or 'c'": keep the message Chinese.
    ctx = {
        k: f"{v:g}" if isinstance(v, float) else str(v).replace(" or ", ", ") for k, v in (err.get("ctx") or {}).items()
    }
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return err["msg"]


def error_lines(exc: ValidationError) -> list[str]:
    """Every error of a validation in Chinese, each prefixed by its key path (``target: 必须大于 0``)."""
    lines = []
    for err in exc.errors():
        path = _path(err["loc"])
        lines += [f"{path}: {m}" if path else f": {m}" for m in _message(err).split("\n")]
    return lines


def scheme_from_dict(data: Any) -> Scheme:
    """Validate a parsed scheme; raise SchemeError listing every problem with its key path."""
    if not isinstance(data, dict):
        raise SchemeError(["方案文件的顶层必须是键值映射（id、name、criteria 等）"])
    try:
        return Scheme.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            path = _path(err["loc"])
            # A check across the whole scheme reports all it found, one located line each.
            lines += [f"{path}: {m}" if path else m for m in _message(err).split("\n")]
        raise SchemeError(lines) from None


def parse_scheme(text: str) -> Scheme:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列: " if mark else ""
        raise SchemeError([f"{where}YAML 格式错误（{getattr(exc, 'problem', exc)}）"]) from None
    return scheme_from_dict(data)


def load_scheme(path: str | Path) -> Scheme:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemeError([f"找不到方案文件 {p}"]) from None
    except UnicodeDecodeError:
        raise SchemeError([f"方案文件 {p} 不是 UTF-8 文本"]) from None
    return parse_scheme(text)
