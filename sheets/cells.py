"""One cell → a number, 不适用, or a reason it is neither.

The rules come from `scoring.inputs.input_columns` (range, integer, yes/no, 不适用) plus what
only a sheet needs: percentages, unit suffixes (8分, 3次) and the many ways people write yes/no.

`normalise_column` is the fast path used by every reader: numbers go through numpy in one
pass; only the cells that are text (是/否, 60%, ６０, 不适用 …) are looked at one by one, and
each distinct text only once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.inputs import InputColumn, input_columns, off_level
from scoring.scheme import Leaf, Scheme
from sheets.text import key, tidy

# -- what a cell can be wrong about (kinds; the wording lives in sheets.messages) ---------------
BLANK = "blank"
NOT_NUMBER = "not_number"
DATE = "date"
BOOL = "bool"
PERCENT_TEXT = "percent_text"
PERCENT_FORMAT = "percent_format"
NOT_YESNO = "not_yesno"
NA_NOT_ALLOWED = "na_not_allowed"
NEGATIVE = "negative"
OUT_OF_RANGE = "out_of_range"
NOT_INTEGER = "not_integer"
NOT_FINITE = "not_finite"
ONLY_NA = "only_na"
NOT_LEVEL = "not_level"  # 定性分档: neither a level's label nor its points
KINDS = (
    BLANK, NOT_NUMBER, DATE, BOOL, PERCENT_TEXT, PERCENT_FORMAT, NOT_YESNO, NA_NOT_ALLOWED, NEGATIVE,
    OUT_OF_RANGE, NOT_INTEGER, NOT_FINITE, ONLY_NA, NOT_LEVEL,
)  # fmt: skip
_KIND_CODE = {k: i + 1 for i, k in enumerate(KINDS)}  # 0 = fine

YES = frozenset({"是", "√", "✓", "✔", "☑", "完成", "已完成", "1", "Y", "YES", "TRUE", "对", "有", "达标", "是的"})
NO = frozenset(
    {"否", "×", "✗", "✘", "☒", "X", "未完成", "没完成", "0", "N", "NO", "FALSE", "错", "无", "未达标", "不是"}
)
NOT_APPLICABLE = frozenset({"不适用", "N/A", "NA", "无此项", "不涉及"})
_COUNT_SUFFIXES = ("次", "起", "例", "处", "个", "项", "件", "人次")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:E[+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@dataclass(frozen=True)
class CellRule:
    """What one input column accepts. `kind`: score (direct), number (target), count, yesno,
    level (定性分档: a level's label, or its points)."""

    code: str
    leaf_code: str
    kind: str
    lo: float
    hi: float
    integer: bool
    allow_na: bool
    percent: bool = False
    unit: str = ""
    blank_ok: bool = False  # deduction / bonus / veto: blank = nothing happened
    is_task: bool = False
    only_na: bool = False  # a checklist's own column: only 不适用 may be written there
    target: float | None = None  # a target leaf's target, on the scale the cells are written in
    levels: tuple[tuple[str, float], ...] = ()  # 定性分档: (label, points), highest first as in the scheme
    # A computed indicator's own column: the names of the raw inputs written instead (建档人数、…);
    # a raw input's column: the leaf's formula as shown in its header (建档率 = 建档人数 ÷ …).
    formula: str = ""


def level_choice(label: str, points: float) -> str:
    """A level as the template's dropdown offers it: '部分落实（1分）'."""
    return f"{label}（{points:g}分）"


def rules_for(scheme: Scheme) -> dict[str, CellRule]:
    """Input code → rule, in scheme order, from `scoring.inputs.input_columns`."""
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    blank_is_data = scheme.missing != "error"
    rules: dict[str, CellRule] = {}
    for c in input_columns(scheme):
        leaf = leaves[c.leaf_code]
        if c.method == "direct":
            kind = "score"
        elif c.method == "levels":
            kind = "level"
        elif c.method in ("target", "peer_rank", "improvement", "monitor"):  # all take an actual value
            kind = "number"
        elif c.part == "discretionary" or (c.method == "bonus" and not c.integer):
            kind = "score"  # 酌情扣分 (0–max) and 酌情加分 (0–cap): points, fractional
        elif c.integer:
            kind = "count"
        else:
            kind = "yesno"
        checklist_own = c.method == "checklist" and not c.is_task
        unit = getattr(leaf, "unit", "") or ""
        if c.part == "input":  # a raw input (建档人数) is in its own unit, not the computed rate's %
            unit = next((i.unit for i in leaf.inputs if i.code == c.code), "")
        # A deduction by kinds takes its counts under the kinds' codes: its own only says 不适用.
        checklist_own |= c.method == "deduction" and c.code == leaf.code and not leaf.own_counts
        # A computed indicator's own column likewise: the engine works its value out from the inputs.
        checklist_own |= c.computed
        rules[c.code] = CellRule(
            code=c.code,
            leaf_code=c.leaf_code,
            kind=kind,
            lo=c.lo,
            hi=c.hi,
            integer=c.integer,
            # 不适用 in a task cell makes the whole checklist 不适用 (checked by the caller).
            allow_na=c.allow_na or (c.is_task and (leaf.allow_na or scheme.missing == "not_applicable")),
            percent=unit == "%",
            unit=unit,
            blank_ok=c.method in ("deduction", "bonus", "veto")
            or checklist_own
            or blank_is_data
            or (c.method == "monitor" and not getattr(leaf, "required", False)),  # 监测指标: 「未填」
            is_task=c.is_task,
            only_na=checklist_own,
            target=getattr(leaf, "target", None) if c.part != "input" else None,
            levels=c.levels,
            formula=_formula_note(leaf, c),
        )
    return rules


def _formula_note(leaf: Leaf, c: InputColumn) -> str:
    """What a computed indicator's columns say about its formula ('' for any other column)."""
    if c.computed:
        return "、".join(i.name for i in leaf.inputs if i.source == "scoresheet")
    if c.part == "input":
        return formula_text(leaf)
    return ""


def formula_text(leaf: Leaf) -> str:
    """「建档率 = 建档人数 ÷ 常住人口 × 100（常住人口取自单位清单）」, as the template's headers show it."""
    text = f"{leaf.name} = {leaf.compiled().render()}"
    register = [i.name for i in leaf.inputs if i.source == "register"]
    return text + (f"（{'、'.join(register)}取自单位清单）" if register else "")


@dataclass(frozen=True)
class Cell:
    """A normalised cell: `value` (NaN when blank, 不适用 or wrong), `na`, and what is wrong."""

    value: float = math.nan
    na: bool = False
    kind: str | None = None
    hint: str | None = None  # what the user probably meant (e.g. '60' for 六十)

    @property
    def blank(self) -> bool:
        return self.kind is None and not self.na and math.isnan(self.value)


_BLANK_CELL = Cell()
_NA_CELL = Cell(na=True)


def normalise_cell(raw: object, rule: CellRule, percent_format: bool = False) -> Cell:
    """Read one cell under `rule`, range checks included. Never raises."""
    cell = _read(raw, rule, percent_format)
    if cell.kind is None and not math.isnan(cell.value):
        kind = _range_kind(cell.value, rule)
        if kind:
            return Cell(kind=kind)
    return cell


def _read(raw: object, rule: CellRule, percent_format: bool) -> Cell:
    if raw is None:
        return _BLANK_CELL
    if isinstance(raw, bool):
        if rule.kind == "yesno" and not rule.only_na:
            return Cell(1.0 if raw else 0.0)
        return Cell(kind=BOOL)
    if isinstance(raw, int | float | np.integer | np.floating):
        try:
            return _number(float(raw), rule, percent_format)
        except OverflowError:  # an integer beyond float range: infinite, as in `normalise_column`
            return _number(math.inf if raw > 0 else -math.inf, rule, percent_format)
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        return Cell(kind=DATE)
    return _text(str(raw), rule)


def _number(x: float, rule: CellRule, percent_format: bool) -> Cell:
    if math.isnan(x):
        return _BLANK_CELL
    if percent_format:
        if not rule.percent:
            return Cell(kind=PERCENT_FORMAT)
        x = round(x * 100, 10)
    if rule.only_na:
        return Cell(kind=ONLY_NA)
    return Cell(x)


def _text(text: str, rule: CellRule) -> Cell:
    k = key(text)
    if not k:
        return _BLANK_CELL
    if k in NOT_APPLICABLE:
        return _NA_CELL if rule.allow_na else Cell(kind=NA_NOT_ALLOWED)
    if rule.only_na:
        return Cell(kind=ONLY_NA)
    if rule.kind == "level":
        return _level(k, rule)
    if rule.kind == "yesno":
        if k in YES:
            return Cell(1.0)
        if k in NO:
            return Cell(0.0)
        number = _parse_number(k)
        if number is not None and number in (0.0, 1.0):
            return Cell(number)
        return Cell(kind=NOT_YESNO)
    body, percent = _strip_suffix(k, rule)
    number = _parse_number(body)
    if number is None:
        return Cell(kind=NOT_NUMBER, hint=_number_suggestion(body))
    if percent and not rule.percent:
        return Cell(kind=PERCENT_TEXT)
    return Cell(number)


def _level(k: str, rule: CellRule) -> Cell:
    """A level's label ('部分落实'), the dropdown's text ('部分落实（1分）') or its points ('1', '1分')."""
    for label, points in rule.levels:
        if k in (key(label), key(level_choice(label, points))):
            return Cell(points)
    number = _parse_number(k[:-1] if k.endswith("分") else k)
    if number is None:
        return Cell(kind=NOT_LEVEL)
    return Cell(number)  # whether it is a level's points is checked with the range


def _strip_suffix(k: str, rule: CellRule) -> tuple[str, bool]:
    """'92.5%' → ('92.5', True); '8分' → '8' for scores; '3次' → '3' for counts; the leaf's own unit."""
    if k.endswith("%"):
        return k[:-1], True
    if k.startswith("%"):  # '%92.5' typed the other way round is still a percentage
        return k[1:], True
    if rule.kind in ("score", "number") and k.endswith("分"):
        return k[:-1], False
    if rule.kind == "count":
        for suffix in _COUNT_SUFFIXES:
            if k.endswith(suffix):
                return k[: -len(suffix)], False
    unit = key(rule.unit) if rule.unit else ""
    if unit and unit != "%" and k.endswith(unit):
        return k[: -len(unit)], False
    return k, False


def _parse_number(k: str) -> float | None:
    if _NUMBER.fullmatch(k):
        x = float(k)
        return x if math.isfinite(x) else None
    if _THOUSANDS.fullmatch(k):
        return float(k.replace(",", ""))
    return None


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _chinese_number(text: str) -> float | None:
    """六十 → 60, 九十二点五 → 92.5, 十 → 10; None when it is not such a number."""
    whole, _, frac = text.partition("点")
    if not whole or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in whole):
        return None
    if frac and any(ch not in _CN_DIGITS for ch in frac):
        return None
    total, digit = 0, None
    for ch in whole:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    total += digit or 0
    if frac:
        return float(f"{total}.{''.join(str(_CN_DIGITS[ch]) for ch in frac)}")
    return float(total)


