"""Computed indicators: a leaf's actual value worked out from its raw inputs by its formula.

Runs between reading the values (scoring/inputs.py) and scoring them (scoring/engine.py): the
raw inputs' columns and the register figures give, over all units at once, the value the leaf's
method then scores. Zero or too-small divisors and missing register figures become located
problems, or 不适用 where the scheme says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring.errors import Problem
from scoring.scheme import Scheme, _ComputedLeaf

if TYPE_CHECKING:
    from scoring.engine import Results
    from scoring.inputs import CellMatrix

FIGURE_COLUMNS = ("unit", "year", "name", "value")
_NO_YEAR = 9999  # an entity without a period label takes each unit's latest figure


def compute_indicators(scheme: Scheme, m: CellMatrix, figures: pd.DataFrame | None) -> list[Problem]:
    """Fill each computed leaf's column of `m` with its actual value; the problems found."""
    leaves = [leaf for leaf in scheme.leaves if getattr(leaf, "computed", False)]
    if not leaves:
        return []
    if figures is not None and any(c not in figures.columns for c in FIGURE_COLUMNS):
        return [Problem("单位清单数字缺少列 unit、year、name、value 中的某些列")]
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    problems: list[Problem] = []
    for leaf in leaves:
        j = col_of[leaf.code]
        na = m.na[:, j].copy()
        for e in np.flatnonzero(~np.isnan(m.value[:, j])):
            wanted = "、".join(i.name for i in leaf.inputs if i.source == "scoresheet")
            problems.append(_at(m, e, leaf.code, f"「{leaf.name}」由公式计算，请分别填写{wanted}，不要直接填写结果"))
        values: dict[str, np.ndarray] = {}
        for inp in leaf.inputs:
            if inp.source == "scoresheet":
                c = col_of[inp.code]
                values[inp.name] = m.value[:, c]
                na |= m.na[:, c]
        for inp in leaf.inputs:
            if inp.source == "register":
                v, year = m.figures.get(inp.name) or register_figure(m, figures, inp.name)
                m.figures[inp.name] = (v, year)
                values[inp.name] = v
                for e in np.flatnonzero(np.isnan(v) & ~na):
                    when = f"（{year_of(m, e)}年或更早）" if year_of(m, e) else ""
                    msg = f"单位清单中没有「{inp.name}」{when}的数字，无法计算「{leaf.name}」"
                    problems.append(_at(m, e, leaf.code, msg))
        formula = leaf.compiled()
        low = np.zeros(len(na), dtype=bool)
        for text, d in formula.divisors(values):
            with np.errstate(invalid="ignore"):
                small = d < leaf.min_denominator if leaf.min_denominator is not None else d == 0
                small |= d < 0
            small &= ~na & ~np.isnan(d)
            low |= small
            if leaf.below_minimum == "error":
                code = _code_of(leaf, text)
                for e in np.flatnonzero(small):
                    problems.append(_at(m, e, code, _low_text(leaf, text, d[e])))
        if leaf.below_minimum == "not_applicable":
            m.below_minimum[leaf.code] = low & ~na
            na |= low
        actual = formula.evaluate(values)
        m.value[:, j] = np.where(na, np.nan, actual)
        m.na[:, j] = na
    return problems


def _low_text(leaf: _ComputedLeaf, divisor: str, value: float) -> str:
    """「「常住人口」为 0，无法计算「建档率」」, or below the scheme's minimum."""
    name = f"「{divisor}」" if " " not in divisor else f"分母（{divisor}）"
    got = f"{value:g}"
    minimum = getattr(leaf, "min_denominator", None)
    if value == 0 or minimum is None:
        return f"{name}为 {got}，无法计算「{leaf.name}」"
    return f"{name}为 {got}，低于方案规定的最小值 {minimum:g}，无法计算「{leaf.name}」"


def _code_of(leaf: _ComputedLeaf, divisor: str) -> str:
    """The code a divisor's problem is located at: the input's own when it is one entered input."""
    for inp in leaf.inputs:
        if inp.name == divisor and inp.code is not None:
            return inp.code
    return leaf.code


def _at(m: CellMatrix, e: int, code: str, message: str) -> Problem:
    return Problem(message, str(m.units[e]), code, str(m.periods[e]) or None)


def _entity_years(m: CellMatrix) -> np.ndarray:
    """The year of each entity's period (2025-03, 2025-Q1 and 2025 are all 2025)."""
    years = np.array([_label_year(str(x)) for x in m.periods.categories], dtype=np.int64)
    return years[m.periods.codes] if len(years) else np.full(len(m.units), _NO_YEAR, dtype=np.int64)


