"""从总分扣分 where totals are listed by their parts: the bulletin's ranking (Excel and CSV) and the
what-if table carry a 从总分扣分 column when any unit has one, and none otherwise.

U1: 50 + 30 − 2 (信息迟报 2 次 × 1 分) = 78; U2: 50 + 30 = 80, nothing taken off.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pandas as pd
from test_deduction_from_total import SCHEME, SPEC

from exports.bulletin_xlsx import SHEETS, write_bulletin
from exports.csv_export import ranking_csv
from reports.bulletin import build_bulletin
from scoring import scheme_from_dict, score
from scoring.settlement import what_if

PERIOD = "2025-03"
NAMES = {"U1": "甲卫生院", "U2": "乙卫生院"}
AT = datetime(2025, 4, 2, 9, 30)


def _values(x_of_u1: float | None) -> pd.DataFrame:
    rows = [("U1", "F", 50.0), ("U1", "G", 30.0), ("U2", "F", 50.0), ("U2", "G", 30.0)]
    if x_of_u1 is not None:
        rows.append(("U1", "X", x_of_u1))
    return pd.DataFrame(rows, columns=["unit", "code", "value"]).assign(period=PERIOD, na=False)


def _csv_rows(x_of_u1: float | None) -> list[list[str]]:
    bulletin = build_bulletin(score(SCHEME, _values(x_of_u1)), PERIOD, NAMES)
    return list(csv.reader(io.StringIO(ranking_csv(bulletin).decode("utf-8-sig"))))


def test_the_ranking_csv_lists_the_points_taken_off_the_total() -> None:
    head, *body = _csv_rows(2)
    assert head[-1] == "从总分扣分" and head[5] == "总分"
    assert [(r[2], r[5], r[-1]) for r in body] == [("U2", "80.00", "0.00"), ("U1", "78.00", "2.00")]


def test_without_any_deduction_from_the_total_the_csv_has_no_such_column() -> None:
    head, *_ = _csv_rows(None)
    assert "从总分扣分" not in head and head[-1] == "未达标项"


def test_the_excel_ranking_ends_with_the_column() -> None:
    results = score(SCHEME, _values(3))
    data = write_bulletin(build_bulletin(results, PERIOD, NAMES), results, SCHEME, NAMES, None, None, "张三", AT)
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEETS["ranking"]]
    header = [c.value for c in ws[2]]
    assert header[-2:] == ["评先评优", "从总分扣分"]
    by_unit = {row[2]: (row[5], row[-1]) for row in ws.iter_rows(min_row=3, values_only=True)}
    assert by_unit == {"U1": (77, 3), "U2": (80, 0)}


def test_what_if_shows_the_deduction_on_both_sides() -> None:
    spec = {**SPEC, "criteria": [dict(c) for c in SPEC["criteria"]]}
    spec["criteria"][1] = {
        **spec["criteria"][1],
        "items": [{**spec["criteria"][1]["items"][0], "per_occurrence": 2, "cap": 6}],
    }
    after = scheme_from_dict(spec)
    table = what_if(SCHEME, after, _values(2)).set_index("unit")
    # 2 次 × 1 分 before; 2 次 × 2 分 after: 80 − 4 = 76
    assert table.loc["U1", ["total_before", "deducted_before", "total_after", "deducted_after"]].tolist() == [
        78,
        2,
        76,
        4,
    ]
    assert table.loc["U2", ["deducted_before", "deducted_after"]].tolist() == [0, 0]


def test_what_if_without_deductions_keeps_its_columns() -> None:
    assert "deducted_after" not in what_if(SCHEME, SCHEME, _values(None)).columns
