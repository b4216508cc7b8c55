"""Tag score rates wherever results are exported: the Excel bulletin's 标签得分率 sheet and the unit
report's 各标签得分 sheet, written as the unit's 各标签得分 table writes them.

The scheme is tests/test_tags.py's: A1 (10 分, 核心指标 and 国家监测), A2 (80 分, no tag), A3 (10 分
deduction, 核心指标); below 60% on 核心指标 caps the grade at 合格 and bars awards. Hand-computed:
  U1  A1 8,    A3 3 次: 核心指标 (8 + 4) / 20 = 60.0% (not below);   国家监测 8 / 10 = 80.0%
  U2  A1 7.99, A3 3 次: 核心指标 11.99 / 20 = 59.95% (below);        国家监测 79.9%
  U3  A1 and A3 不适用: no rate on either tag (「—」), no rule
  U4  A1 2, A3 5 次: 核心指标 2 / 20 = 10.0% (below);                国家监测 20.0%
Totals 92, 91.99, 87.5, 52: ranking order U1 U2 U3 U4.
"""

from __future__ import annotations

import copy
import io
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest
from chinese_text import file_texts, problems_in
from test_tags import AWARD_REASON, CAP_REASON, SCHEME, _spec

from exports.bulletin_tags import TAG_SHEET
from exports.bulletin_xlsx import write_bulletin
from exports.unit_report import SHEETS as UNIT_SHEETS
from exports.unit_report import write_unit_report
from reports.bulletin import build_bulletin
from reports.tags import rate_decimals, tag_rate_table
from scoring import Scheme, scheme_from_dict, score
from scoring.engine import tag_rate_decimals
from scoring.explain import explain_tags

PERIOD = "2025-03"
NAMES = {"U1": "甲卫生院", "U2": "乙卫生院", "U3": "丙卫生院", "U4": "丁卫生院"}
AT = datetime(2025, 4, 2, 9, 30)
VALUES = {"U1": (8, 80, 3), "U2": (7.99, 80, 3), "U3": (None, 70, None), "U4": (2, 50, 5)}
U4_REASONS = "核心指标得分率 10.0%，低于 60%：等级至多评为合格；核心指标得分率低于60%，不得评优（核心指标得分率 10.0%）"


def _results(scheme: Scheme = SCHEME):
    rows = [
        (u, code, PERIOD, np.nan if v is None else float(v), v is None)
        for u, values in VALUES.items()
        for code, v in zip(("A1", "A2", "A3"), values, strict=True)
    ]
    return score(scheme, pd.DataFrame(rows, columns=["unit", "code", "period", "value", "na"]))


def _untagged() -> Scheme:
    spec = copy.deepcopy(_spec(tags=[], tag_rules=[]))
    for item in spec["criteria"][0]["items"]:
        item.pop("tags", None)
    return scheme_from_dict(spec)


def _bulletin_book(scheme: Scheme = SCHEME) -> tuple[bytes, openpyxl.Workbook]:
    results = _results(scheme)
    data = write_bulletin(build_bulletin(results, PERIOD, NAMES), results, scheme, NAMES, None, None, "张三", AT)
    return data, openpyxl.load_workbook(io.BytesIO(data))


def test_the_bulletin_lists_every_unit_rate_per_tag_and_the_rule_consequence() -> None:
    bulletin = build_bulletin(_results(), PERIOD, NAMES)
    table = tag_rate_table(bulletin.tag_rates, bulletin.tag_rules)
    assert list(table.columns) == ["单位", "★核心指标", "国家监测", "标签规则"]
    assert table.values.tolist() == [
        ["甲卫生院", "60.0%", "80.0%", ""],
        ["乙卫生院", "59.95%", "79.9%", f"{CAP_REASON}；{AWARD_REASON}"],
        ["丙卫生院", "—", "—", ""],
        ["丁卫生院", "10.0%", "20.0%", U4_REASONS],
    ]


def test_the_bulletin_sheet_holds_rates_as_percentages_with_the_decimals_they_are_written_with() -> None:
    data, book = _bulletin_book()
    ws = book[TAG_SHEET]
    assert ws["A1"].value == "标签示例 2025年3月 标签得分率"
    assert [c.value for c in ws[2]] == ["单位编码", "单位名称", "★核心指标得分率", "国家监测得分率", "标签规则"]
    rows = list(ws.iter_rows(min_row=3))
    assert [r[0].value for r in rows] == ["U1", "U2", "U3", "U4"]
    core = [(r[2].value, r[2].number_format) for r in rows]
    assert core == [(0.6, "0.0%"), (pytest.approx(0.5995), "0.00%"), ("—", "0.00%"), (0.1, "0.0%")]
    assert [r[3].value for r in rows] == [0.8, pytest.approx(0.799), "—", 0.2]
    assert rows[1][4].value == f"{CAP_REASON}；{AWARD_REASON}" and rows[0][4].value in ("", None)
    assert not problems_in(file_texts(data), [SCHEME.id])


def test_bulletin_rates_agree_with_each_unit_drill_down() -> None:
    results = _results()
    bulletin = build_bulletin(results, PERIOD, NAMES)
    for unit in NAMES:
        mine = bulletin.tag_rates[bulletin.tag_rates["unit"] == unit]
        one = explain_tags(results, unit, PERIOD)
        assert mine["rate_text"].tolist() == [r["rate_text"] for r in one]
        consequence = bulletin.tag_rules.set_index("unit").at[unit, "consequence"]
        assert consequence == "；".join(r["rule"] for r in one if r["rule"])


def test_a_scheme_without_tags_gets_no_tag_sheet() -> None:
    scheme = _untagged()
    bulletin = build_bulletin(_results(scheme), PERIOD, NAMES)
    assert bulletin.tag_rates.empty and bulletin.tag_rules.empty
    _, book = _bulletin_book(scheme)
    assert TAG_SHEET not in book.sheetnames
    report = write_unit_report(_results(scheme), "U1", PERIOD, NAMES)
    assert UNIT_SHEETS["tags"] not in openpyxl.load_workbook(io.BytesIO(report)).sheetnames


def test_the_unit_report_has_the_unit_tag_table() -> None:
    data = write_unit_report(_results(), "U2", PERIOD, NAMES, generated_by="张三", generated_at=AT)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:2] == ["概况", "各标签得分"]
    ws = book["各标签得分"]
    assert ws["A1"].value == "乙卫生院 2025年3月 各标签得分"
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["标签", "得分", "适用分值", "得分率", "标签规则"],
        ["★核心指标", "11.99", "20", "59.95%", f"{CAP_REASON}；{AWARD_REASON}"],
        ["国家监测", "7.99", "10", "79.9%", ""],
    ]
    assert not problems_in(file_texts(data), [SCHEME.id])


def test_a_unit_with_no_applicable_tagged_item_reads_a_dash() -> None:
    data = write_unit_report(_results(), "U3", PERIOD, NAMES)
    ws = openpyxl.load_workbook(io.BytesIO(data))["各标签得分"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=3)] == [
        ["★核心指标", "—", "0", "—", ""],
        ["国家监测", "—", "0", "—", ""],
    ]


@pytest.mark.parametrize("rate", [0.6, 0.5995, 0.59996, 0.59999999, 0.1, 0.99951, 0.0, 1.0, 0.604449])
def test_column_wise_decimals_match_the_engine_one_by_one(rate: float) -> None:
    lines = [60.0, 100.0]
    assert rate_decimals(np.array([rate * 100]), lines)[0] == tag_rate_decimals(rate, lines)
