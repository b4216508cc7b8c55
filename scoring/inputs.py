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

    periods: pd.Categorical  # entity -> period label
    units: np.ndarray  # entity -> unit label
    categories: pd.Categorical  # entity -> category label (peer group)
    columns: list[InputColumn]
    value: np.ndarray
    na: np.ndarray
    vmax: np.ndarray | None  # highest assessor value (a veto reported by anyone counts); None: = value
    assessors: np.ndarray | None  # how many assessors gave a value; None: one wherever there is a value
    notes: pd.DataFrame  # period, unit, code, assessor, note — rows that carried a note


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and labels, reusing a categorical's codes when the column already has them.

    Unused categories are harmless: only codes that occur become entities or columns.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy(dtype=np.int64)
        labels = series.cat.categories.to_numpy(dtype=object).astype(str)
        if (codes < 0).any():  # NaN in a categorical: give it its own "" label
            codes = np.where(codes < 0, len(labels), codes)
            labels = np.append(labels, "")
        return codes, labels
    codes, labels = pd.factorize(series.fillna("").astype(str), sort=False)
    return codes.astype(np.int64), np.asarray(labels, dtype=object).astype(str)


def _compact(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Map keys to 0..k-1 in sorted key order; also return the distinct keys. O(n + space)."""
    if space <= 50_000_000:
        present = np.bincount(key, minlength=space) > 0
        remap = np.cumsum(present) - 1
        return remap[key], np.flatnonzero(present)
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=np.int64)


def _combine(
    scheme: Scheme, cell: np.ndarray, value: np.ndarray, size: int, multi: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Per cell: the assessors' combined value, the highest value, and how many gave one.

    Cells with one row are placed directly; only rows of multi-assessor cells (`multi`) are
    aggregated. With none, the highest value is the value and the count is 0/1, so both are
    left as None rather than spending memory on them.
    """
    combined = np.full(size, np.nan)
    combined[cell] = value
    if multi is None or not multi.any():
        return combined, None, None
    g = pd.DataFrame({"cell": cell[multi], "v": value[multi]}).groupby("cell")["v"].agg(["sum", "count", "max", "min"])
    idx = g.index.to_numpy()
    total, n, hi, lo = (g[c].to_numpy() for c in ("sum", "count", "max", "min"))
    count = (~np.isnan(combined)).astype(np.int32)
    count[idx] = n
    vmax = combined.copy()
    vmax[idx] = hi
    combined[idx] = total / n
    if scheme.combine == "trimmed_mean":
        trim = n >= 3
        combined[idx[trim]] = (total[trim] - hi[trim] - lo[trim]) / (n[trim] - 2)
    return combined, vmax, count


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

    if "period" in values.columns:
        p_codes, p_labels = _codes(values["period"])
    else:
        p_codes, p_labels = np.zeros(n, np.int64), np.array([""], dtype=object)
    u_codes, u_labels = _codes(values["unit"])
    c_codes_raw, c_labels = _codes(values["code"])
    raw = values["value"]
    numeric = pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)
    value = raw.to_numpy(dtype=float, na_value=np.nan) if numeric else pd.to_numeric(raw, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    na = values["na"].fillna(False).to_numpy(dtype=bool) if "na" in values.columns else np.zeros(n, bool)
    if na.any():
        value = np.where(na, np.nan, value)

    columns = input_columns(scheme)
    col_index = {c.code: i for i, c in enumerate(columns)}
    label_to_col = np.array([col_index.get(str(lbl), -1) for lbl in c_labels], dtype=np.int64)
    col = label_to_col[c_codes_raw]
    used = np.bincount(c_codes_raw, minlength=len(c_labels)) > 0
    for bad in np.flatnonzero((label_to_col < 0) & used):
        problems.append(Problem(f"指标编码「{c_labels[bad]}」不在方案 {scheme.id} v{scheme.version} 中"))
    ok = col >= 0
    all_ok = bool(ok.all())
    safe_col = col if all_ok else np.where(ok, col, 0)

    # Entities: the (period, unit) pairs that occur, sorted by period then unit code.
    n_units = len(u_labels)
    pair = u_codes if len(p_labels) == 1 else p_codes * n_units + u_codes
    ent_codes, ent_pairs = _compact(pair, len(p_labels) * n_units)
    ent_period = pd.Categorical.from_codes(ent_pairs // n_units, p_labels) if len(set(p_labels)) == len(
        p_labels) else pd.Categorical(p_labels[ent_pairs // n_units])
    ent_unit = u_labels[ent_pairs % n_units]
    ent_category = _entity_categories(values, ent_codes, ent_unit, categories, problems)
    period_of = np.asarray(ent_period.astype(str))

    if "assessor" in values.columns:
        a_codes, a_labels = _codes(values["assessor"])
    else:
        a_codes, a_labels = np.zeros(n, np.int64), np.array([""], dtype=object)

    def where(i: int, code: str | None = None) -> dict:
        return {"unit": ent_unit[ent_codes[i]], "code": code or columns[col[i]].code,
                "period": p_labels[p_codes[i]] or None, "assessor": a_labels[a_codes[i]] or None}

    n_cols, n_ent = len(columns), len(ent_pairs)

    # Row-level checks: range, integer counts, yes/no cells, 不适用 where not allowed.
    has = ~np.isnan(value)
    lo = np.array([c.lo for c in columns])
    hi = np.array([c.hi for c in columns])
    bad = (value < lo[safe_col]) | (value > hi[safe_col]) | np.isinf(value)
    for flag, test in (("integer", lambda v: v != np.floor(v)), ("binary", lambda v: (v != 0) & (v != 1))):
        rule_cols = np.array([getattr(c, flag) for c in columns])
        if rule_cols.any():
            idx = np.flatnonzero(rule_cols[safe_col] & has)
            bad[idx[test(value[idx])]] = True
    bad_na = na & ~np.array([c.allow_na for c in columns])[safe_col] if na.any() else np.zeros(n, bool)
    if numeric:
        non_numeric = np.zeros(n, dtype=bool)
    else:  # text that did not parse as a number (the parsers upstream already mapped 是/否, % …)
        text = raw.astype(str).str.strip()
        non_numeric = (~has) & (~na) & raw.notna().to_numpy() & (text != "").to_numpy()
    invalid_row = ok & (bad | bad_na | non_numeric)
    for i in np.flatnonzero(invalid_row):
        c = columns[col[i]]
        if non_numeric[i]:
            msg = f"'{raw.iloc[i]}' 不是数字"
        elif bad_na[i]:
            msg = "该指标不允许填写「不适用」"
        elif c.binary and value[i] not in (0.0, 1.0) and c.lo == 0 and value[i] <= 1:
            msg = f"'{value[i]:g}' 应为 1（是/完成）或 0（否/未完成）"
        elif not np.isfinite(value[i]):
            msg = f"'{value[i]}' 不是有限数字"
        elif value[i] < c.lo or value[i] > c.hi:
            msg = f"'{value[i]:g}' 超出范围 {_range_text(c.lo, c.hi)}"
        elif c.binary:
            msg = f"'{value[i]:g}' 应为 1（是/完成）或 0（否/未完成）"
        else:
            msg = f"'{value[i]:g}' 应为整数次数"
        problems.append(Problem(msg, **where(i)))

    # Cells are numbered column-major so that each input column is contiguous in the matrix.
    cell = safe_col * n_ent + ent_codes
    size = n_ent * n_cols
    # Rows that share a cell: several assessors, or the same one twice (an error).
    rows_per_cell = np.bincount(cell if all_ok else cell[ok], minlength=size)
    multi = None
    if rows_per_cell.max(initial=0) > 1:
        multi = (rows_per_cell[cell] > 1) & ok
        shared = np.flatnonzero(multi)
        dup = pd.DataFrame({"cell": cell[shared], "a": a_codes[shared]}).duplicated().to_numpy()
        for i in shared[dup]:
            problems.append(Problem("同一考核人对同一单位同一指标填写了两次", **where(i)))
    del rows_per_cell

    use = ok & has & ~bad
    every = bool(use.all())
    combined, vmax, count = _combine(
        scheme,
        cell if every else cell[use],
        value if every else value[use],
        size,
        None if multi is None else (multi if every else multi[use]),
    )

    na_cells = np.zeros(size, dtype=bool)
    if na.any():
        na_count = np.bincount(cell[ok & na], minlength=size)
        na_cells = na_count > 0
        for c in np.flatnonzero(na_cells & ~np.isnan(combined)):
            problems.append(Problem("考核人意见不一致：有人填「不适用」，有人填了数值",
                                    ent_unit[c % n_ent], columns[c // n_ent].code, period_of[c % n_ent] or None))

    matrix = CellMatrix(
        periods=ent_period,
        units=ent_unit,
        categories=ent_category,
        columns=columns,
        value=combined.reshape(n_cols, n_ent).T,
        na=na_cells.reshape(n_cols, n_ent).T,
        vmax=None if vmax is None else vmax.reshape(n_cols, n_ent).T,
        assessors=None if count is None else count.reshape(n_cols, n_ent).T,
        notes=_notes(values, ok),
    )
    invalid = np.zeros(size, dtype=bool)
    if invalid_row.any():
        invalid[cell[invalid_row]] = True
    problems += _missing_problems(scheme, matrix, invalid.reshape(n_cols, n_ent).T)
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
        return pd.Categorical(mapped.fillna(""))
    if "category" in values.columns:
        first = np.full(len(ent_unit), -1, dtype=np.int64)
        rows = np.arange(len(ent_codes))
        first[ent_codes[::-1]] = rows[::-1]  # the first row of each entity
        return pd.Categorical(values["category"].iloc[first].astype(str))
    return pd.Categorical.from_codes(np.zeros(len(ent_unit), dtype=np.int8), ["全部"])


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
