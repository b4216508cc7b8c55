"""Excel templates generated from a scheme, a period and a list of units (xlsxwriter).

Two layouts, both read back by `sheets.reader.read_scores`:
- wide (评分): one row per unit, one column per input code. A header block shows 一级指标 over
  the leaf names (checklists over their tasks), the points and what to write, then the codes.
  Deduction, bonus and veto columns are followed by a 说明 column; a last 备注 column is free.
- per-unit: one sheet per unit, one row per leaf or task: 编码, 指标, 分值, 评分标准, 实际值/得分, 说明.

Every template has a 说明 sheet explaining each method the scheme uses, frozen panes, protected
header cells (input cells are unlocked, no password), data validation (ranges; 是/否 dropdowns;
「不适用」 only where the leaf allows it), and states its period, scheme name and version in the
sheet, and period, scheme id and version in a very hidden `_meta` sheet, so that a mismatch is caught on upload.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from scoring.explain import fmt, peer_rule_text, rule_text, variant_rule_text
from scoring.periods import period_name
from scoring.scheme import ChecklistLeaf, DeductionLeaf, Leaf, Scheme
from sheets import messages as msg
from sheets.cells import CellRule, level_choice, rules_for
from sheets.guide import GUIDE_TABLE_HEADER, METHOD_NAMES, guide_lines
from sheets.headers import deduction_parts, formula_inputs
from sheets.reader import META_SHEET

Layout = Literal["wide", "per-unit"]
WIDE_SHEET = "评分"
GUIDE_SHEET = "说明"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_ROWS = 5  # 一级指标, 指标, 任务, 分值/要求, 编码
_FIRST_HEADER_ROW = 2


@dataclass(frozen=True)
class _Column:
    kind: str  # 'input', 'note', 'remark'
    code: str  # input code (for notes: the leaf they explain)
    top: str  # 一级指标 shown over it
    leaf: str  # leaf name
    task: str  # task name ('' unless a checklist task)
    requirement: str
    key: str  # the code row: input code, '<code>说明', '备注'


def build_template(
    scheme: Scheme,
    period: str,
    units: pd.DataFrame | Sequence[tuple[str, str]],
    *,
    layout: Layout = "wide",
    values: pd.DataFrame | None = None,
    assessor: str | None = None,
) -> bytes:
    """An .xlsx template for `scheme` and `period`, one row (wide) or sheet (per-unit) per unit.

    `units`: (code, name) pairs or a frame with code and name columns, and optionally a category
    column (or (code, name, category) triples): a per-unit sheet then shows each leaf's rule as it
    applies to that unit's category (variants). `values`: an optional long frame (unit, code,
    value[, na, note]) to prefill, e.g. to hand back a submission for correction.
    """
    unit_list = _units(units)
    categories = _unit_categories(units)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    styles = _Styles(book)
    rules = rules_for(scheme)
    filled = _Prefill(values, scheme) if values is not None and len(values) else None
    if layout == "wide":
        _wide(book, styles, scheme, period, unit_list, rules, filled, assessor)
    elif layout == "per-unit":
        _per_unit(book, styles, scheme, period, unit_list, rules, filled, assessor, categories)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    _guide(book, styles, scheme, period, rules)
    _meta(book, scheme, period, layout)
    book.close()
    return buf.getvalue()


def _units(units: pd.DataFrame | Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(units, pd.DataFrame):
        return [(str(c), str(n)) for c, n in zip(units["code"], units["name"], strict=True)]
    return [(str(u[0]), str(u[1])) for u in units]


def _unit_categories(units: pd.DataFrame | Sequence[tuple[str, ...]]) -> dict[str, str]:
    """Unit code -> category, for the units whose category is given (a frame's category column,
    or the third item of a triple); blank categories are left out."""
    if isinstance(units, pd.DataFrame):
        if "category" not in units.columns:
            return {}
        pairs = zip(units["code"], units["category"], strict=True)
    else:
        pairs = ((u[0], u[2]) for u in units if len(u) > 2)
    return {str(c): str(k) for c, k in pairs if k is not None and not pd.isna(k) and str(k).strip()}


def _unit_rule_text(leaf: Leaf, category: str | None) -> str:
    """A leaf's rule on one unit's own sheet: its category's standard (「专科医院标准：…」), or
    「本单位不适用」 where the category is not assessed on it; otherwise the general rule."""
    if not category:
        return rule_text(leaf)
    if category in leaf.variants and leaf.variant_for(category) is None:
        return f"本单位不适用（{category}不考核本项）"
    return variant_rule_text(leaf, category)


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook):
        border = {"border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.label = book.add_format({"bold": True, "bg_color": "#F2F2F2", **border})
        self.meta = book.add_format({"bg_color": "#F2F2F2", **border})
        self.assessor = book.add_format({"locked": False, "bg_color": "#FFFFFF", "bottom": 1, **border})
        self.top = book.add_format(
            {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#BDD7EE", **border}
        )
        self.head = book.add_format(
            {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7", **border}
        )
        self.req = book.add_format({"align": "center", "text_wrap": True, "font_size": 9, "font_color": "#595959",
                                    "bg_color": "#F2F2F2", **border})  # fmt: skip
        self.code = book.add_format({"align": "center", "font_size": 9, "font_color": "#7F7F7F", "bg_color": "#F2F2F2",
                                     **border})  # fmt: skip
        self.unit = book.add_format({"bg_color": "#F2F2F2", **border})
        self.input = book.add_format({"locked": False, "bg_color": "#FFFFFF", **border})
        self.choice = book.add_format({"locked": False, "bg_color": "#FFFFFF", "align": "center", **border})
        self.note = book.add_format({"locked": False, "bg_color": "#FFFFFF", "text_wrap": True, **border})
        self.closed = book.add_format({"bg_color": "#D9D9D9", "font_color": "#7F7F7F", "align": "center", **border})
        self.group = book.add_format({"bold": True, "bg_color": "#DDEBF7", **border})
        self.cell = book.add_format({"text_wrap": True, **border})
        self.center = book.add_format({"align": "center", **border})
        self.heading = book.add_format({"bold": True, "font_size": 12})
        self.text = book.add_format({"text_wrap": True, "valign": "top"})


# -- what each input column accepts -----------------------------------------------------------------
def _requirement(rule: CellRule, scheme: Scheme) -> str:
    leaf = scheme.leaf(rule.leaf_code)
    if rule.is_task:
        points = next(t.points for t in leaf.tasks if t.code == rule.code)
        # An all-or-nothing checklist's tasks earn nothing on their own: say what one miss costs.
        text = "全部完成才得分 · 是/否" if getattr(leaf, "all_required", False) else f"{fmt(points)}分 · 是/否"
    elif rule.formula and rule.only_na:  # a computed indicator's own column: only 不适用
        text = f"{fmt(leaf.points)}分 · 由公式计算，不填数字"
    elif rule.formula:  # a raw input: what to write, and the formula it goes into
        text = _formula_input_requirement(leaf, rule)
    elif leaf.method == "direct":
        text = f"{fmt(leaf.points)}分 · 填0–{fmt(leaf.points)}"
    elif leaf.method == "levels":
        text = f"{fmt(leaf.points)}分 · 下拉选择档次"
    elif leaf.method == "target":
        text = f"{fmt(leaf.points)}分 · 填实际值" + ("(%)" if rule.percent else (f"({leaf.unit})" if leaf.unit else ""))
    elif leaf.method == "peer_rank":  # the rule itself: what rank earns what
        unit = "(%)" if rule.percent else (f"({leaf.unit})" if leaf.unit else "")
        text = f"{fmt(leaf.points)}分 · 填实际值{unit} · {peer_rule_text(leaf)}"
    elif leaf.method == "improvement":  # the entered value is this period's; the rule reads the change
        unit = "(%)" if rule.percent else (f"({leaf.unit})" if leaf.unit else "")
        text = f"{fmt(leaf.points)}分 · 填本期实际值{unit} · {rule_text(leaf)}"
    elif leaf.method == "deduction" and leaf.from_total:
        cap = f"，最多{fmt(leaf.cap)}分" if leaf.cap is not None else ""
        text = f"从总分扣 · 每次扣{fmt(leaf.per_occurrence)}分{cap} · 填次数"
    elif leaf.method == "monitor":  # no points: the unit, and that it is not scored
        unit = "(%)" if rule.percent else (f"({leaf.unit})" if leaf.unit else "")
        text = f"监测指标，不计分 · 填实际值{unit}" + ("" if leaf.required else " · 可留空")
    elif leaf.method == "deduction" and rule.code != leaf.code:
        text = _deduction_part_requirement(leaf, rule.code)
    elif leaf.method == "deduction" and not leaf.own_counts:
        text = f"{fmt(leaf.points)}分 · 分类填次数（见下）"
    elif leaf.method == "deduction":
        text = f"{fmt(leaf.points)}分 · 每次扣{fmt(leaf.per_occurrence)}分 · 填次数"
    elif leaf.method == "bonus" and leaf.discretionary:
        text = f"酌情加0–{fmt(leaf.cap)}分 · 填加分（可有小数）"
    elif leaf.method == "bonus":
        cap = f"，最多{fmt(leaf.cap)}分" if getattr(leaf, "cap", None) else ""
        text = f"每次加{fmt(leaf.per_occurrence)}分{cap} · 填次数"
    else:
        text = "一票否决 · 发生填是"
    if rule.allow_na:
        text += f" · 可填{msg.NA_WORD}"
    return tag_prefix(leaf, scheme) + text


def tag_prefix(leaf: Leaf, scheme: Scheme) -> str:
    """「★核心指标 · 国家监测 · 」 before a tagged leaf's requirement, as the published table marks it
    ('' without tags). Only display rows carry it: uploads read the code row, never this one."""
    return "".join(f"{scheme.tag_mark(t)}{t} · " for t in leaf.tags)


def _formula_input_requirement(leaf: Leaf, rule: CellRule) -> str:
    """「填建档人数(人)，不小于0 · 建档率 = 建档人数 ÷ 常住人口 × 100（常住人口取自单位清单）」."""
    inp = next(i for i in leaf.inputs if i.code == rule.code)
    unit = f"({inp.unit})" if inp.unit else ""
    return f"填{inp.name}{unit}，不小于0 · {rule.formula}"


def _deduction_part_requirement(leaf: DeductionLeaf, code: str) -> str:
    """'每次扣0.5分 · 填次数' for a kind, '酌情扣0–2分 · 填扣分' for the discretionary part."""
    if code == leaf.discretionary_input:
        return f"酌情扣0–{fmt(leaf.discretionary_max)}分 · 填扣分（可有小数）"
    rate = next(r for c, _, r in leaf.rates if c == code)
    return f"每次扣{fmt(rate)}分 · 填次数"


def _validation(rule: CellRule, top_left: str, scheme: Scheme) -> dict | None:
    """xlsxwriter data validation for cells under `rule`; `top_left` is the range's first cell."""
    leaf = scheme.leaf(rule.leaf_code)
    title = leaf.name[:30]
    message = (msg.expected(rule) + "。" + rule_text(leaf))[:250]
    base = {"input_title": title, "input_message": message, "error_title": "填写有误",
            "error_message": f"应为 {msg.expected(rule)}"[:250], "ignore_blank": True}  # fmt: skip
    if rule.kind == "yesno":
        choices = [msg.YES_WORD, msg.NO_WORD] + ([msg.NA_WORD] if rule.allow_na else [])
        return {"validate": "list", "source": choices, **base}
    if rule.only_na and rule.formula:  # a computed indicator's own cell: 不适用 or nothing
        return {"validate": "list", "source": [msg.NA_WORD], **base} if rule.allow_na else None
    if rule.kind == "level":
        return _level_validation(rule, base)
    lo = None if math.isinf(rule.lo) else rule.lo
    hi = None if math.isinf(rule.hi) else rule.hi
    if rule.allow_na:
        parts = [f"ISNUMBER({top_left})"]
        if lo is not None:
            parts.append(f"{top_left}>={lo:g}")
        if hi is not None:
            parts.append(f"{top_left}<={hi:g}")
        if rule.integer:
            parts.append(f"{top_left}=INT({top_left})")
        return {"validate": "custom", "value": f'=OR({top_left}="{msg.NA_WORD}",AND({",".join(parts)}))', **base}
    kind = "integer" if rule.integer else "decimal"
    if lo is not None and hi is not None:
        return {"validate": kind, "criteria": "between", "minimum": lo, "maximum": hi, **base}
    if lo is not None:
        return {"validate": kind, "criteria": ">=", "value": lo, **base}
    if hi is not None:
        return {"validate": kind, "criteria": "<=", "value": hi, **base}
    return {"validate": "decimal", "criteria": "between", "minimum": -1e12, "maximum": 1e12, **base}


