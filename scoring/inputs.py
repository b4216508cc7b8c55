"""Turning a long table of values into one dense cell matrix per scheme input.

The long table has a row per (period, unit, code, assessor). Scoring works on a dense matrix:
one row per unit and period ("entity"), one column per input code (leaf or checklist task).
Assessors are combined here, and every bad row or cell is collected as a located Problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring.derived import once
from scoring.errors import Problem
from scoring.periods import period_type
from scoring.scheme import ChecklistLeaf, DeductionLeaf, Leaf, Scheme

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
    # 定性分档: (label, points) of the allowed levels; a value must be one of these points.
    levels: tuple[tuple[str, float], ...] = ()
    # A deduction leaf's extra input: "kind" (迟报 counts) or "discretionary" (酌情扣分 points);
    # "input": a raw input of a computed indicator (建档人数), a number ≥ 0.
    part: str = ""
    # The leaf's actual is computed from its inputs (formula): its own code takes only 不适用.
    computed: bool = False


def off_level(levels: tuple[tuple[str, float], ...], v: np.ndarray) -> np.ndarray:
    """Values that are not the points of any level (NaN is not judged here: it reads as off).

    One |v − p| > 1e-9 per level, not an (n × levels) isclose: the same test, without the
    million-by-levels temporaries."""
    v = np.asarray(v, dtype=float)
    off = np.ones(v.shape, dtype=bool)
    for _, p in levels:
        off &= ~(np.abs(v - p) <= 1e-9)
    return off


def levels_text(levels: tuple[tuple[str, float], ...]) -> str:
    """'有计划并实施 3 分 / 部分落实 1 分 / 无 0 分'."""
    return " / ".join(f"{label} {p:g} 分" for label, p in levels)


def level_problem(shown: str, levels: tuple[tuple[str, float], ...]) -> str:
    return f"'{shown}' 不是允许的档次（{levels_text(levels)}）"


def input_columns(scheme: Scheme) -> list[InputColumn]:
    """Every code a value may be written against, in scheme order (worked out once per scheme)."""
    return list(once(scheme, "input_columns", lambda: tuple(_input_columns(scheme))))


def _input_columns(scheme: Scheme) -> list[InputColumn]:
    cols: list[InputColumn] = []
    inf = float("inf")
    for leaf in scheme.leaves:
        m = leaf.method
        levels: tuple[tuple[str, float], ...] = ()
        if m == "direct":
            lo, hi = 0.0, leaf.points
        elif m == "levels":
            lo, hi = 0.0, leaf.points
            levels = tuple((lv.label, lv.points) for lv in leaf.levels)
        elif m in ("target", "peer_rank", "improvement", "monitor"):  # an actual value, like a target's
            lo = -inf if leaf.valid_min is None else leaf.valid_min
            hi = inf if leaf.valid_max is None else leaf.valid_max
        elif m == "deduction" and not leaf.own_counts:
            lo, hi = 0.0, 0.0  # counts go under the kinds' codes; the leaf's own takes only 不适用
        elif m == "bonus" and leaf.discretionary:  # 酌情加分: the points themselves, 0–cap
            lo, hi = 0.0, leaf.cap
        elif m in ("deduction", "bonus"):
            lo, hi = 0.0, inf
        else:  # checklist (its own column is only for 不适用) and veto
            lo, hi = 0.0, 1.0
        allow_na = leaf.allow_na or scheme.missing == "not_applicable"
        if getattr(leaf, "computed", False):
            cols += _computed_columns(leaf, allow_na)
            continue
        cols.append(
            InputColumn(
                leaf.code,
                leaf.code,
                m,
                False,
                lo,
                hi,
                m in ("deduction", "bonus") and not getattr(leaf, "discretionary", False),
                m in ("veto", "checklist"),
                allow_na,
                levels,
            )
        )
        if isinstance(leaf, ChecklistLeaf):
            for task in leaf.tasks:
                cols.append(InputColumn(task.code, leaf.code, m, True, 0.0, 1.0, False, True, False))
        if isinstance(leaf, DeductionLeaf):
            cols += _deduction_parts(leaf)
    return cols


def _computed_columns(leaf: Leaf, allow_na: bool) -> list[InputColumn]:
    """A computed leaf's own column (only 不适用; the engine fills in the computed actual) and one
    column per raw input entered on the scoresheet (a count or amount ≥ 0; 不适用 on any of them
    makes the leaf 不适用)."""
    inf = float("inf")
    own = InputColumn(leaf.code, leaf.code, leaf.method, False, -inf, inf, False, False, allow_na, computed=True)
    raw = [
        InputColumn(code, leaf.code, leaf.method, False, 0.0, inf, False, False, allow_na, (), "input")
        for code in leaf.input_codes
    ]
    return [own, *raw]


def _deduction_parts(leaf: DeductionLeaf) -> list[InputColumn]:
    """The kinds' counts (whole numbers ≥ 0) and the discretionary points (0–max, fractional)."""
    out = []
    if not leaf.own_counts:
        for k in leaf.kinds:
            out.append(
                InputColumn(k.code, leaf.code, "deduction", False, 0.0, float("inf"), True, False, False, (), "kind")
            )
    code = leaf.discretionary_input
    if code is not None:
        hi = float(leaf.discretionary_max or 0)
        out.append(InputColumn(code, leaf.code, "deduction", False, 0.0, hi, False, False, False, (), "discretionary"))
    return out


