"""Formulas of computed indicators (建档率 = 建档人数 ÷ 常住人口 × 100), checked once and
evaluated over whole columns.

A formula is parsed with Python's `ast` and every node is checked against a short whitelist:
numbers, the inputs' names, + - × ÷, unary minus, parentheses and the functions in `FUNCTIONS`.
Anything else (attributes, other calls, lambdas, comprehensions, powers …) is refused when the
scheme is loaded, with a Chinese message; nothing is ever passed to eval/exec. Evaluation walks
the checked tree with numpy operations, so one call computes the value of every unit at once.
(asteval was considered: it is numpy-aware but deliberately broad — loops, comprehensions,
attribute access — and its messages are English; the whitelist here is small enough to own.)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MAX_LENGTH = 500
MAX_NODES = 200
# A literal larger than this is refused: no real ratio needs it, and it keeps results finite.
MAX_CONSTANT = 1e12


def _avg(*xs: np.ndarray) -> np.ndarray:
    return sum(xs) / len(xs)


def _round(x: np.ndarray, digits: np.ndarray | float = 0) -> np.ndarray:
    from scoring.methods import round_half_up  # methods imports scheme, which imports this module

    return np.asarray(round_half_up(np.asarray(x, dtype=float), int(digits)))


# name -> (numpy function, minimum and maximum number of arguments, Chinese description)
FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], int, int, str]] = {
    "sum": (lambda *xs: sum(xs), 1, 50, "求和"),
    "avg": (_avg, 1, 50, "平均"),
    "min": (lambda *xs: np.minimum.reduce(np.broadcast_arrays(*xs)), 2, 50, "取较小值"),
    "max": (lambda *xs: np.maximum.reduce(np.broadcast_arrays(*xs)), 2, 50, "取较大值"),
    "round": (_round, 1, 2, "四舍五入"),
}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "×", ast.Div: "÷"}
_CONSTRUCTS = {
    ast.Attribute: "属性访问（.）",
    ast.Subscript: "下标（[]）",
    ast.Lambda: "lambda",
    ast.ListComp: "推导式",
    ast.SetComp: "推导式",
    ast.DictComp: "推导式",
    ast.GeneratorExp: "推导式",
    ast.Compare: "比较（< > ==）",
    ast.BoolOp: "and / or",
    ast.IfExp: "条件表达式",
    ast.List: "列表",
    ast.Tuple: "元组",
    ast.Dict: "字典",
    ast.Set: "集合",
    ast.JoinedStr: "文字",
    ast.NamedExpr: ":=",
    ast.Starred: "*",
}
_BIN_REFUSED = {ast.Pow: "乘方（**）", ast.FloorDiv: "整除（//）", ast.Mod: "取余（%）", ast.MatMult: "@"}
_BIN_REFUSED |= {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
# Full-width operators as typed in Chinese documents.
_WIDE = str.maketrans({"×": "*", "÷": "/", "（": "(", "）": ")", "＋": "+", "－": "-", "，": ",", "＊": "*", "／": "/"})


class FormulaError(ValueError):
    """A formula that cannot be used; the message is Chinese and says what to change."""


@dataclass(frozen=True)
class Formula:
    """A checked formula. `names[i]` is the input the placeholder `_v{i}` stands for."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def evaluate(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The formula over whole columns (one entry per unit). A zero divisor gives NaN; callers
        find those rows first with `divisors` and report them."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _eval(self.tree, self.names, values)
            out = np.where(np.isinf(out), np.nan, out)
        return np.asarray(out, dtype=float)

    def divisors(self, values: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
        """(divisor as written, its value per unit) for every division, in the formula's order."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return [(text, np.asarray(_eval(node, self.names, values), dtype=float)) for text, node in self._divisions]

    @cached_property
    def _divisions(self) -> list[tuple[str, ast.expr]]:
        """(divisor as written, its tree) per division, in the formula's order: the tree is walked
        once per formula, not on every evaluation."""
        return [
            (_render(node.right, self.names, None, top=False), node.right)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
        ]

    def render(self, shown: Mapping[str, str] | None = None) -> str:
        """The formula in the document's notation; with `shown`, each input followed by its value:
        「建档人数 27 ÷ 常住人口（2025年）30 × 100」."""
        return _render(self.tree, self.names, shown)


def parse_formula(text: str, names: list[str]) -> Formula:
    """Check `text` against the inputs `names`; raise FormulaError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("公式不能为空")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"公式过长（超过 {MAX_LENGTH} 个字符）")
    # Input names are Chinese and may start with a digit (65岁以上人口): each is replaced by a
    # placeholder before parsing, longest first so that 人口 does not eat into 常住人口.
    if re.search(r"_v\d", text):  # the placeholders' own spelling: never an input's name
        raise FormulaError(f"公式「{text}」中有不认识的名称")
    src = text.translate(_WIDE)
    order = sorted(range(len(names)), key=lambda i: -len(names[i]))
    for i in order:
        src = src.replace(names[i], f" _v{i} ")
    try:
        tree = ast.parse(src.strip(), mode="eval").body
    except SyntaxError:
        raise FormulaError(f"公式「{text}」写法有误（只能用输入项名称、数字、+ - × ÷ 和括号）") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise FormulaError(f"公式过于复杂（超过 {MAX_NODES} 个部分）")
    formula = Formula(text, tree, tuple(names))
    _check(tree, formula)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _constant_zero(node.right):
            raise FormulaError(f"公式「{text}」除以常数 0")
    return formula