def _level_validation(rule: CellRule, base: dict) -> dict:
    """定性分档: a dropdown of '部分落实（1分）'. Excel keeps a typed-in list to 255 characters and
    splits it at commas; beyond that only the prompt is shown (the upload still checks each cell)."""
    choices = [level_choice(label, p) for label, p in rule.levels] + ([msg.NA_WORD] if rule.allow_na else [])
    if len(",".join(choices)) <= 255 and not any("," in c for c in choices):
        return {"validate": "list", "source": choices, **base}
    prompt = {k: v for k, v in base.items() if k.startswith("input_")}
    return {"validate": "any", **prompt}


class _Prefill:
    """Values to write into a template: (unit, code) → what to show."""

    def __init__(self, values: pd.DataFrame, scheme: Scheme):
        self.rules = rules_for(scheme)
        na = values["na"].fillna(False).to_numpy(dtype=bool) if "na" in values.columns else np.zeros(len(values), bool)
        note = values["note"] if "note" in values.columns else pd.Series([None] * len(values))
        self.units = pd.Index(pd.unique(values["unit"].astype(str)))
        self.codes = list(self.rules)
        ui = self.units.get_indexer(values["unit"].astype(str))
        ci = pd.Index(self.codes).get_indexer(values["code"].astype(str))
        ok = (ui >= 0) & (ci >= 0)
        self.value = np.full((len(self.units), len(self.codes)), np.nan)
        self.na = np.zeros(self.value.shape, dtype=bool)
        self.value[ui[ok], ci[ok]] = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)[ok]
        self.na[ui[ok], ci[ok]] = na[ok]
        self.notes: dict[tuple[int, int], str] = {}
        for u, c, n in zip(ui[ok], ci[ok], note.to_numpy(dtype=object)[ok], strict=True):
            if isinstance(n, str) and n.strip():
                self.notes[(int(u), int(c))] = n
        self._col = {c: i for i, c in enumerate(self.codes)}
        self._row = {u: i for i, u in enumerate(self.units)}  # one dict lookup per unit, not an Index call

    def row_of(self, unit: str) -> int | None:
        return self._row.get(unit)

    def cell(self, row: int | None, code: str) -> object:
        if row is None:
            return None
        j = self._col[code]
        if self.na[row, j]:
            return msg.NA_WORD
        v = self.value[row, j]
        if math.isnan(v):
            return None
        rule = self.rules[code]
        if rule.kind == "yesno":
            return msg.YES_WORD if v >= 0.5 else msg.NO_WORD
        if rule.kind == "level":  # shown as the dropdown offers it
            for label, p in rule.levels:
                if math.isclose(p, v, abs_tol=1e-9):
                    return level_choice(label, p)
        return float(v)

    def note(self, row: int | None, code: str) -> str | None:
        return None if row is None else self.notes.get((row, self._col[code]))