@dataclass
class CellMatrix:
    """Combined inputs: `value[e, c]` (NaN where blank) and `na[e, c]` for 不适用."""

    periods: pd.Categorical  # entity -> period label
    units: np.ndarray  # entity -> unit label
    unit_codes: pd.Categorical  # the same, as a categorical for result frames
    categories: pd.Categorical  # entity -> category label (peer group)
    columns: list[InputColumn]
    value: np.ndarray
    na: np.ndarray
    vmax: np.ndarray | None  # highest assessor value (a veto reported by anyone counts); None: = value
    assessors: np.ndarray | None  # how many assessors gave a value; None: one wherever there is a value
    notes: pd.DataFrame  # period, unit, code, assessor, note — rows that carried a note
    # Computed indicators (scoring/computed.py): register figure name -> (value, year) per entity,
    # and leaf code -> entities made 不适用 by a divisor below the scheme's minimum.
    figures: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    below_minimum: dict[str, np.ndarray] = field(default_factory=dict)


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (of any width: widen before arithmetic) and unique labels (an object array),
    reusing a categorical's codes.

    Unused categories are harmless: only codes that occur become entities or columns.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.array.codes  # the codes themselves (`.cat.codes` wraps them in a Series first)
        labels = np.asarray(series.cat.categories.astype(str), dtype=object)
        if codes.min(initial=0) < 0:  # NaN in a categorical reads as blank (min: no mask pass)
            blank = np.flatnonzero(labels == "")
            if len(blank) == 0:
                labels = np.append(labels, "")
                blank = [len(labels) - 1]
            codes = np.where(codes < 0, blank[0], codes)
        return codes, labels  # the categorical's own (narrow) integer type: no widening pass
    codes, labels = pd.factorize(series.fillna("").astype(str), sort=False)
    return codes, np.asarray(labels, dtype=object)


def _labels_dtype(series: pd.Series | None, labels: np.ndarray) -> pd.CategoricalDtype:
    """`labels` as a categorical dtype, reusing the frame's own categories when they are the same
    strings (building them from an object array infers each label's type: ~3 ms per 25,000)."""
    if series is not None and isinstance(series.dtype, pd.CategoricalDtype):
        own = series.dtype.categories
        if own.dtype == "str" and len(own) == len(labels):
            return pd.CategoricalDtype(own)
    return pd.CategoricalDtype(labels)


