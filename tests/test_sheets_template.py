"""Generated templates, checked cell by cell with openpyxl (as Excel would show them).

Wide: title, period/scheme/version/assessor line, a header block (一级指标 over leaf names over task
names, points and what to write, then the codes), one row per unit; per-unit: one sheet per unit
(编码, 指标, 分值, 评分标准, 实际值/得分, 说明). Both: dropdowns on yes/no cells, validation ranges on
numeric cells, a 说明 sheet for every method used, frozen panes, locked headers, a hidden _meta.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from sheets_corpus import PERIOD, make_scheme, make_units, template

from scoring import load_scheme, scheme_from_dict
from scoring.scheme import ChecklistLeaf
from sheets import build_template, read_scores, rules_for
from sheets.guide import METHOD_NAMES, METHOD_TEXT, MODE_TEXT, STEP_TEXT, ZERO_TARGET_TEXT
from sheets.template import sheet_names

SCHEME = make_scheme()
RULES = rules_for(SCHEME)
UNITS = make_units().iloc[:4]
SCHEME_FILES = sorted((Path(__file__).resolve().parents[1] / "data" / "schemes").glob("*.yaml"))
HEADER_TOP, LEAF_ROW, TASK_ROW, REQ_ROW, CODE_ROW, FIRST = 3, 4, 5, 6, 7, 8


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def wide() -> openpyxl.Workbook:
    return _load(template())


@pytest.fixture(scope="module")
def per_unit() -> openpyxl.Workbook:
    return _load(template("per-unit"))


def _columns(ws) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[CODE_ROW] if c.value}


def _merged_value(ws, row: int, col: int):
    """The value Excel shows at (row, col): a merged range shows its top-left cell."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col).value
    return ws.cell(row, col).value


def _validation(ws, address: str):
    found = [dv for dv in ws.data_validations.dataValidation if address in dv.sqref]
    assert len(found) == 1, f"{address}: {len(found)} validations"
    return found[0]


# -- wide ----------------------------------------------------------------------------------------------
def test_wide_sheets_and_statements(wide):
    assert wide.sheetnames == ["评分", "说明", "_meta"]
    assert wide["_meta"].sheet_state == "veryHidden"
    meta = {r[0].value: r[1].value for r in wide["_meta"].iter_rows()}
    assert meta["scheme_id"] == "sheet_test" and meta["scheme_version"] == "1"
    assert meta["period"] == PERIOD and meta["layout"] == "wide"
    ws = wide["评分"]
    assert "2025年3月" in ws["A1"].value and "A1:N1" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(2, c).value for c in range(1, 9)] == ["考核期间", PERIOD, "方案", SCHEME.name, "版本", "1",
                                                         "考核人", ""]  # fmt: skip


def test_wide_header_block_cell_by_cell(wide):
    ws = wide["评分"]
    inputs = [c for c in RULES if not RULES[c].only_na]
    notes = [f"{leaf.code}说明" for leaf in SCHEME.leaves if leaf.method in ("deduction", "bonus", "veto")]
    codes = [str(c.value) for c in ws[CODE_ROW]][2:]
    assert codes[:2] == ["A1", "A2"] and codes[-1] == "备注"
    assert [c for c in codes if c in RULES] == inputs
    assert [c for c in codes if c.endswith("说明")] == notes
    assert [ws.cell(CODE_ROW, 1).value, ws.cell(CODE_ROW, 2).value] == ["单位编码", "单位名称"]
    col = _columns(ws)
    paths = SCHEME.leaf_paths()
    for code in inputs:
        c = col[code]
        leaf = SCHEME.leaf(RULES[code].leaf_code)
        top = paths[leaf.code][0]
        assert _merged_value(ws, HEADER_TOP, c) == f"{top.code} {top.name}"
        assert _merged_value(ws, LEAF_ROW, c) == leaf.name
        req = ws.cell(REQ_ROW, c).value
        if isinstance(leaf, ChecklistLeaf):
            task = next(t for t in leaf.tasks if t.code == code)
            assert ws.cell(TASK_ROW, c).value == task.name
            assert req.startswith(f"{task.points:g}分 · 是/否")
        elif leaf.points:
            assert req.startswith(f"{leaf.points:g}分")
        elif leaf.method == "bonus":
            assert req.startswith(f"每次加{leaf.per_occurrence:g}分，最多{leaf.cap:g}分")
        assert ("可填不适用" in req) == RULES[code].allow_na
    # 一级指标 are merged over exactly their columns.
    merged = {str(r) for r in ws.merged_cells.ranges}
    a_cols = [col[c] for c in ("A1", "A2", "A3")]
    assert f"{get_column_letter(min(a_cols))}3:{get_column_letter(max(a_cols))}3" in merged
    b1 = [col["B1-1"], col["B1-2"]]
    assert f"{get_column_letter(b1[0])}4:{get_column_letter(b1[1])}4" in merged  # checklist over its tasks