# -- wide ------------------------------------------------------------------------------------------------
def _wide_columns(scheme: Scheme, rules: dict[str, CellRule]) -> list[_Column]:
    tops = {leaf: path[0] for leaf, path in scheme.leaf_paths().items()}
    cols: list[_Column] = []
    for leaf in scheme.leaves:
        top = f"{tops[leaf.code].code} {tops[leaf.code].name}"
        if isinstance(leaf, ChecklistLeaf):
            for task in leaf.tasks:
                cols.append(_Column("input", task.code, top, leaf.name, task.name,
                                    _requirement(rules[task.code], scheme), task.code))  # fmt: skip
            continue
        # A deduction by kinds takes its counts in the kinds' columns: its own only when 不适用 may be written.
        if not rules[leaf.code].only_na or rules[leaf.code].allow_na:
            cols.append(
                _Column("input", leaf.code, top, leaf.name, "", _requirement(rules[leaf.code], scheme), leaf.code)
            )
        for code, name in deduction_parts(leaf) + formula_inputs(leaf):
            cols.append(_Column("input", code, top, leaf.name, name, _requirement(rules[code], scheme), code))
        if leaf.method in ("deduction", "bonus", "veto"):
            cols.append(_Column("note", leaf.code, top, "说明", "", "写明事由", f"{leaf.code}说明"))
    cols.append(_Column("remark", "", "", "备注", "", "", "备注"))
    return cols