def _number_suggestion(body: str) -> str | None:
    """What the user probably meant, as a number to show (e.g. '60' for 六十, '92.5' for 92。5)."""
    for candidate in (body.replace("。", "."), body.replace("O", "0"), body.replace("L", "1")):
        if candidate != body and _parse_number(candidate) is not None:
            return candidate
    value = _chinese_number(body)
    if value is not None:
        return f"{value:g}"
    return None


def _range_kind(x: float, rule: CellRule) -> str | None:
    if not math.isfinite(x):
        return NOT_FINITE
    if rule.kind == "yesno":
        return None if x in (0.0, 1.0) else NOT_YESNO
    if rule.levels:
        return NOT_LEVEL if off_level(rule.levels, np.float64(x)) else None
    if x < rule.lo:
        return NEGATIVE if rule.lo == 0 else OUT_OF_RANGE
    if x > rule.hi:
        return OUT_OF_RANGE
    if rule.integer and x != math.floor(x):
        return NOT_INTEGER
    return None


# -- columns -------------------------------------------------------------------------------------
@dataclass
class ColumnCells:
    """Normalised cells of one input column: `kind[i]` is '' when cell i is fine."""

    value: np.ndarray  # float64, NaN where blank, 不适用 or wrong
    na: np.ndarray  # bool
    blank: np.ndarray  # bool: nothing written (after trimming spaces)
    bad: np.ndarray  # int positions of wrong cells
    kinds: list[str]  # parallel to `bad`
    hints: list[str | None]  # parallel to `bad`: what the user probably meant