def test_wide_unit_rows(wide):
    ws = wide["评分"]
    rows = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(FIRST, FIRST + len(UNITS))]
    assert rows == list(zip(UNITS["code"], UNITS["name"], strict=True))
    assert all(ws.cell(r, c).value is None for r in range(FIRST, FIRST + 4) for c in range(3, ws.max_column + 1))


def test_wide_dropdowns_and_ranges(wide):
    ws = wide["评分"]
    col = _columns(ws)
    last = FIRST + len(UNITS) - 1
    for code, rule in RULES.items():
        if rule.only_na:
            continue
        letter = get_column_letter(col[code])
        dv = _validation(ws, f"{letter}{FIRST}")
        assert str(dv.sqref) == f"{letter}{FIRST}:{letter}{last}"
        assert dv.allow_blank  # blank means missing data or 'nothing happened', never refused by Excel
        if rule.kind == "yesno":
            assert dv.type == "list"
            assert dv.formula1 == ('"是,否,不适用"' if rule.allow_na else '"是,否"')
        elif rule.allow_na:
            assert dv.type == "custom"
            assert '="不适用"' in dv.formula1 and f">={rule.lo:g}" in dv.formula1 and f"<={rule.hi:g}" in dv.formula1
        elif rule.integer:
            assert dv.type == "whole" and dv.operator == "greaterThanOrEqual" and float(dv.formula1) == rule.lo
        else:
            assert dv.type == "decimal" and (float(dv.formula1), float(dv.formula2)) == (rule.lo, rule.hi)
    assert dv.errorTitle and dv.error.startswith("应为") and dv.prompt


def test_wide_frozen_and_protected(wide):
    ws = wide["评分"]
    assert ws.freeze_panes == "C8"
    assert ws.protection.sheet and not ws.protection.password
    col = _columns(ws)
    for r in range(1, FIRST):
        for c in range(1, ws.max_column + 1):
            assert ws.cell(r, c).protection.locked or (r, c) == (2, 8), f"header {get_column_letter(c)}{r} unlocked"
    for r in range(FIRST, FIRST + len(UNITS)):
        assert ws.cell(r, 1).protection.locked and ws.cell(r, 2).protection.locked
        for code in list(RULES)[:1] + ["B2说明", "备注"]:
            if code in col:
                assert not ws.cell(r, col[code]).protection.locked
    assert not ws.cell(2, 8).protection.locked  # the assessor's name is typed in


# -- 说明 -------------------------------------------------------------------------------------------------
def test_guide_explains_every_method_used(wide):
    g = wide["说明"]
    text = "\n".join(str(c.value) for row in g.iter_rows() for c in row if c.value)
    for method in {leaf.method for leaf in SCHEME.leaves}:
        assert METHOD_TEXT[method] in text
    for mode in {leaf.mode for leaf in SCHEME.leaves if leaf.method == "target"}:
        assert MODE_TEXT[mode] in text
    assert "不适用" in text and "全方案加分合计最多 5 分" in text
    table = [[c.value for c in row] for row in g.iter_rows() if row[0].value in {leaf.code for leaf in SCHEME.leaves}]
    assert [r[0] for r in table] == [leaf.code for leaf in SCHEME.leaves]
    assert [r[3] for r in table] == [METHOD_NAMES[leaf.method] for leaf in SCHEME.leaves]
    assert g.protection.sheet


def test_guide_leaves_out_methods_not_used():
    scheme = load_scheme(next(f for f in SCHEME_FILES if f.stem == "community_monthly"))
    wb = _load(build_template(scheme, "2025-03", [("C01", "甲")]))
    text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    used = {leaf.method for leaf in scheme.leaves}
    for method, line in METHOD_TEXT.items():
        assert (line in text) == (method in used)


def test_guide_and_rule_text_name_step_rules_and_zero_tolerance_in_chinese():
    leaves = [
        {"code": "S1", "name": "建档率", "method": "target", "points": 40, "mode": "per_shortfall", "target": 100,
         "step": 10, "loss_per_step": 0.5, "unit": "%", "steps": "completed"},
        {"code": "S2", "name": "规范管理率", "method": "target", "points": 30, "mode": "per_shortfall", "target": 90,
         "step": 2, "loss_per_step": 1, "unit": "%", "whole_steps": True},
        {"code": "Z1", "name": "重大医疗纠纷", "method": "target", "points": 30, "mode": "proportional", "target": 0,
         "direction": "lower", "unit": "起"},
    ]  # fmt: skip
    scheme = scheme_from_dict({"id": "g", "name": "说明测试", "version": "1", "period_type": "month",
                               "criteria": [{"code": "A", "name": "综合", "items": leaves}]})  # fmt: skip
    wb = _load(build_template(scheme, "2025-03", [("C01", "甲")]))
    text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert STEP_TEXT["completed"] in text and STEP_TEXT["started"] in text and STEP_TEXT["fraction"] not in text
    assert ZERO_TARGET_TEXT in text
    assert "每差 10 个百分点 扣 0.5 分，满一档才扣，不足一档不扣" in text
    assert "每差 2 个百分点 扣 1 分，不足一档按一档计" in text
    assert "目标 ≤ 0起，零容忍：实际为 0 得满分，大于 0 不得分" in text
    for word in ("completed", "started", "fraction", "whole_steps", "proportional"):
        assert word not in text


