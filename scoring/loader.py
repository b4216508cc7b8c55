"""Reading a scheme from YAML text, with errors located in the bureau's words (scoring/located.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scoring.errors import SchemeError, SchemeProblem
from scoring.located import Token, format_path, located, split_keyed
from scoring.names import METHOD_NAMES, options_of
from scoring.scheme import Scheme

# pydantic error type -> Chinese wording; ctx values are formatted in.
_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "此处不能写这一项（名称写错了，或这里没有这一项）",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than_equal": "必须小于或等于 {le}",
    "less_than": "必须小于 {lt}",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_parsing": "必须填「是」或「否」",
    "bool_type": "必须填「是」或「否」",
    "string_type": "必须是文字",
    "string_too_short": "不能为空",
    "list_type": "必须是列表",
    "too_short": "至少需要 {min_length} 项",
    "literal_error": "必须是 {expected} 之一",
    "union_tag_invalid": "「评分方法」必须是 {expected_tags} 之一",
    "union_tag_not_found": "缺少「评分方法」",
    "model_type": "必须是键值映射",
    "model_attributes_type": "必须是键值映射",
    "dict_type": "必须是键值映射",
}
_QUOTED = re.compile(r"'([^']*)'")


def _tokens(loc: tuple[Any, ...]) -> list[Token]:
    """The key path of a pydantic location, without the discriminated-union tag pydantic adds
    after a leaf (items[0].target…): the user wrote no such key."""
    out: list[Token] = []
    for i, part in enumerate(loc):
        if i >= 2 and loc[i - 2] == "items" and isinstance(loc[i - 1], int) and part in METHOD_NAMES:
            continue
        out.append(part if isinstance(part, int) else str(part))
    return out


def _options(expected: str, tokens: list[Token], tags: bool) -> str:
    """pydantic's "'a', 'b' or 'c'" as the Chinese labels of the values (达标得满分、按比例得分)."""
    names = [t for t in tokens if isinstance(t, str)]
    key = "method" if tags else (names[-1] if names else "")
    within = "" if tags or len(names) < 2 else names[-2]
    table = options_of(key, within)
    values = _QUOTED.findall(expected) or [expected]
    return "、".join(str(table.get(v, v)) for v in values)


def _message(err: dict[str, Any], tokens: list[Token] | None = None) -> str:
    template = _MESSAGES.get(err["type"])
    if template is None:
        msg = err["msg"]
        return msg.removeprefix("Value error, ")
    path = tokens if tokens is not None else _tokens(err["loc"])
    ctx = {}
    for k, v in (err.get("ctx") or {}).items():
        if k in ("expected", "expected_tags"):
            ctx[k] = _options(str(v), path, k == "expected_tags")
        else:
            ctx[k] = f"{v:g}" if isinstance(v, float) else str(v)  # 0.0 reads as 0
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return err["msg"]


def _keyed(exc: ValidationError) -> list[tuple[list[Token], str]]:
    """(key path, what is wrong) of every error; a line that names a deeper path itself (a check
    across the scheme: 'grades[0].min: …') is located there."""
    out = []
    for err in exc.errors():
        tokens = _tokens(err["loc"])
        for line in _message(err, tokens).split("\n"):
            deeper, text = split_keyed(line)
            out.append((tokens + deeper, text))
    return out


def error_lines(exc: ValidationError) -> list[str]:
    """Every error of a validation, each prefixed by its key path (``target: 必须大于 0``): the
    machine form, for a check that nests another validation's errors under its own path."""
    return [f"{format_path(tokens)}: {text}" for tokens, text in _keyed(exc)]


def scheme_from_dict(data: Any) -> Scheme:
    """Validate a parsed scheme; raise SchemeError listing every problem, located in the bureau's
    words (「一级指标「基本公共卫生」› 指标 A1「建档率」的「分值」: 必须是数字」)."""
    if not isinstance(data, dict):
        raise SchemeError(["方案文件的顶层必须是键值映射（方案编码、名称、指标等）"])
    try:
        return Scheme.model_validate(data)
    except ValidationError as exc:
        problems = [
            SchemeProblem(located(tokens, text, data), format_path(tokens), text) for tokens, text in _keyed(exc)
        ]
        raise SchemeError([p.message for p in problems], problems) from None


def parse_scheme(text: str) -> Scheme:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列: " if mark else ""
        # The parser's own explanation is English: the line and column say where to look.
        raise SchemeError([f"{where}方案文本格式错误（请检查这一处的缩进、冒号、引号和括号）"]) from None
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