def _check(node: ast.AST, f: Formula) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"公式「{f.text}」中只能出现数字，不能出现「{node.value}」")
        if not abs(node.value) <= MAX_CONSTANT:
            raise FormulaError(f"公式「{f.text}」中的数字过大")
        return
    if isinstance(node, ast.Name):
        m = re.fullmatch(r"_v(\d+)", node.id)
        if m is None or int(m.group(1)) >= len(f.names):
            known = "、".join(f.names) or "（无）"
            raise FormulaError(f"公式「{f.text}」中的「{node.id}」不是本项的输入项（输入项：{known}）")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPS:
            what = _BIN_REFUSED.get(type(node.op), "该运算")
            raise FormulaError(f"公式「{f.text}」不能使用{what}，只能用 + - × ÷")
        _check(node.left, f)
        _check(node.right, f)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise FormulaError(f"公式「{f.text}」不能使用该运算，只能用 + - × ÷")
        _check(node.operand, f)
        return
    if isinstance(node, ast.Call):
        fn = node.func.id if isinstance(node.func, ast.Name) else None
        if fn not in FUNCTIONS or node.keywords:
            allowed = "、".join(FUNCTIONS)
            raise FormulaError(f"公式「{f.text}」只能调用这些函数：{allowed}")
        _, lo, hi, _ = FUNCTIONS[fn]
        if not lo <= len(node.args) <= hi:
            raise FormulaError(f"公式「{f.text}」中 {fn} 的参数个数不对")
        if fn == "round" and len(node.args) == 2 and not _small_int(node.args[1]):
            raise FormulaError(f"公式「{f.text}」中 round 的第二个参数应为 0 到 6 的整数（保留几位小数）")
        for a in node.args:
            _check(a, f)
        return
    what = _CONSTRUCTS.get(type(node), "该写法")
    raise FormulaError(
        f"公式「{f.text}」不能使用{what}，只能用输入项名称、数字、+ - × ÷、括号和 {'、'.join(FUNCTIONS)}"
    )


def _small_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 6


def _constant_zero(node: ast.expr) -> bool:
    """A divisor made of numbers only that comes to 0 (÷ 0, ÷ (1 - 1))."""
    if any(isinstance(n, ast.Name) for n in ast.walk(node)):
        return False
    with np.errstate(all="ignore"):
        v = _eval(node, (), {})
    return bool(np.all(np.asarray(v) == 0))


def _eval(node: ast.AST, names: tuple[str, ...], values: Mapping[str, np.ndarray]) -> np.ndarray | float:
    # Only nodes `_check` accepted reach here.
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return np.asarray(values[names[int(node.id[2:])]], dtype=float)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, names, values), _eval(node.right, names, values)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        return np.true_divide(a, b)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, names, values)
        return -v if isinstance(node.op, ast.USub) else v
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    fn = FUNCTIONS[node.func.id][0]
    if node.func.id == "round":
        digits = node.args[1].value if len(node.args) == 2 else 0  # type: ignore[attr-defined]
        return fn(_eval(node.args[0], names, values), digits)
    return fn(*[np.asarray(_eval(a, names, values), dtype=float) for a in node.args])


_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


def _render(node: ast.AST, names: tuple[str, ...], shown: Mapping[str, str] | None, top: bool = True) -> str:
    if isinstance(node, ast.Constant):
        return f"{node.value:g}"
    if isinstance(node, ast.Name):
        name = names[int(node.id[2:])]
        return shown.get(name, name) if shown is not None else name
    if isinstance(node, ast.BinOp):
        p = _PRECEDENCE[type(node.op)]
        left = _render(node.left, names, shown, False)
        right = _render(node.right, names, shown, False)
        if isinstance(node.left, ast.BinOp) and _PRECEDENCE[type(node.left.op)] < p:
            left = f"({left})"
        if isinstance(node.right, ast.BinOp) and _PRECEDENCE[type(node.right.op)] <= p:
            right = f"({right})"
        return f"{left} {_OPS[type(node.op)]} {right}"
    if isinstance(node, ast.UnaryOp):
        inner = _render(node.operand, names, shown, False)
        return f"-{inner}" if isinstance(node.op, ast.USub) else inner
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = ", ".join(_render(a, names, shown) for a in node.args)
    return f"{node.func.id}({args})"