# -- per-unit -------------------------------------------------------------------------------------------
def test_per_unit_one_sheet_per_unit(per_unit):
    assert per_unit.sheetnames == [*UNITS["name"], "说明", "_meta"]
    meta = {r[0].value: r[1].value for r in per_unit["_meta"].iter_rows()}
    assert meta["layout"] == "per-unit"
    for code, name in zip(UNITS["code"], UNITS["name"], strict=True):
        ws = per_unit[name]
        assert (ws["A2"].value, ws["B2"].value, ws["C2"].value, ws["D2"].value) == ("单位编码", code, "单位名称", name)
        assert [ws.cell(3, c).value for c in range(1, 7)] == ["考核期间", PERIOD, "方案", SCHEME.name, "版本", "1"]


def test_per_unit_columns_and_rows(per_unit):
    ws = per_unit[UNITS["name"].iloc[0]]
    assert [ws.cell(5, c).value for c in range(1, 7)] == ["编码", "指标", "分值", "评分标准", "实际值/得分", "说明"]
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1)}
    for code in ("A", "B"):  # 一级指标 rows
        assert ws.cell(rows[code], 2).value == next(c.name for c in SCHEME.criteria if c.code == code)
    for leaf in SCHEME.leaves:
        r = rows[leaf.code]
        assert ws.cell(r, 2).value == leaf.name
        assert ws.cell(r, 3).value == (leaf.points if leaf.points else "—")
        assert ws.cell(r, 4).value  # the scoring standard, in words
        codes = [t.code for t in leaf.tasks] if isinstance(leaf, ChecklistLeaf) else [leaf.code]
        for code in codes:
            rule = RULES[code]
            value = ws.cell(rows[code], 5)
            assert not value.protection.locked and not ws.cell(rows[code], 6).protection.locked
            dv = _validation(ws, value.coordinate)
            assert dv.type == ("list" if rule.kind == "yesno" else "custom" if rule.allow_na else
                               "whole" if rule.integer else "decimal")  # fmt: skip
    assert ws.freeze_panes == "A6" and ws.protection.sheet
    assert ws.cell(rows["A1"], 1).protection.locked and ws.cell(rows["A1"], 4).protection.locked


def test_sheet_names_are_valid_and_unique():
    names = sheet_names([("1", "评分"), ("2", "a/b:c*d?[e]"), ("3", "很长" * 20), ("4", "很长" * 20), ("5", "说明")])
    assert names[0] != "评分" and names[4] != "说明"
    assert names[1] == "a_b_c_d__e_"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)


# -- prefilled and demo schemes -----------------------------------------------------------------------------
def test_prefilled_template_shows_values_as_typed():
    values = pd.DataFrame(
        [("U01", "A1", 18.5, False), ("U01", "A3", math.nan, True), ("U01", "B1-1", 1.0, False),
         ("U01", "B1-2", 0.0, False), ("U02", "B2", 2.0, False)],
        columns=["unit", "code", "value", "na"],
    )  # fmt: skip
    ws = _load(build_template(SCHEME, PERIOD, UNITS, values=values))["评分"]
    col = _columns(ws)
    assert ws.cell(FIRST, col["A1"]).value == 18.5
    assert ws.cell(FIRST, col["A3"]).value == "不适用"
    assert (ws.cell(FIRST, col["B1-1"]).value, ws.cell(FIRST, col["B1-2"]).value) == ("是", "否")
    assert ws.cell(FIRST + 1, col["B2"]).value == 2
    assert ws.cell(FIRST + 1, col["A1"]).value is None


@pytest.mark.parametrize("path", SCHEME_FILES, ids=[p.stem for p in SCHEME_FILES])
@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_demo_scheme_templates_read_back_empty(path, layout):
    scheme = load_scheme(path)
    period = {"month": "2025-03", "quarter": "2025-Q1", "year": "2025"}[scheme.period_type]
    units = pd.DataFrame({"code": ["X1", "X2"], "name": ["甲单位", "乙单位"], "category": scheme.categories[0]})
    data = build_template(scheme, period, units, layout=layout)
    wb = _load(data)
    assert "说明" in wb.sheetnames and wb["_meta"].sheet_state == "veryHidden"
    # An untouched template is recognised (its layout, period and scheme), and holds no values yet.
    parsed = read_scores(data, scheme, period=period, units=units, file_name="t.xlsx")
    assert [e.kind for e in parsed.errors] == ["no_values"]