def _wide(book, st: _Styles, scheme: Scheme, period: str, units, rules, filled, assessor) -> None:
    ws = book.add_worksheet(WIDE_SHEET)
    cols = _wide_columns(scheme, rules)
    last = 1 + len(cols)
    first_data = _FIRST_HEADER_ROW + _HEADER_ROWS
    ws.merge_range(0, 0, 0, last, f"{scheme.name}评分表（{period_name(period)}）", st.title)
    ws.set_row(0, 28)
    # The scheme by its name (the upload check accepts it, sheets.checks._same_scheme); its id
    # (community_monthly) is the system's and stays in the very hidden _meta sheet (issue 21).
    meta = [("考核期间", period), ("方案", scheme.name), ("版本", scheme.version), ("考核人", None)]
    for i, (label, value) in enumerate(meta):
        ws.write_string(1, 2 * i, label, st.label)
        if value is None:
            ws.write_string(1, 2 * i + 1, assessor or "", st.assessor)
        else:
            ws.write_string(1, 2 * i + 1, value, st.meta)
    r0, r1, r2, r3, r4 = range(_FIRST_HEADER_ROW, first_data)
    for c, text in ((0, "单位编码"), (1, "单位名称")):
        ws.merge_range(r0, c, r3, c, text, st.head)
        ws.write_string(r4, c, text, st.code)
    # 一级指标 over their columns; leaf names over their tasks; the rest one per column.
    _merge_runs(ws, r0, [(c.top if c.kind != "remark" else "备注") for c in cols], st.top)
    j = 0
    while j < len(cols):
        c = cols[j]
        col = 2 + j
        if c.kind == "remark":
            _merge(ws, r1, col, r3, col, "备注", st.head)
        elif c.task:
            k = j
            while k + 1 < len(cols) and cols[k + 1].task and cols[k + 1].leaf == c.leaf and cols[k + 1].top == c.top:
                k += 1
            _merge(ws, r1, col, r1, 2 + k, c.leaf, st.head)
            for t in range(j, k + 1):
                ws.write_string(r2, 2 + t, cols[t].task, st.head)
                ws.write_string(r3, 2 + t, cols[t].requirement, st.req)
            j = k + 1
            continue
        else:
            _merge(ws, r1, col, r2, col, c.leaf, st.head)
            ws.write_string(r3, col, c.requirement, st.req)
        j += 1
    for j, c in enumerate(cols):
        ws.write_string(r4, 2 + j, c.key, st.code)
    ws.set_row(r1, 45)
    ws.set_row(r2, 45)
    ws.set_row(r3, 30)

    for i, (code, name) in enumerate(units):
        r = first_data + i
        ws.write_string(r, 0, code, st.unit)
        ws.write_string(r, 1, name, st.unit)
        row = filled.row_of(code) if filled else None
        for j, c in enumerate(cols):
            if c.kind == "input":
                value = filled.cell(row, c.code) if filled else None
                fmt_ = st.choice if rules[c.code].kind in ("yesno", "level") else st.input
                _write(ws, r, 2 + j, value, fmt_)
            else:
                note = filled.note(row, c.code) if filled and c.kind == "note" else None
                _write(ws, r, 2 + j, note, st.note)
    last_row = first_data + max(len(units), 1) - 1
    for j, c in enumerate(cols):
        if c.kind == "input":
            dv = _validation(rules[c.code], xl_rowcol_to_cell(first_data, 2 + j), scheme)
            if dv:
                ws.data_validation(first_data, 2 + j, last_row, 2 + j, dv)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 26)
    for j, c in enumerate(cols):
        ws.set_column(2 + j, 2 + j, 20 if c.kind != "input" else 13)
    ws.freeze_panes(first_data, 2)
    _protect(ws)
    ws.activate()