def normalise_column(
    raw: np.ndarray,
    rule: CellRule,
    percent_format: np.ndarray | None = None,
    may_hold_bools: bool = True,
    empty: np.ndarray | None = None,
) -> ColumnCells:
    """Every cell of one column under `rule`. `raw` is an object array as read from the sheet.

    `percent_format` marks numeric cells shown as a percentage; `may_hold_bools=False` tells
    that no cell is a TRUE/FALSE logical value (so numbers can be converted in one pass).
    `empty` marks the cells the reader already knows hold '' (saves a pass).
    """
    raw = np.asarray(raw, dtype=object)
    n = len(raw)
    blank = _blank(raw) if empty is None else empty.copy()
    value = np.full(n, np.nan)
    na = np.zeros(n, dtype=bool)
    code = np.zeros(n, dtype=np.int8)
    hint_of: dict[int, str] = {}

    numbers, is_number = _numbers(raw, blank, may_hold_bools)
    value[is_number] = numbers[is_number]
    if percent_format is not None and percent_format.any():
        pf = percent_format & is_number
        if rule.percent:
            value[pf] = np.round(value[pf] * 100, 10)
        else:
            code[pf] = _KIND_CODE[PERCENT_FORMAT]
            value[pf] = np.nan
    if rule.only_na:
        hit = is_number & (code == 0)
        code[hit] = _KIND_CODE[ONLY_NA]
        value[hit] = np.nan

    # Everything that is neither blank nor a plain number: text, dates, logical values.
    rest = np.flatnonzero(~blank & ~is_number)
    if len(rest):
        codes, uniques = pd.factorize(pd.Series(raw[rest], dtype=object), use_na_sentinel=False)
        cells = [_read(u, rule, False) for u in uniques]
        for j, cell in enumerate(cells):
            at = rest[codes == j]
            if cell.kind:
                code[at] = _KIND_CODE[cell.kind]
                if cell.hint:
                    for i in at:
                        hint_of[int(i)] = cell.hint
            elif cell.na:
                na[at] = True
            elif math.isnan(cell.value):
                blank[at] = True
            else:
                value[at] = cell.value

    _check_ranges(value, rule, code)
    bad = np.flatnonzero(code)
    return ColumnCells(
        value=np.where(code > 0, np.nan, value),
        na=na,
        blank=blank,
        bad=bad,
        kinds=[KINDS[c - 1] for c in code[bad]],
        hints=[hint_of.get(int(i)) for i in bad],
    )