def _label_year(label: str) -> int:
    """The number the label's first four characters spell, else `_NO_YEAR`. Four ASCII digits are
    read directly (a pandas Series per call cost 0.9 ms for one month's label); anything else as
    `pd.to_numeric(errors="coerce")` reads it."""
    head = label[:4]
    if len(head) == 4 and head.isascii() and head.isdigit():
        return int(head)
    return int(pd.to_numeric(pd.Series([head]), errors="coerce").fillna(_NO_YEAR).to_numpy(dtype=np.int64)[0])


def year_of(m: CellMatrix, e: int) -> int | None:
    y = int(_entity_years(m)[e])
    return None if y == _NO_YEAR else y


def register_figure(m: CellMatrix, figures: pd.DataFrame | None, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per entity: the unit's figure `name` of its period's year, else of the latest earlier
    year, and that year (NaN and 0 where the register has none)."""
    n = len(m.units)
    value, year = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    if figures is None or len(figures) == 0:
        return value, year
    # Plain arrays, not a filtered frame: the rows of this figure with a unit, year and value.
    f_units = figures["unit"]
    f_year, f_value = (
        figures["year"].to_numpy(dtype=float, na_value=np.nan),
        figures["value"].to_numpy(dtype=float, na_value=np.nan),
    )
    keep = (figures["name"].astype(str) == name).to_numpy() & f_units.notna().to_numpy()
    keep &= ~np.isnan(f_year) & ~np.isnan(f_value)
    if not keep.any():
        return value, year
    # By the matrix's integer unit codes: one sort of the figures by (unit, year), then a binary
    # search per entity for the latest year not after its own (a merge on unit texts cost 15 ms
    # at 25,000 units). A register listing the units in the frame's own order (compared in
    # Arrow) needs no lookup by text at all.
    units = pd.Index(m.unit_codes.categories.astype(str))
    f_units = pd.Index(f_units.astype(str))
    f_unit = np.arange(len(units)) if f_units.equals(units) else units.get_indexer(f_units)
    known = keep & (f_unit >= 0)
    f_year = f_year[known].astype(np.int64)
    f_value = f_value[known]
    f_unit = f_unit[known].astype(np.int64)
    e_year = _entity_years(m)
    e_unit = np.asarray(m.unit_codes.codes, dtype=np.int64)
    lo = min(f_year.min(initial=0), e_year.min(initial=0))
    span = max(f_year.max(initial=0), e_year.max(initial=0)) - lo + 1
    f_key = f_unit * span + (f_year - lo)
    order = np.argsort(f_key, kind="stable")  # equal keys keep their order: the last one wins
    f_key = f_key[order]
    at = np.searchsorted(f_key, e_unit * span + (e_year - lo), side="right") - 1
    hit = at >= 0
    hit[hit] = f_unit[order[at[hit]]] == e_unit[hit]
    rows = order[at[hit]]
    value[hit] = f_value[rows]
    year[hit] = f_year[rows]
    return value, year


def computed_text(leaf: _ComputedLeaf, results: Results, unit: str, period: str | None, value: float) -> str:
    """「建档人数 27 ÷ 常住人口（2025年）30 × 100 = 90%」 for one unit, from its stored inputs."""
    from scoring.explain import fmt

    m = results._matrix
    rows = np.flatnonzero((m.units == unit) & ((np.asarray(m.periods.astype(str)) == period) if period else True))
    if len(rows) != 1:
        return ""
    e = int(rows[0])
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    shown = {}
    for inp in leaf.inputs:
        if inp.source == "register":
            v, year = m.figures.get(inp.name, (np.full(len(m.units), np.nan), np.zeros(len(m.units))))
            label = f"{inp.name}（{int(year[e])}年）" if year[e] else inp.name
            shown[inp.name] = f"{label}{fmt(v[e], 6)}" if year[e] else f"{label} {fmt(v[e], 6)}"
        else:
            shown[inp.name] = f"{inp.name} {fmt(m.value[e, col_of[inp.code]], 6)}"
    digits = getattr(leaf, "decimals", 2)
    return f"{leaf.compiled().render(shown)} = {fmt(value, digits)}{getattr(leaf, 'unit', '')}"


def below_minimum_text(leaf: _ComputedLeaf, results: Results, unit: str, period: str | None) -> str:
    """Why a computed leaf is 不适用 for a unit whose divisor is below the minimum, else ''."""
    m = results._matrix
    low = m.below_minimum.get(leaf.code)
    if low is None:
        return ""
    rows = np.flatnonzero((m.units == unit) & ((np.asarray(m.periods.astype(str)) == period) if period else True))
    if len(rows) != 1 or not low[rows[0]]:
        return ""
    minimum = getattr(leaf, "min_denominator", None)
    limit = f"低于最小值 {minimum:g}" if minimum is not None else "为 0"
    return f"不适用：分母{limit}，无法计算「{leaf.name}」，本项 {fmt_points(leaf)} 分不计入，总分按适用分值折算"


def fmt_points(leaf: _ComputedLeaf) -> str:
    from scoring.explain import fmt

    return fmt(leaf.points)