def _merge(ws, r0: int, c0: int, r1: int, c1: int, text: str, style) -> None:
    if (r0, c0) == (r1, c1):
        ws.write_string(r0, c0, text, style)
    else:
        ws.merge_range(r0, c0, r1, c1, text, style)


def _merge_runs(ws, row: int, texts: list[str], style) -> None:
    """Merge runs of equal text along a header row (一级指标 over their columns)."""
    j = 0
    while j < len(texts):
        k = j
        while k + 1 < len(texts) and texts[k + 1] == texts[j]:
            k += 1
        _merge(ws, row, 2 + j, row, 2 + k, texts[j], style)
        j = k + 1


def _write(ws, r: int, c: int, value: object, style) -> None:
    if value is None:
        ws.write_blank(r, c, None, style)
    elif isinstance(value, float):
        ws.write_number(r, c, value, style)
    else:
        ws.write_string(r, c, str(value), style)


def _protect(ws) -> None:
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})  # fmt: skip


# -- per unit -------------------------------------------------------------------------------------------
def sheet_names(units: list[tuple[str, str]]) -> list[str]:
    """Valid, unique Excel sheet names for the units: their names, shortened to 31 characters."""
    out: list[str] = []
    taken = {WIDE_SHEET, GUIDE_SHEET, META_SHEET}
    for code, name in units:
        base = _BAD_SHEET_CHARS.sub("_", name or code).strip("'") or code
        candidate = base[:31]
        n = 2
        while candidate.lower() in {t.lower() for t in taken}:
            suffix = f"({n})"
            candidate = base[: 31 - len(suffix)] + suffix
            n += 1
        taken.add(candidate)
        out.append(candidate)
    return out