def _blank(raw: np.ndarray) -> np.ndarray:
    """Cells with nothing in them: '' as read by calamine, or None."""
    blank = raw == ""
    if not isinstance(blank, np.ndarray):  # numpy gives a scalar for an empty array
        blank = np.zeros(len(raw), dtype=bool)
    none = np.equal(raw, None)
    return blank | none


_NUMERIC_DTYPES = frozenset({"floating", "integer", "mixed-integer-float", "empty"})


def _numbers(raw: np.ndarray, blank: np.ndarray, may_hold_bools: bool) -> tuple[np.ndarray, np.ndarray]:
    """Float values, and which cells are numbers as stored (not text, dates or logical values).

    When every cell is a number (or blank) the column converts in one C-speed pass. Otherwise the
    cells are grouped by value (C-speed hashing) and only the distinct values are classified in
    Python; text (是, 60%, ' 60 ', 不适用), dates and logical values go to the per-text path, so a
    cell reads the same here as through `normalise_cell`.
    """
    filled = raw.copy()
    filled[blank] = np.nan
    if pd.api.types.infer_dtype(filled, skipna=False) in _NUMERIC_DTYPES:
        try:
            out = filled.astype(np.float64)
            return out, ~np.isnan(out) & ~blank  # no text, no logical values: nothing else to check
        except OverflowError:  # an integer beyond float range (not from Excel): it reads as infinite
            huge = [isinstance(v, int) and abs(v) >= 1 << 1023 for v in filled]
            filled[huge] = [math.inf if v > 0 else -math.inf for v in filled[huge]]
    codes, uniques = pd.factorize(filled, use_na_sentinel=False)
    as_float = np.full(len(uniques), np.nan)
    for j, u in enumerate(uniques):
        if isinstance(u, int | float):  # bool too: True hashes like 1.0; logical cells are told apart below
            as_float[j] = float(u)
    out = as_float[codes]
    is_number = ~np.isnan(out) & ~blank
    if may_hold_bools and is_number.any():
        # TRUE/FALSE convert to 1/0 above; they must be judged by the column's rule instead.
        at = np.flatnonzero(is_number)
        is_bool = np.fromiter((type(x) is bool for x in raw[at]), dtype=bool, count=len(at))
        is_number[at[is_bool]] = False
    return out, is_number


