"""Turning a long table of values into one dense cell matrix per scheme input.

The long table has a row per (period, unit, code, assessor). Scoring works on a dense matrix:
one row per unit and period ("entity"), one column per input code (leaf or checklist task).
Assessors are combined here, and every bad row or cell is collected as a located Problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.errors import Problem
from scoring.scheme import ChecklistLeaf, Scheme

REQUIRED_COLUMNS = ("unit", "code", "value")
# Methods whose blank cell means "nothing happened" rather than missing data.
_BLANK_IS_ZERO = ("deduction", "bonus", "veto")


@dataclass(frozen=True)
class InputColumn:
    code: str
    leaf_code: str
    method: str
    is_task: bool
    lo: float
    hi: float
    integer: bool
    binary: bool
    allow_na: bool


def input_columns(scheme: Scheme) -> list[InputColumn]:
    """Every code a value may be written against, in scheme order."""
    cols: list[InputColumn] = []
    inf = float("inf")
    for leaf in scheme.leaves:
        m = leaf.method
        if m == "direct":
            lo, hi = 0.0, leaf.points
        elif m == "target":
            lo = -inf if leaf.valid_min is None else leaf.valid_min
            hi = inf if leaf.valid_max is None else leaf.valid_max
        elif m in ("deduction", "bonus"):
            lo, hi = 0.0, inf
        else:  # checklist (its own column is only for 不适用) and veto
            lo, hi = 0.0, 1.0
        allow_na = leaf.allow_na or scheme.missing == "not_applicable"
        cols.append(
            InputColumn(
                leaf.code,
                leaf.code,
                m,
                False,
                lo,
                hi,
                m in ("deduction", "bonus"),
                m in ("veto", "checklist"),
                allow_na,
            )
        )
        if isinstance(leaf, ChecklistLeaf):
            for task in leaf.tasks:
                cols.append(InputColumn(task.code, leaf.code, m, True, 0.0, 1.0, False, True, False))
    return cols


@dataclass
class CellMatrix:
    """Combined inputs: `value[e, c]` (NaN where blank) and `na[e, c]` for 不适用."""

    periods: np.ndarray  # entity -> period label
    units: np.ndarray  # entity -> unit label
    categories: np.ndarray  # entity -> category label
    columns: list[InputColumn]
    value: np.ndarray
    na: np.ndarray
    vmax: np.ndarray  # highest assessor value (a veto reported by anyone counts)
    assessors: np.ndarray  # number of assessors who gave a value
    notes: pd.DataFrame  # period, unit, code, assessor, note — rows that carried a note


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and labels, reusing a categorical's codes when the column already has them."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.cat.remove_unused_categories()
        return cat.cat.codes.to_numpy(dtype=np.int64), cat.cat.categories.astype(str).to_numpy()
    codes, labels = pd.factorize(series.astype(str), sort=False)
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _label(labels: np.ndarray, codes: np.ndarray) -> list[str]:
    return [str(x) for x in labels[codes]]


def build_matrix(
    scheme: Scheme, values: pd.DataFrame, categories: pd.Series | None
) -> tuple[CellMatrix | None, list[Problem]]:
    problems: list[Problem] = []
    missing_cols = [c for c in REQUIRED_COLUMNS if c not in values.columns]
    if missing_cols:
        return None, [Problem(f"缺少列 {', '.join(missing_cols)}")]
    n = len(values)
    if n == 0:
        return None, [Problem("没有任何评分数据")]

    period_s = values["period"] if "period" in values.columns else pd.Series("", index=values.index)
    p_codes, p_labels = _codes(period_s.fillna(""))
    u_codes, u_labels = _codes(values["unit"])
    c_codes_raw, c_labels = _codes(values["code"])
    value = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)
    na = values["na"].fillna(False).to_numpy(dtype=bool) if "na" in values.columns else np.zeros(n, bool)
    value = np.where(na, np.nan, value)

    columns = input_columns(scheme)
    col_index = {c.code: i for i, c in enumerate(columns)}
    label_to_col = np.array([col_index.get(str(lbl), -1) for lbl in c_labels], dtype=np.int64)
    col = label_to_col[c_codes_raw]
    for bad in np.flatnonzero(label_to_col < 0):
        problems.append(Problem(f"指标编码「{c_labels[bad]}」不在方案 {scheme.id} v{scheme.version} 中"))

    # Entities: the (period, unit) pairs that occur, in first-seen order.
    pair = p_codes * len(u_labels) + u_codes
    ent_codes, ent_pairs = pd.factorize(pair, sort=False)
    ent_codes = ent_codes.astype(np.int64)
    ent_pairs = np.asarray(ent_pairs, dtype=np.int64)
    ent_period = p_labels[ent_pairs // len(u_labels)].astype(str)
    ent_unit = u_labels[ent_pairs % len(u_labels)].astype(str)
    ent_category = _entity_categories(values, ent_codes, ent_unit, categories, problems)

    a_codes, a_labels = (
        _codes(values["assessor"].fillna(""))
        if "assessor" in values.columns
        else (np.zeros(n, np.int64), np.array([""]))
    )

    def assessor_of(i):
        return str(a_labels[a_codes[i]]) or None

    def row_period(i):
        return str(p_labels[p_codes[i]]) or None

    ok = col >= 0
    n_cols, n_ent = len(columns), len(ent_pairs)

    # Row-level checks: range, integer counts, yes/no cells, 不适用 where not allowed.
    lo = np.array([c.lo for c in columns])[np.where(ok, col, 0)]
    hi = np.array([c.hi for c in columns])[np.where(ok, col, 0)]
    integer = np.array([c.integer for c in columns])[np.where(ok, col, 0)]
    binary = np.array([c.binary for c in columns])[np.where(ok, col, 0)]
    allow_na = np.array([c.allow_na for c in columns])[np.where(ok, col, 0)]
    has = ~np.isnan(value)
    raw = values["value"]
    if pd.api.types.is_numeric_dtype(raw.dtype):
        non_numeric = np.zeros(n, dtype=bool)
    else:  # text that did not parse as a number (the parsers upstream already mapped 是/否, % …)
        text = raw.astype(str).str.strip()
        non_numeric = (~has) & (~na) & raw.notna().to_numpy() & (text != "").to_numpy()
    bad_range = has & ((value < lo) | (value > hi))
    bad_int = has & integer & (np.abs(value - np.round(value)) > 1e-9)
    bad_bin = has & binary & ~np.isin(value, (0.0, 1.0))
    bad_inf = has & ~np.isfinite(value)
    bad_na = na & ~allow_na
    for i in np.flatnonzero(ok & (non_numeric | bad_range | bad_int | bad_bin | bad_inf | bad_na)):
        c = columns[col[i]]
        if non_numeric[i]:
            msg = f"'{raw.iloc[i]}' 不是数字"
        elif bad_na[i]:
            msg = "该指标不允许填写「不适用」"
        elif bad_bin[i]:
            msg = f"'{value[i]:g}' 应为 1（是/完成）或 0（否/未完成）"
        elif bad_int[i]:
            msg = f"'{value[i]:g}' 应为整数次数"
        elif bad_inf[i]:
            msg = f"'{value[i]}' 不是有限数字"
        else:
            msg = f"'{value[i]:g}' 超出范围 {_range_text(c.lo, c.hi)}"
        problems.append(Problem(msg, ent_unit[ent_codes[i]], c.code, row_period(i), assessor_of(i)))

    # The same cell written twice by one assessor.
    cell = ent_codes * n_cols + np.where(ok, col, 0)
    dup_key = cell * len(a_labels) + a_codes
    dup = pd.Series(dup_key[ok]).duplicated().to_numpy()
    for i in np.flatnonzero(ok)[dup]:
        problems.append(
            Problem(
                "同一考核人对同一单位同一指标填写了两次",
                ent_unit[ent_codes[i]],
                columns[col[i]].code,
                row_period(i),
                assessor_of(i),
            )
        )

    use = ok & has & ~(bad_range | bad_int | bad_bin | bad_inf)
    size = n_ent * n_cols
    count = np.bincount(cell[use], minlength=size).astype(float)
    total = np.bincount(cell[use], weights=value[use], minlength=size)
    na_count = np.bincount(cell[ok & na], minlength=size)
    vmax = np.full(size, np.nan)
    combined = np.divide(total, count, out=np.full(size, np.nan), where=count > 0)

    multi = count[cell] >= 2
    sel = use & multi
    if sel.any():
        g = pd.DataFrame({"cell": cell[sel], "v": value[sel]}).groupby("cell")["v"].agg(["max", "min"])
        idx = g.index.to_numpy()
        vmax[idx] = g["max"].to_numpy()
        if scheme.combine == "trimmed_mean":
            trim = idx[count[idx] >= 3]
            gt = g.loc[trim]
            combined[trim] = (total[trim] - gt["max"].to_numpy() - gt["min"].to_numpy()) / (count[trim] - 2)
    single = count == 1
    vmax[single] = combined[single]

    conflict = np.flatnonzero((na_count > 0) & (count > 0))
    for c in conflict:
        problems.append(
            Problem(
                "考核人意见不一致：有人填「不适用」，有人填了数值",
                ent_unit[c // n_cols],
                columns[c % n_cols].code,
                ent_period[c // n_cols] or None,
            )
        )

    notes = _notes(values, ok)
    matrix = CellMatrix(
        periods=ent_period,
        units=ent_unit,
        categories=ent_category,
        columns=columns,
        value=combined.reshape(n_ent, n_cols),
        na=(na_count > 0).reshape(n_ent, n_cols),
        vmax=vmax.reshape(n_ent, n_cols),
        assessors=count.reshape(n_ent, n_cols).astype(np.int32),
        notes=notes,
    )
    seen = np.bincount(cell[ok & ~has & ~na & non_numeric], minlength=size) + np.bincount(
        cell[ok & has & ~use], minlength=size
    )
    problems += _missing_problems(scheme, matrix, (seen > 0).reshape(n_ent, n_cols))
    return matrix, problems


def _range_text(lo: float, hi: float) -> str:
    if np.isinf(hi) and np.isinf(lo):
        return "（任意数字）"
    if np.isinf(hi):
        return f"（应 ≥ {lo:g}）"
    if np.isinf(lo):
        return f"（应 ≤ {hi:g}）"
    return f"（应在 {lo:g} 到 {hi:g} 之间）"


def _entity_categories(
    values: pd.DataFrame,
    ent_codes: np.ndarray,
    ent_unit: np.ndarray,
    categories: pd.Series | None,
    problems: list[Problem],
) -> np.ndarray:
    """Peer group of each entity: an explicit unit → category map, else a `category` column."""
    if categories is not None:
        mapped = pd.Series(ent_unit).map(categories.astype(str))
        for unit in sorted(set(ent_unit[mapped.isna().to_numpy()])):
            problems.append(Problem("单位不在单位清单中，无法确定类别", unit))
        return mapped.fillna("").to_numpy(dtype=object).astype(str)
    if "category" in values.columns:
        first = np.full(len(ent_unit), -1, dtype=np.int64)
        rows = np.arange(len(ent_codes))
        first[ent_codes[::-1]] = rows[::-1]  # the first row of each entity
        return values["category"].astype(str).to_numpy()[first].astype(str)
    return np.full(len(ent_unit), "全部", dtype=object).astype(str)


def _notes(values: pd.DataFrame, ok: np.ndarray) -> pd.DataFrame:
    cols = ["period", "unit", "code", "assessor", "note"]
    if "note" not in values.columns:
        return pd.DataFrame(columns=cols)
    note = values["note"]
    keep = ok & note.notna().to_numpy() & (note.astype(str).str.strip() != "").to_numpy()
    out = values.loc[keep, [c for c in cols if c in values.columns]].astype(str)
    for c in cols:
        if c not in out.columns:
            out[c] = ""
    return out[cols].reset_index(drop=True)


def _missing_problems(scheme: Scheme, m: CellMatrix, invalid: np.ndarray) -> list[Problem]:
    """Blank cells that need a value. With `missing: zero` / `not_applicable` they are filled.

    `invalid` marks cells whose value was already reported as bad: not reported again as blank.
    """
    need = np.array([c.method not in _BLANK_IS_ZERO and (c.is_task or c.method != "checklist") for c in m.columns])
    blank = np.isnan(m.value) & ~m.na & need & ~invalid
    # A checklist marked 不适用 as a whole needs no task values.
    leaf_na = {c.code: j for j, c in enumerate(m.columns) if c.method == "checklist" and not c.is_task}
    for j, c in enumerate(m.columns):
        if c.is_task:
            blank[:, j] &= ~m.na[:, leaf_na[c.leaf_code]]
    if scheme.missing == "zero":
        m.value[blank] = 0.0
        return []
    if scheme.missing == "not_applicable":
        for j, c in enumerate(m.columns):
            if c.is_task:  # a blank task makes its whole checklist 不适用
                k = leaf_na[c.leaf_code]
                m.na[:, k] |= blank[:, j]
        m.na[blank] = True
        return []
    e_idx, c_idx = np.nonzero(blank)
    return [
        Problem(
            "缺少数值（空白不等于 0；如确不适用请填「不适用」）", m.units[e], m.columns[c].code, m.periods[e] or None
        )
        for e, c in zip(e_idx[:1000], c_idx[:1000])
    ] + ([Problem(f"另有 {len(e_idx) - 1000} 个空白单元格")] if len(e_idx) > 1000 else [])