def _per_unit(book, st: _Styles, scheme: Scheme, period: str, units, rules, filled, assessor,
              categories: dict[str, str] | None = None) -> None:  # fmt: skip
    header = ["编码", "指标", "分值", "评分标准", "实际值/得分", "说明"]
    for (code, name), sheet in zip(units, sheet_names(units), strict=True):
        ws = book.add_worksheet(sheet)
        ws.merge_range(0, 0, 0, 5, f"{scheme.name}评分表（{period_name(period)}）", st.title)
        ws.set_row(0, 28)
        ws.write_string(1, 0, "单位编码", st.label)
        ws.write_string(1, 1, code, st.meta)
        ws.write_string(1, 2, "单位名称", st.label)
        ws.merge_range(1, 3, 1, 5, name, st.meta)
        for i, (label, value) in enumerate([("考核期间", period), ("方案", scheme.name), ("版本", scheme.version)]):
            ws.write_string(2, 2 * i, label, st.label)
            ws.write_string(2, 2 * i + 1, value, st.meta)
        ws.write_string(3, 0, "考核人", st.label)
        ws.write_string(3, 1, assessor or "", st.assessor)
        for c, text in enumerate(header):
            ws.write_string(4, c, text, st.head)
        row = filled.row_of(code) if filled else None
        r = 5
        paths = scheme.leaf_paths()
        shown: set[str] = set()
        for leaf in scheme.leaves:
            for crit in paths[leaf.code]:
                if crit.code not in shown:
                    shown.add(crit.code)
                    ws.write_string(r, 0, crit.code, st.group)
                    ws.merge_range(r, 1, r, 5, crit.name, st.group)
                    r += 1
            ws.write_string(r, 0, leaf.code, st.center)
            ws.write_string(r, 1, leaf.name, st.cell)
            ws.write_number(r, 2, leaf.points, st.center) if leaf.points else ws.write_string(r, 2, "—", st.center)
            own_rule = _unit_rule_text(leaf, (categories or {}).get(code))
            about = tag_prefix(leaf, scheme) + own_rule + ("\n" + leaf.description if leaf.description else "")
            ws.write_string(r, 3, about[:1000], st.cell)
            if isinstance(leaf, ChecklistLeaf):
                _only_na_row(
                    ws, r, rules[leaf.code], filled, row, st, "整个清单不适用时填「不适用」，否则逐项填写下面的任务"
                )
                r += 1
                for task in leaf.tasks:
                    ws.write_string(r, 0, task.code, st.center)
                    ws.write_string(r, 1, f"　· {task.name}", st.cell)
                    if leaf.all_required:  # its tasks have no points of their own
                        ws.write_string(r, 2, "—", st.center)
                        ws.write_string(r, 3, "须全部完成，有 1 项不符合要求本项不得分", st.cell)
                    else:
                        ws.write_number(r, 2, task.points, st.center)
                        ws.write_string(r, 3, "完成得该项分值，未完成不得分", st.cell)
                    _value_cell(ws, r, rules[task.code], filled, row, task.code, st, scheme)
                    r += 1
                continue
            if isinstance(leaf, DeductionLeaf) and leaf.part_codes:
                r = _deduction_rows(ws, r, leaf, rules, filled, row, st, scheme)
                continue
            if getattr(leaf, "computed", False):
                r = _computed_rows(ws, r, leaf, rules, filled, row, st, scheme)
                continue
            _value_cell(ws, r, rules[leaf.code], filled, row, leaf.code, st, scheme)
            r += 1
        ws.set_column(0, 0, 9)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 7)
        ws.set_column(3, 3, 48)
        ws.set_column(4, 4, 14)
        ws.set_column(5, 5, 28)
        ws.freeze_panes(5, 0)
        _protect(ws)


