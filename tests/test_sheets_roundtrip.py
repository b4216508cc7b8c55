"""Round trip: template → filled as a person would (openpyxl) → `read_scores` → `scoring.score`
gives the same results as scoring the values directly.

For the test scheme of tests/sheets_corpus.py and for every demo scheme in data/schemes/ (the demo
district's values for one period, one file per assessor), in the wide and per-unit layouts. An
assessor who scored only some leaves (the demo has such second assessors) uploads a long file: a
wide or per-unit sheet requires every leaf, since a blank there is missing data.
"""

from __future__ import annotations

import io
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sheets_corpus import PERIOD, expected_values, fill_per_unit, fill_wide, make_scheme, make_units, template

from data.demo import SCHEME_DIR, build_demo
from scoring import load_scheme, score
from sheets import build_template, read_scores, rules_for

COMPARED = ["total", "grade", "rank", "veto", "bottom", "applicable_points", "bonus"]


def _results(scheme, values: pd.DataFrame, categories: pd.Series) -> pd.DataFrame:
    frame = values.copy()
    for c in ("unit", "code", "assessor", "period"):
        if c in frame.columns:
            frame[c] = frame[c].astype(str)
    out = score(scheme, frame, categories=categories, figures=DEMO.figures).units
    return out.set_index(["period", "unit"]).sort_index()[COMPARED]


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a["total"].to_numpy(float), b["total"].to_numpy(float), rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(a.drop(columns=["total"]), b.drop(columns=["total"]), check_dtype=False)


# -- the test scheme --------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_test_scheme_round_trip(layout):
    scheme, units = make_scheme(), make_units()
    data = fill_wide(template()) if layout == "wide" else fill_per_unit(template("per-unit"))
    parsed = read_scores(data, scheme, period=PERIOD, units=units, file_name="评分.xlsx", assessor="考核一组")
    assert parsed.ok, parsed.error_report()
    categories = units.set_index("code")["category"]
    direct = expected_values().assign(assessor="考核一组")
    _assert_same(_results(scheme, parsed.values, categories), _results(scheme, direct, categories))


# -- the demo schemes ---------------------------------------------------------------------------------------
DEMO = build_demo()
SCHEMES = sorted(SCHEME_DIR.glob("*.yaml"))


def _typed(rule, value: float, na: bool) -> object:
    """What a person types for a value."""
    if na:
        return "不适用"
    if value is None or math.isnan(value):
        return None
    if rule.kind == "yesno":
        return "是" if value >= 0.5 else "否"
    return float(value)


def _by_unit(scheme, frame: pd.DataFrame) -> dict[str, dict[str, object]]:
    """unit → input code → typed value; a checklist marked 不适用 as a whole goes into its task cells."""
    rules = rules_for(scheme)
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    out: dict[str, dict[str, object]] = {}
    for r in frame.itertuples():
        cells = out.setdefault(str(r.unit), {})
        rule = rules[str(r.code)]
        if rule.only_na:
            for task in leaves[rule.code].tasks:
                cells[task.code] = "不适用"
            cells[rule.code] = "不适用"
        else:
            cells[str(r.code)] = _typed(rule, r.value, bool(r.na))
    return out


def _fill(data: bytes, layout: str, cells: dict[str, dict[str, object]], assessor: str) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    if layout == "wide":
        ws = wb["评分"]
        ws["H2"] = assessor
        cols = {str(c.value): c.column for c in ws[7] if c.value}
        rows = {str(ws.cell(r, 1).value): r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value}
        for unit, values in cells.items():
            for code, v in values.items():
                if code in cols:  # a checklist's own 不适用 lives in its task columns here
                    ws.cell(rows[unit], cols[code]).value = v
    else:
        for ws in wb.worksheets:
            if ws.title in ("说明", "_meta"):
                continue
            ws["B4"] = assessor
            values = cells[str(ws["B2"].value)]
            for r in range(6, ws.max_row + 1):
                code = ws.cell(r, 1).value
                if code in values and not ws.cell(r, 5).protection.locked:
                    ws.cell(r, 5).value = values[code]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _long_csv(cells: dict[str, dict[str, object]], assessor: str) -> bytes:
    lines = ["单位编码,指标编码,数值,考核人"]
    for unit, values in cells.items():
        lines += [f"{unit},{code},{'' if v is None else v},{assessor}" for code, v in values.items()]
    return "\n".join(lines).encode("utf-8-sig")


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_demo_scheme_round_trip(path, layout):
    scheme = load_scheme(path)
    values = DEMO.values[path.stem]
    period = sorted(values["period"].unique())[-1]
    direct = values[values["period"] == period]
    units = DEMO.units[DEMO.units["category"].isin(scheme.categories)]
    categories = DEMO.units.set_index("code")["category"]
    required = {c for c, r in rules_for(scheme).items() if not r.blank_ok}
    parsed_parts = []
    sheets = 0
    for assessor, part in direct.groupby("assessor", observed=True):
        cells = _by_unit(scheme, part)
        if all(required <= set(v) for v in cells.values()):
            scored = units[units["code"].isin(list(cells))]
            data = build_template(scheme, period, scored, layout=layout)
            filled, name = _fill(data, layout, cells, str(assessor)), f"{assessor}.xlsx"
            sheets += 1
        else:
            filled, name = _long_csv(cells, str(assessor)), f"{assessor}.csv"
        parsed = read_scores(filled, scheme, period=period, units=DEMO.units, file_name=name, figures=DEMO.figures)
        assert parsed.ok, parsed.error_report(10)
        assert set(parsed.values["assessor"].astype(str)) == {str(assessor)}
        parsed_parts.append(parsed.values)
    assert sheets >= 1
    from_sheets = pd.concat(parsed_parts, ignore_index=True)
    _assert_same(_results(scheme, from_sheets, categories), _results(scheme, direct, categories))
    assert len(_results(scheme, direct, categories)) == direct["unit"].nunique()
