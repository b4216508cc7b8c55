"""监测指标 in the Excel template, the upload (wide and long files) and the storage check."""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
from test_monitor import MIXED

from scoring import scheme_from_dict, score
from services.validation import value_problems
from sheets import build_template, read_scores
from sheets.longfile import read_long_table

PERIOD = "2025"
SCHEME = scheme_from_dict(MIXED)
UNITS = pd.DataFrame({"code": ["U1", "U2"], "name": ["甲医院", "乙医院"]})


def _book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, PERIOD, UNITS, layout="wide")))


def _wide_cols(ws) -> tuple[dict[str, int], int]:  # noqa: ANN001
    row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码" and ws.cell(r + 1, 1).value == "U1")
    return {str(c.value): c.column for c in ws[row] if c.value}, row + 1


def test_template_header_names_the_unit_and_says_not_scored() -> None:
    ws = _book()["评分"]
    cols, first = _wide_cols(ws)
    assert ws.cell(first - 2, cols["M1"]).value == "监测指标，不计分 · 填实际值(元) · 可留空"
    assert ws.cell(first - 2, cols["M2"]).value == "监测指标，不计分 · 填实际值(%) · 可留空"
    guide = "\n".join(str(c.value) for row in _book()["说明"].iter_rows() for c in row if c.value)
    assert "监测指标：填实际值" in guide


def _filled(cells: dict[tuple[str, str], object]) -> bytes:
    wb = _book()
    ws = wb["评分"]
    cols, first = _wide_cols(ws)
    for (unit, code), v in cells.items():
        ws.cell(first + ["U1", "U2"].index(unit), cols[code]).value = v
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_wide_upload_keeps_values_and_allows_blanks() -> None:
    data = _filled({("U1", "A1"): 90, ("U1", "M1"): 240.5, ("U2", "A1"): 85, ("U2", "M2"): 91.5})
    parsed = read_scores(data, SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert parsed.ok, parsed.error_report()
    v = parsed.values.set_index(["unit", "code"])["value"]
    assert v["U1", "M1"] == 240.5 and v["U2", "M2"] == 91.5
    totals = score(SCHEME, parsed.values).units.set_index("unit")["total"].to_dict()
    assert totals == {"U1": 90.0, "U2": 85.0}


def test_wide_upload_refuses_a_word_or_out_of_range_value_with_location() -> None:
    data = _filled({("U1", "A1"): 90, ("U1", "M1"): "二百", ("U2", "A1"): 85, ("U2", "M2"): 250})
    parsed = read_scores(data, SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert not parsed.ok
    assert [(e.code, e.value) for e in parsed.errors] == [("M1", "二百"), ("M2", "250")]
    assert "「门诊次均费用」" in str(parsed.errors[0]) and "不是数字" in str(parsed.errors[0])


def test_long_file_with_monitor_values() -> None:
    rows = ["单位,指标编码,数值", "U1,A1,90", "U1,M1,240", "U2,A1,70"]
    parsed = read_long_table("\n".join(rows).encode(), SCHEME, file_name="t.csv")
    assert parsed.ok, parsed.error_report()
    res = score(SCHEME, parsed.values)
    lv = res.leaves.set_index(["unit", "leaf"])["value"]
    assert lv["U1", "M1"] == 240 and math.isnan(lv["U2", "M1"])
    bad = read_long_table("\n".join(rows + ["U2,M2,-1"]).encode(), SCHEME, file_name="t.csv")
    assert [e.code for e in bad.errors] == ["M2"] and "第 5 行" in str(bad.errors[0])


def test_storage_check_refuses_a_value_beyond_the_range() -> None:
    values = pd.DataFrame({"unit": ["U1"], "code": ["M2"], "assessor": [""], "value": [201.0], "na": [False],
                           "note": [""]})  # fmt: skip
    assert [p.code for p in value_problems(values, SCHEME, PERIOD)] == ["M2"]