def _check_ranges(value: np.ndarray, rule: CellRule, code: np.ndarray) -> None:
    """Mark numbers that break the column's rule (vectorised; `code` is updated in place)."""
    ok = (code == 0) & ~np.isnan(value)
    if not ok.any():
        return
    v = np.where(ok, value, 0.0)
    with np.errstate(invalid="ignore"):
        not_finite = ok & ~np.isfinite(v)
        if rule.kind == "yesno":
            bad_yesno = ok & (v != 0) & (v != 1) & ~not_finite
            code[bad_yesno] = _KIND_CODE[NOT_YESNO]
        elif rule.levels:
            code[ok & ~not_finite & off_level(rule.levels, v)] = _KIND_CODE[NOT_LEVEL]
        else:
            low = ok & (v < rule.lo)
            code[low] = _KIND_CODE[NEGATIVE if rule.lo == 0 else OUT_OF_RANGE]
            code[ok & (v > rule.hi) & ~not_finite] = _KIND_CODE[OUT_OF_RANGE]
            if rule.integer:
                frac = ok & ~low & (v <= rule.hi) & (v != np.floor(v)) & ~not_finite
                code[frac] = _KIND_CODE[NOT_INTEGER]
    code[not_finite] = _KIND_CODE[NOT_FINITE]


# -- periods -------------------------------------------------------------------------------------
_P_MONTH = re.compile(r"(\d{4})(?:[-./年]|)(\d{1,2})月?(?:份)?")
_P_QUARTER = re.compile(r"(\d{4})(?:[-./年]|)(?:第)?Q?([1-4一二三四])(?:季度|季)?")
_P_YEAR = re.compile(r"(\d{4})(?:年度|年)?")
_CN_QUARTER = {"一": "1", "二": "2", "三": "3", "四": "4"}


def normalise_period(raw: object) -> str | None:
    """'2025-03', '2025年3月', '2025.3', 202503, a date → '2025-03'; '2025年第一季度', '2025Q1' → '2025-Q1';
    '2025年度' → '2025'. None when the text is not a period."""
    if isinstance(raw, dt.datetime | dt.date):
        return f"{raw.year:04d}-{raw.month:02d}"
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        if raw != raw or raw != int(raw):
            return None
        raw = str(int(raw))
    text = key(str(raw))
    if not text:
        return None
    if "Q" in text or "季" in text:
        m = _P_QUARTER.fullmatch(text.replace("-Q", "Q"))
        if m:
            return f"{m.group(1)}-Q{_CN_QUARTER.get(m.group(2), m.group(2))}"
        return None
    m = _P_MONTH.fullmatch(text)
    if m and (len(text) > 4) and 1 <= int(m.group(2)) <= 12 and not text.endswith("年"):
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = _P_YEAR.fullmatch(text)
    if m:
        return m.group(1)
    return None


def display(raw: object) -> str:
    """A cell value as text for a message: trimmed, at most 40 characters."""
    # abs() first: int() of an infinity raises, and huge floats read better in exponent form.
    if isinstance(raw, float) and abs(raw) < 1e15 and raw == int(raw):
        text = str(int(raw))
    elif isinstance(raw, dt.datetime):
        text = raw.strftime("%Y-%m-%d %H:%M") if (raw.hour or raw.minute) else raw.strftime("%Y-%m-%d")
    elif isinstance(raw, dt.date):
        text = raw.strftime("%Y-%m-%d")
    elif isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    else:
        text = tidy(str(raw)) if raw is not None else ""
    return text if len(text) <= 40 else text[:39] + "…"