def _deduction_rows(ws, r: int, leaf: DeductionLeaf, rules: dict[str, CellRule], filled, row, st: _Styles,
                    scheme: Scheme) -> int:  # fmt: skip
    """A deduction with kinds or 酌情扣分 on a per-unit sheet: its own row (the count, or only 不适用),
    then one row per kind and the discretionary part. Returns the next free row."""
    rule = rules[leaf.code]
    if not rule.only_na:
        _value_cell(ws, r, rule, filled, row, leaf.code, st, scheme)
    elif rule.allow_na:
        _write(ws, r, 4, filled.cell(row, leaf.code) if filled else None, st.choice)
        ws.data_validation(r, 4, r, 4, {"validate": "list", "source": [msg.NA_WORD],
                                        "input_message": "整项不适用时填「不适用」，否则逐类填写下面的次数"})  # fmt: skip
        ws.write_blank(r, 5, None, st.closed)
    else:
        ws.write_blank(r, 4, None, st.closed)  # the kinds below are filled instead
        ws.write_blank(r, 5, None, st.closed)
    r += 1
    for code, name in deduction_parts(leaf):
        ws.write_string(r, 0, code, st.center)
        ws.write_string(r, 1, f"　· {name}", st.cell)
        ws.write_string(r, 2, "—", st.center)
        ws.write_string(
            r, 3, _deduction_part_requirement(leaf, code) + f"，计入本项 {fmt(leaf.points)} 分内扣完为止", st.cell
        )
        _value_cell(ws, r, rules[code], filled, row, code, st, scheme)
        r += 1
    return r


def _computed_rows(ws, r: int, leaf: Leaf, rules: dict[str, CellRule], filled, row, st: _Styles,
                   scheme: Scheme) -> int:  # fmt: skip
    """A computed indicator on a per-unit sheet: its own row (closed, or only 不适用), then one row
    per raw input with the formula beside it. Returns the next free row."""
    _only_na_row(ws, r, rules[leaf.code], filled, row, st, "由公式计算；整项不适用时填「不适用」，否则填写下面的输入项")
    r += 1
    for code, name in formula_inputs(leaf):
        ws.write_string(r, 0, code, st.center)
        ws.write_string(r, 1, f"　· {name}", st.cell)
        ws.write_string(r, 2, "—", st.center)
        ws.write_string(r, 3, _formula_input_requirement(leaf, rules[code]), st.cell)
        _value_cell(ws, r, rules[code], filled, row, code, st, scheme)
        r += 1
    return r