def _compact(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Map keys to 0..k-1 in sorted key order; also return the distinct keys. O(n + space)."""
    if space <= 50_000_000:
        present = np.bincount(key, minlength=space) > 0
        if present.all():  # every key occurs: they already are 0..k-1
            return key, np.arange(space)
        remap = np.cumsum(present) - 1
        return remap[key], np.flatnonzero(present)
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=np.int64)


def _any_value(placed: np.ndarray) -> np.ndarray:
    """Per entity (column of the input × entity matrix), whether any input holds a value: the
    columns are looked at one by one until every entity has one, which in a complete month is
    after the first (one 25,000-cell pass instead of a reduction over the whole matrix)."""
    present = np.zeros(placed.shape[1], dtype=bool)
    for row in placed:
        present |= ~np.isnan(row)
        if present.all():
            break
    return present


def _bad_cells(columns: list[InputColumn], placed: np.ndarray) -> np.ndarray:
    """Cells (input column × entity) whose value breaks its column's rule; NaN is never bad.

    The range is one comparison over the whole matrix at once (an open bound becomes the largest
    double, so ±inf fails it too and no separate isinf pass is needed; NaN compares false); only
    the few columns with a further rule (whole counts, 0/1, levels) are looked at one by one."""
    big = np.finfo(float).max
    lo = np.array([max(c.lo, -big) for c in columns])[:, None]
    hi = np.array([min(c.hi, big) for c in columns])[:, None]
    out = placed < lo
    out |= placed > hi
    for j, c in enumerate(columns):
        if not (c.integer or c.binary or c.levels):
            continue
        v = placed[j]
        if c.integer:  # floor(v) < v: a fraction; NaN and ±inf compare false (inf fails the range)
            out[j] |= np.floor(v) < v
        if c.binary:  # within the range 0–1 already: anything strictly between is neither
            out[j] |= (v != 0) & (v != 1) & ~np.isnan(v)
        if c.levels:
            out[j] |= off_level(c.levels, v) & ~np.isnan(v)
    return out


def _bad_values(columns: list[InputColumn], col: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The same rules, row by row, for a (small) subset of rows."""
    lo = np.array([c.lo for c in columns])[col]
    hi = np.array([c.hi for c in columns])[col]
    integer = np.array([c.integer for c in columns])[col]
    binary = np.array([c.binary for c in columns])[col]
    bad = (
        (value < lo)
        | (value > hi)
        | np.isinf(value)
        | (integer & (value != np.floor(value)))
        | (binary & (value != 0) & (value != 1))
    )
    for i in np.flatnonzero(np.array([bool(c.levels) for c in columns])[col]):  # few rows: one by one
        bad[i] |= bool(off_level(columns[col[i]].levels, value[i]))
    return bad


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
        p_codes, p_labels = np.broadcast_to(np.int64(0), n), np.array([""], dtype=object)
    u_codes, u_labels = _codes(values["unit"])
    c_codes_raw, c_labels = _codes(values["code"])
    raw = values["value"]
    numeric = pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)
    value = (
        raw.to_numpy(dtype=float, na_value=np.nan)
        if numeric
        else pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    )
    na = values["na"].fillna(False).to_numpy(dtype=bool) if "na" in values.columns else np.zeros(n, bool)
    if na.any():
        value = np.where(na, np.nan, value)

    columns = input_columns(scheme)
    col_index = {c.code: i for i, c in enumerate(columns)}
    label_to_col = np.array([col_index.get(str(lbl), -1) for lbl in c_labels], dtype=np.int64)
    known = label_to_col >= 0
    # Judged per code label: when every label is a scheme code no row needs looking at. A row's
    # column is looked up only for the few rows that need it (problems, row-by-row checks).
    ok = np.ones(n, dtype=bool) if known.all() else np.take(known, c_codes_raw)

    def col_of(rows: np.ndarray | int) -> np.ndarray:
        return np.take(label_to_col, c_codes_raw[rows])

    unknown = np.flatnonzero(~ok) if not known.all() else np.zeros(0, dtype=np.int64)
    if len(unknown):  # one problem per unknown code, naming the units that used it
        pairs = pd.DataFrame({"c": c_codes_raw[unknown], "u": u_codes[unknown]}).drop_duplicates()
        for c, us in pairs.groupby("c", sort=True)["u"]:
            names = [str(u_labels[u]) for u in us.iloc[:3]]
            where_units = (
                "" if len(us) == 1 else f"（单位：{'、'.join(names)}{'' if len(us) <= 3 else f' 等 {len(us)} 个'}）"
            )
            problems.append(
                Problem(
                    f"指标编码「{c_labels[c]}」不在方案 {scheme.id} v{scheme.version} 中{where_units}",
                    unit=names[0] if len(us) == 1 else None,
                    code=str(c_labels[c]),
                )
            )
    all_ok = bool(known.all()) or bool(ok.all())

    # Entities: the (period, unit) pairs that occur, sorted by period then unit code. Cells are
    # numbered column-major so that each input column is contiguous in the matrix: one lookup of
    # each code label's first cell (an unknown code's rows go to column 0, unused).
    n_units, n_cols = len(u_labels), len(columns)
    pair = u_codes if len(p_labels) == 1 else p_codes.astype(np.int64) * n_units + u_codes
    space = len(p_labels) * n_units
    first_col = np.where(known, label_to_col, 0)
    # NaN anywhere makes the sum NaN: one reduction (no million-cell mask) finds a frame without
    # blanks; ±inf summing to NaN only sends it the long way.
    has = np.ones(n, dtype=bool) if not np.isnan(np.add.reduce(value)) else ~np.isnan(value)
    cand = ok & has
    every = bool(cand.all())
    ent_codes = None
    if space * n_cols <= 2 * n + 4096:
        # Dense (the usual case): cells keyed by the pair itself. The pairs that occur are read off
        # the matrix (a column of entity × input with any value) instead of counting rows per pair;
        # only when some pair is absent are the entities compacted as below.
        cell = np.take(first_col * space, c_codes_raw)
        cell += pair
        placed = np.full(space * n_cols, np.nan)
        placed[cell if every else cell[cand]] = value if every else value[cand]
        present = _any_value(placed.reshape(n_cols, space))
        if not every:  # rows without a value (blank, 不适用, unknown code) make an entity too
            present[pair[~cand]] = True
        if present.all():
            ent_codes, ent_pairs = pair, np.arange(space)
    if ent_codes is None:
        ent_codes, ent_pairs = _compact(pair, space)
        cell = np.take(first_col * len(ent_pairs), c_codes_raw)
        cell += ent_codes
        placed = np.full(len(ent_pairs) * n_cols, np.nan)
        placed[cell if every else cell[cand]] = value if every else value[cand]
    ent_period = pd.Categorical.from_codes(
        ent_pairs // n_units, dtype=_labels_dtype(values.get("period"), p_labels), validate=False
    )
    ent_unit_cat = pd.Categorical.from_codes(
        ent_pairs % n_units, dtype=_labels_dtype(values["unit"], u_labels), validate=False
    )
    ent_unit = u_labels[ent_pairs % n_units]
    ent_category = _entity_categories(values, ent_codes, ent_pairs % n_units, u_labels, categories, problems)
    period_of = p_labels[ent_pairs // n_units]
    problems += _scope_problems(
        scheme, p_labels, ent_unit, ent_category, explicit=categories is not None or "category" in values.columns
    )

    if "assessor" in values.columns:
        a_codes, a_labels = _codes(values["assessor"])
    else:
        a_codes, a_labels = np.broadcast_to(np.int64(0), n), np.array([""], dtype=object)

    def where(i: int, code: str | None = None) -> dict:
        return {
            "unit": ent_unit[ent_codes[i]],
            "code": code or columns[col_of(i)].code,
            "period": p_labels[p_codes[i]] or None,
            "assessor": a_labels[a_codes[i]] or None,
        }

    n_ent = len(ent_pairs)
    size = n_ent * n_cols

    # Rows that share a cell: several assessors, or the same one twice (an error). When every
    # value row filled a cell of its own there are none, and counting rows per cell is skipped.
    multi = None
    rows_per_cell = None
    n_cand = n if every else np.count_nonzero(cand)
    if size - np.count_nonzero(np.isnan(placed)) < n_cand or (not every and np.count_nonzero(ok & ~has)):
        rows_per_cell = np.bincount(cell if all_ok else cell[ok], minlength=size)
    if rows_per_cell is not None and rows_per_cell.max(initial=0) > 1:
        multi = (rows_per_cell[cell] > 1) & ok
        shared = np.flatnonzero(multi)
        dup = pd.DataFrame({"cell": cell[shared], "a": a_codes[shared]}).duplicated().to_numpy()
        for i in shared[dup]:
            problems.append(Problem("同一考核人对同一单位同一指标填写了两次", **where(i)))
    del rows_per_cell

    # Values are screened column by column on the placed cells (contiguous, no gathers); only
    # rows of suspicious or shared cells are then checked one by one.
    suspicious = _bad_cells(columns, placed.reshape(n_cols, n_ent)).ravel()
    check = cand & suspicious[cell] if suspicious.any() else None
    if multi is not None:
        check = cand & multi if check is None else check | (cand & multi)
    bad = np.zeros(n, dtype=bool)
    if check is not None:
        rows = np.flatnonzero(check)
        bad[rows] = _bad_values(columns, col_of(rows), value[rows])
    # A unit whose category the scheme does not assess on a leaf (variants: 不适用) leaves it blank
    # or writes 不适用; a value there is refused, not silently dropped.
    off = _variant_off(scheme, columns, ent_category)
    off_row = np.zeros(n, dtype=bool)
    placed_2d = placed.reshape(n_cols, n_ent)
    # Rows in such a cell matter only when one holds a value (refused) or 不适用 (allowed there):
    # with neither, as usual, no row is looked at.
    if any((off_e & ~np.isnan(placed_2d[j])).any() for j, off_e in off.items()) or (off and na.any()):
        for j, off_e in off.items():  # gathered only on the rows of the few columns with a variant
            rows = np.flatnonzero((cell >= j * n_ent) & (cell < (j + 1) * n_ent) & ok)
            off_row[rows] = off_e[ent_codes[rows]]
        bad |= off_row & has
    invalid_row = bad.copy()
    bad_na = np.zeros(n, bool)
    if na.any():
        allow = np.array([columns[j].allow_na if j >= 0 else True for j in label_to_col], dtype=bool)
        bad_na = na & ~np.take(allow, c_codes_raw) & ~off_row
        invalid_row |= bad_na
    non_numeric = np.zeros(n, dtype=bool)
    if not numeric:  # text that did not parse as a number (the parsers upstream already mapped 是/否, % …)
        text = raw.astype(str).str.strip()
        non_numeric = (~has) & (~na) & raw.notna().to_numpy() & (text != "").to_numpy()
        invalid_row |= non_numeric
    if not all_ok:
        invalid_row &= ok
    for i in np.flatnonzero(invalid_row):
        c = columns[col_of(i)]
        if off_row[i]:
            msg = f"{ent_category[ent_codes[i]]}不考核本项（方案规定不适用），请留空或填「不适用」"
        elif non_numeric[i]:
            msg = f"'{raw.iloc[i]}' 不是数字"
        elif bad_na[i]:
            msg = "该指标不允许填写「不适用」"
        elif c.levels and np.isfinite(value[i]):
            msg = level_problem(f"{value[i]:g}", c.levels)
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

    if not bad.any() and multi is None:
        combined, vmax, count = placed, None, None
    else:
        use = cand & ~bad
        combined, vmax, count = _combine(scheme, cell[use], value[use], size, None if multi is None else multi[use])
    del placed

    na_cells = np.zeros(size, dtype=bool)
    if na.any():
        na_count = np.bincount(cell[ok & na], minlength=size)
        na_cells = na_count > 0
        for c in np.flatnonzero(na_cells & ~np.isnan(combined)):
            problems.append(
                Problem(
                    "考核人意见不一致：有人填「不适用」，有人填了数值",
                    ent_unit[c % n_ent],
                    columns[c // n_ent].code,
                    period_of[c % n_ent] or None,
                )
            )

    matrix = CellMatrix(
        periods=ent_period,
        units=ent_unit,
        unit_codes=ent_unit_cat,
        categories=ent_category,
        columns=columns,
        value=combined.reshape(n_cols, n_ent).T,
        na=na_cells.reshape(n_cols, n_ent).T,
        vmax=None if vmax is None else vmax.reshape(n_cols, n_ent).T,
        assessors=None if count is None else count.reshape(n_cols, n_ent).T,
        notes=_notes(values, ok),
    )
    for j, off_e in off.items():  # 不适用 by category, like a 不适用 cell: 按适用项折算
        matrix.na[off_e, j] = True
        matrix.value[off_e, j] = np.nan
    invalid = np.zeros(size, dtype=bool)
    if invalid_row.any():
        invalid[cell[invalid_row]] = True
    problems += _missing_problems(scheme, matrix, invalid.reshape(n_cols, n_ent).T)
    return matrix, problems


def _variant_off(scheme: Scheme, columns: list[InputColumn], categories: pd.Categorical) -> dict[int, np.ndarray]:
    """Input column -> entities whose category is not assessed on the column's leaf (a variant
    with applicable: false); only the columns that have such a variant (usually none)."""
    off_cats = {
        leaf.code: [c for c in leaf.variants if leaf.variant_for(c) is None] for leaf in scheme.leaves if leaf.variants
    }
    if not any(off_cats.values()):
        return {}
    # Judged once per category label, then spread by the categorical's codes (converting every
    # entity's label to text cost 5 ms at 25,000 units).
    labels = [str(x) for x in categories.categories]
    codes = np.asarray(categories.codes)
    return {
        j: np.isin(labels, off_cats[c.leaf_code])[codes] for j, c in enumerate(columns) if off_cats.get(c.leaf_code)
    }


def _range_text(lo: float, hi: float) -> str:
    if np.isinf(hi) and np.isinf(lo):
        return "（任意数字）"
    if np.isinf(hi):
        return f"（应 ≥ {lo:g}）"
    if np.isinf(lo):
        return f"（应 ≤ {hi:g}）"
    return f"（应在 {lo:g} 到 {hi:g} 之间）"


_PERIOD_FORMS = {"month": ("月度", "2025-03"), "quarter": ("季度", "2025-Q1"), "year": ("年度", "2025")}


def _scope_problems(
    scheme: Scheme, periods: np.ndarray, units: np.ndarray, categories: pd.Categorical, explicit: bool
) -> list[Problem]:
    """Periods of another kind than the scheme's, and units of categories it does not cover."""
    out = []
    kind, example = _PERIOD_FORMS[scheme.period_type]
    for label in periods:
        if label and period_type(label) != scheme.period_type:
            out.append(
                Problem(
                    f"期间「{label}」不是{kind}期间：方案按{kind}考核，期间应写作 {example} 这样的格式", period=label
                )
            )
    if explicit and scheme.categories:
        labels = [str(x) for x in categories.categories]
        outside = ~np.isin(labels, scheme.categories)[np.asarray(categories.codes)]
        for u in np.unique(units[outside]):
            out.append(Problem(f"单位类别不在方案适用范围（{'、'.join(scheme.categories)}）内", u))
    return out


def _entity_categories(
    values: pd.DataFrame,
    ent_codes: np.ndarray,
    ent_unit_codes: np.ndarray,
    u_labels: np.ndarray,
    categories: pd.Series | None,
    problems: list[Problem],
) -> pd.Categorical:
    """Peer group of each entity: an explicit unit → category map, else a `category` column."""
    if categories is not None:
        # Look each distinct unit up once, then spread to entities by code.
        index = categories.index.astype(str)
        unit = values["unit"]
        own = unit.cat.categories if isinstance(unit.dtype, pd.CategoricalDtype) else None
        if len(index) == len(u_labels) and (
            (own is not None and len(own) == len(u_labels) and index.equals(own))  # compared in Arrow
            or (index.to_numpy(dtype=object) == u_labels).all()
        ):
            at = np.arange(len(u_labels))  # the map lists units in the frame's own order
        else:
            at = pd.Index(index).get_indexer(u_labels)
        for u in np.unique(ent_unit_codes[at[ent_unit_codes] < 0]):
            problems.append(Problem("单位不在单位清单中，无法确定类别", u_labels[u]))
        cat_codes, cat_labels = pd.factorize(categories.astype(str))
        labels = [*cat_labels, "（无类别）"]
        label_code = np.where(at >= 0, cat_codes[np.maximum(at, 0)], len(cat_labels))
        return pd.Categorical.from_codes(label_code[ent_unit_codes], labels)
    if "category" in values.columns:
        first = np.full(len(ent_unit_codes), -1, dtype=np.int64)
        rows = np.arange(len(ent_codes))
        first[ent_codes[::-1]] = rows[::-1]  # the first row of each entity
        return pd.Categorical(values["category"].iloc[first].astype(str))
    return pd.Categorical.from_codes(np.zeros(len(ent_unit_codes), dtype=np.int8), ["全部"])


def _notes(values: pd.DataFrame, ok: np.ndarray) -> pd.DataFrame:
    cols = ["period", "unit", "code", "assessor", "note"]
    if "note" not in values.columns:  # the same empty frame as DataFrame(columns=cols), built faster
        return pd.DataFrame(np.empty((0, len(cols)), dtype=object), columns=cols)
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
    leaf_col = {c.code: j for j, c in enumerate(m.columns) if not c.is_task}
    found: list[tuple[np.ndarray, int]] = []
    for j, c in enumerate(m.columns):
        if c.method in _BLANK_IS_ZERO or (c.method == "checklist" and not c.is_task) or c.computed:
            continue
        if c.method == "monitor" and not scheme.leaf(c.leaf_code).required:
            continue  # a 监测指标 left blank is shown as 「未填」; it blocks nothing unless required
        blank = np.isnan(m.value[:, j]) & ~m.na[:, j] & ~invalid[:, j]
        if c.is_task or c.part == "input":  # a checklist or computed leaf marked 不适用 needs no inputs
            blank &= ~m.na[:, leaf_col[c.leaf_code]]
        if not blank.any():
            continue
        if scheme.missing == "zero":
            m.value[blank, j] = 0.0
        elif scheme.missing == "not_applicable":
            m.na[blank, j] = True
            if c.is_task:  # a blank task makes its whole checklist 不适用
                m.na[blank, leaf_col[c.leaf_code]] = True
        else:
            found.append((np.flatnonzero(blank), j))
    problems: list[Problem] = []
    for rows, j in found:
        for e in rows:
            if len(problems) == 1000:
                total = sum(len(r) for r, _ in found)
                return problems + [Problem(f"另有 {total - 1000} 个空白单元格")]
            problems.append(
                Problem(
                    "缺少数值（空白不等于 0；如确不适用请填「不适用」）",
                    m.units[e],
                    m.columns[j].code,
                    m.periods[e] or None,
                )
            )
    return problems
