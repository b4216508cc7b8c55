"""Warnings about a valid scheme: things that load but may not mean what was written.

A warning never stops a scheme from being saved; it is shown beside the scheme (方案管理, and
`python manage.py check-scheme`). Each is one line in Chinese, located as validation messages are
(「一级指标「…」 › 指标 T1「…」的「目标值」: what and why»); `lint_problems` keeps the key paths.

The rounding rule. A target leaf rounds the actual value half up to its `decimals` before comparing
it with a boundary (the target, a band's threshold, the stretch target). Two cases are flagged:

1. The boundary has more decimal places than `decimals` (target 95.25, decimals 1): no rounded value
   equals it, so the line falls somewhere the scheme does not say.
2. `decimals` is coarse for the boundary: half a rounding unit is 0.5 % of the boundary or more
   (target 95, decimals 0: 94.5 rounds to 95 and counts as met). Boundaries counted in whole things
   (人、次、家 …) are left alone: a count is never rounded. Zero boundaries are left alone too.
Grade minimums and the bottom line are checked against the scheme's `decimals` by rule 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from scoring.errors import SchemeProblem
from scoring.located import located, parse_path
from scoring.scheme import Criterion, Scheme, TargetLeaf

# Half a rounding unit at least this share of the boundary is "coarse" (rule 2): 95 with decimals 0
# (0.5 / 95 = 0.53 %) is flagged, 95 with decimals 1 (0.053 %) is not.
COARSE_SHARE = 0.005
# Units of whole things: their values are whole numbers, which rounding does not move.
COUNT_UNITS = frozenset(
    ["人", "人次", "次", "个", "家", "例", "份", "项", "户", "篇", "所", "名", "张", "台", "场", "期", "件", "起", "床"]
)


def lint(scheme: Scheme) -> list[str]:
    """Every warning about `scheme`, in the order of the file."""
    return [p.message for p in lint_problems(scheme)]


def lint_problems(scheme: Scheme) -> list[SchemeProblem]:
    """Every warning with the key path it concerns ("criteria[0].items[0].target")."""
    keyed: list[tuple[str, str]] = []
    for where, leaf in _target_leaves(scheme.criteria, "criteria"):
        for key, label, value in _boundaries(leaf):
            line = _rounding_warning(leaf, label, value)
            if line:
                keyed.append((f"{where}.{key}", line))
    for key, label, value in _scheme_lines(scheme):
        places = _places(value)
        if places > scheme.decimals:
            keyed.append(
                (
                    key,
                    f"{label} {value:g} 有 {places} 位小数，但总分只保留 {scheme.decimals} 位（「保留小数位数」），"
                    f"四舍五入后的总分不会恰好等于 {value:g}，分界与所写的不同",
                )
            )
    data = scheme.model_dump(by_alias=True)
    return [SchemeProblem(located(parse_path(path), text, data), path, text) for path, text in keyed]


def _target_leaves(criteria: list[Criterion], where: str) -> Iterator[tuple[str, TargetLeaf]]:
    for i, c in enumerate(criteria):
        path = f"{where}[{i}]"
        for j, leaf in enumerate(c.items):
            if isinstance(leaf, TargetLeaf):
                yield f"{path}.items[{j}]", leaf
        yield from _target_leaves(c.children, f"{path}.children")


def _boundaries(leaf: TargetLeaf) -> Iterator[tuple[str, str, float]]:
    """(key path, what it is called, value) of every value the rounded actual is compared with."""
    yield "target", "目标值", leaf.target  # in bands mode too: it decides 达标 / 未达标
    for i, band in enumerate(leaf.bands):
        yield f"bands[{i}].threshold", f"第 {i + 1} 档分界", band.threshold
    if leaf.stretch is not None:
        yield "stretch.target", "力争目标", leaf.stretch.target


def _scheme_lines(scheme: Scheme) -> Iterator[tuple[str, str, float]]:
    for i, grade in enumerate(scheme.grades):
        yield f"grades[{i}].min", f"等级「{grade.name}」的下限", grade.min
    if scheme.bottom.threshold is not None:
        yield "bottom.threshold", "末位线", scheme.bottom.threshold


def _places(value: float) -> int:
    """Decimal places as the number is written: 95.25 → 2, 95.0 → 0."""
    return max(0, -int(Decimal(repr(float(value))).normalize().as_tuple().exponent))


def _rounding_warning(leaf: TargetLeaf, label: str, value: float) -> str:
    d, unit = leaf.decimals, leaf.unit
    places = _places(value)
    if places > d:
        return (
            f"{label} {value:g}{unit} 有 {places} 位小数，但实际值先四舍五入到{_precision(d)}再比较（「保留小数位数」为 {d}），"
            f"不会恰好等于 {value:g}，分界与所写的不同。请把「保留小数位数」改为 {places} 或更大"
        )
    half = 0.5 * 10.0**-d
    if unit in COUNT_UNITS or value == 0 or half < COARSE_SHARE * abs(value):
        return ""
    higher = leaf.direction == "higher"
    # The value farthest from the boundary that still rounds onto it, on the side where that matters.
    near = value - half if higher == leaf.inclusive else value + 0.4 * 10.0**-d
    shown = f"{near:.{d + 1}f}{unit}"
    if leaf.inclusive:
        effect = f"{shown} 四舍五入为 {value:g}{unit}，计为达到{label}"
    else:
        effect = f"{shown} 四舍五入为 {value:g}{unit}，不算{'高于' if higher else '低于'}{label}"
    return (
        f"实际值先四舍五入到{_precision(d)}再比较（「保留小数位数」为 {d}），{effect}。"
        f"如要按原值比较，请把「保留小数位数」调大（如 {d + 1}）"
    )


def _precision(decimals: int) -> str:
    return "整数" if decimals == 0 else f" {decimals} 位小数"