def _value_cell(ws, r: int, rule: CellRule, filled, row, code: str, st: _Styles, scheme: Scheme) -> None:
    style = st.choice if rule.kind in ("yesno", "level") else st.input
    _write(ws, r, 4, filled.cell(row, code) if filled else None, style)
    _write(ws, r, 5, filled.note(row, code) if filled else None, st.note)
    dv = _validation(rule, xl_rowcol_to_cell(r, 4), scheme)
    if dv:
        ws.data_validation(r, 4, r, 4, dv)


# -- 说明 and meta -----------------------------------------------------------------------------------------
def _guide(book, st: _Styles, scheme: Scheme, period: str, rules: dict[str, CellRule]) -> None:
    ws = book.add_worksheet(GUIDE_SHEET)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 2, 22)
    ws.set_column(3, 4, 10)
    ws.set_column(5, 5, 60)
    ws.set_column(6, 6, 36)
    r = 0
    for style, text in guide_lines(scheme, period):
        fmt_ = {"title": st.title, "heading": st.heading}.get(style, st.text)
        ws.merge_range(r, 0, r, 6, text, fmt_)
        if style == "item" and len(text) > 60:
            ws.set_row(r, 15 * (1 + len(text) // 80))
        r += 1 if style != "heading" else 1
    for c, text in enumerate(GUIDE_TABLE_HEADER):
        ws.write_string(r, c, text, st.head)
    r += 1
    tops = {leaf: path[0] for leaf, path in scheme.leaf_paths().items()}
    for leaf in scheme.leaves:
        ws.write_string(r, 0, leaf.code, st.center)
        ws.write_string(r, 1, tops[leaf.code].name, st.cell)
        ws.write_string(r, 2, scheme.tagged_label(leaf), st.cell)  # ★门诊服务 (the 说明 sheet is not read back)
        ws.write_string(r, 3, METHOD_NAMES[leaf.method], st.center)
        ws.write_string(r, 4, fmt(leaf.points) if leaf.points else "—", st.center)
        ws.write_string(r, 5, rule_text(leaf) + ("\n" + leaf.description if leaf.description else ""), st.cell)
        ws.write_string(r, 6, msg.expected(rules[leaf.code]) if not rules[leaf.code].only_na else
                        ("逐类填写次数" if leaf.method == "deduction" else
                         f"分别填写{rules[leaf.code].formula}，由公式计算" if rules[leaf.code].formula else
                         "逐项填写任务：是/否")
                        + (f"；整个清单不适用时填「{msg.NA_WORD}」" if rules[leaf.code].allow_na else ""), st.cell)  # fmt: skip
        r += 1
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def _meta(book, scheme: Scheme, period: str, layout: str) -> None:
    ws = book.add_worksheet(META_SHEET)
    rows = [
        ("generator", "sheets.template"),
        ("scheme_id", scheme.id),
        ("scheme_version", scheme.version),
        ("period", period),
        ("layout", layout),
        ("created_at", datetime.now().isoformat(timespec="seconds")),
    ]
    for r, (k, v) in enumerate(rows):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v)
    ws.very_hidden()


def _only_na_row(ws, r: int, rule: CellRule, filled, row, st, prompt: str) -> None:  # noqa: ANN001
    """A per-unit row whose own cell takes only 不适用 (or is closed): a checklist's or a computed
    indicator's, whose rows below carry the values."""
    if rule.allow_na:
        _write(ws, r, 4, filled.cell(row, rule.code) if filled else None, st.choice)
        ws.data_validation(r, 4, r, 4, {"validate": "list", "source": [msg.NA_WORD], "input_message": prompt})
    else:
        ws.write_blank(r, 4, None, st.closed)
    ws.write_blank(r, 5, None, st.closed)
