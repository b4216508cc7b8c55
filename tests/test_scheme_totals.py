"""Schemes that are not 100 points: declared subtotals are checked against their leaves, unwritten
grades and bottom line follow the total, written ones are kept but may not exceed it.

Every expected number is worked out by hand: 90/80/60 % of 10 are 9/8/6, of 115 are 103.5/92/69;
the bottom line is 80 % (8 and 92).
"""

from __future__ import annotations

import copy

import pytest
from scheme_factory import bonus, direct, make_scheme, scheme_dict, target, values

from scoring import SchemeError, parse_scheme, scheme_from_dict, score


def _messages(data: dict) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


# -- declared subtotals ------------------------------------------------------------------------
def _report_scheme(points: float | None = 23, bonus_points: float | None = 10) -> dict:
    """「信息报告（23分+10分）」 over two leaves of 15 + 8 and a bonus capped at 10, plus 77 points elsewhere."""
    report = {"code": "A", "name": "信息报告", "items": [direct("A1", 15), direct("A2", 8), bonus("A3", 1, 10)]}
    if points is not None:
        report["points"] = points
    if bonus_points is not None:
        report["bonus_points"] = bonus_points
    data = scheme_dict(direct("B1", 77), total=100, bonus_cap=10)
    data["criteria"].insert(0, report)
    return data


def test_a_subtotal_that_agrees_with_its_leaves_loads() -> None:
    scheme = scheme_from_dict(_report_scheme())
    assert scheme.criteria[0].points == 23 and scheme.criteria[0].bonus_points == 10
    assert scheme_from_dict(_report_scheme(points=None, bonus_points=None)).criteria[0].points is None


def test_a_subtotal_that_disagrees_names_the_criterion_and_both_numbers() -> None:
    data = _report_scheme()
    data["criteria"][0]["items"][1]["points"] = 3  # 15 + 3 = 18, the table says 23
    data["criteria"][1]["items"][0]["points"] = 82  # keep the grand total at 100
    assert _messages(data) == ["criteria[0].points: 各细则合计 18 分，方案中写 23 分"]


def test_a_bonus_subtotal_is_checked_against_the_bonus_caps() -> None:
    assert _messages(_report_scheme(bonus_points=5)) == [
        "criteria[0].bonus_points: 各加分项上限合计 10 分，方案中写加分 5 分"
    ]


def test_bonus_written_into_points_gets_a_hint() -> None:
    assert _messages(_report_scheme(points=33, bonus_points=None)) == [
        "criteria[0].points: 各细则合计 23 分，方案中写 33 分（其中 10 分是加分，请写在「加分分值」）"
    ]


def test_second_level_subtotals_and_the_grand_total_are_all_reported() -> None:
    data = scheme_dict(direct("X", 1))
    data["total"] = 100
    data["criteria"] = [
        {
            "code": "A",
            "name": "公共卫生",
            "points": 60,
            "children": [
                {"code": "A1", "name": "健康档案", "points": 20, "items": [direct("A11", 25)]},
                {"code": "A2", "name": "慢病管理", "points": 30, "items": [target("A21", 30, target=60)]},
            ],
        }
    ]
    assert _messages(data) == [
        "criteria[0].points: 各细则合计 55 分，方案中写 60 分",
        "criteria[0].children[0].points: 各细则合计 25 分，方案中写 20 分",
        "评分细则分值合计 55，与方案总分 100 不一致",
    ]


def test_subtotals_are_checked_when_read_from_yaml() -> None:
    text = """
id: t
name: 测试
version: "1"
period_type: month
criteria:
  - code: A
    name: 信息报告
    points: 23
    items:
      - {code: A1, name: 报告及时率, method: direct, points: 18}
      - {code: B1, name: 其他, method: direct, points: 82}
"""
    with pytest.raises(SchemeError) as exc:
        parse_scheme(text)
    assert exc.value.messages == ["一级指标「信息报告」的「分值」: 各细则合计 100 分，方案中写 23 分"]


# -- grades and the bottom line relative to the total ---------------------------------------------
@pytest.mark.parametrize(
    ("total", "mins", "line"),
    [(100, [90, 80, 60, 0], 80), (10, [9, 8, 6, 0], 8), (115, [103.5, 92, 69, 0], 92), (30, [27, 24, 18, 0], 24)],
)
def test_unwritten_grades_and_bottom_line_follow_the_total(total: float, mins: list[float], line: float) -> None:
    scheme = make_scheme(direct("D1", total))
    assert [g.min for g in scheme.grades] == mins
    assert [g.name for g in scheme.grades] == ["优秀", "良好", "合格", "不合格"]
    assert scheme.bottom.threshold == line


def test_written_grades_and_lines_are_kept_as_written() -> None:
    grades = [{"name": "达标", "min": 7}, {"name": "不达标", "min": 0}]
    scheme = make_scheme(direct("D1", 10), grades=grades, bottom={"threshold": 5})
    assert [g.min for g in scheme.grades] == [7, 0] and scheme.bottom.threshold == 5
    assert make_scheme(direct("D1", 10), bottom={"threshold": None, "lowest_n": 1}).bottom.threshold is None
    # a bottom rule that does not mention the line gets the scaled one
    partial = make_scheme(direct("D1", 115), bottom={"lowest_n": 1, "consequence": "约谈"})
    assert (partial.bottom.threshold, partial.bottom.lowest_n, partial.bottom.consequence) == (92, 1, "约谈")


def test_a_grade_or_line_above_the_total_is_refused_and_at_the_total_is_not() -> None:
    grades = [{"name": "优秀", "min": 10.5}, {"name": "合格", "min": 6}, {"name": "不合格", "min": 0}]
    data = scheme_dict(direct("D1", 10), grades=grades, bottom={"threshold": 11})
    assert _messages(data) == [
        "grades[0].min: 等级「优秀」的下限 10.5 分高于方案总分 10 分",
        "bottom.threshold: 末位线 11 分高于方案总分 10 分",
    ]
    ok = copy.deepcopy(data)
    ok["grades"][0]["min"], ok["bottom"]["threshold"] = 10, 10
    assert scheme_from_dict(ok).bottom.threshold == 10


def _graded(total: float, totals: dict[str, float]) -> dict[str, tuple[str, bool, str]]:
    scheme = make_scheme(direct("D1", total), bottom={"consequence": "约谈"})
    units = score(scheme, values({u: {"D1": v} for u, v in totals.items()})).units.set_index("unit")
    return {u: (str(r["grade"]), bool(r["bottom"]), str(r["bottom_reason"])) for u, r in units.iterrows()}


def test_a_10_point_scheme_is_graded_and_bottom_ranked_at_its_boundaries() -> None:
    got = _graded(10, {"甲": 9, "乙": 8.99, "丙": 8, "丁": 7.99, "戊": 6, "己": 5.99})
    assert got == {
        "甲": ("优秀", False, ""),
        "乙": ("良好", False, ""),
        "丙": ("良好", False, ""),
        "丁": ("合格", True, "低于 8 分"),
        "戊": ("合格", True, "低于 8 分"),
        "己": ("不合格", True, "低于 8 分"),
    }


def test_a_115_point_scheme_is_graded_and_bottom_ranked_at_its_boundaries() -> None:
    got = _graded(115, {"甲": 103.5, "乙": 103.49, "丙": 92, "丁": 91.99, "戊": 69, "己": 68.99, "庚": 100})
    assert got == {
        "甲": ("优秀", False, ""),
        "乙": ("良好", False, ""),
        "丙": ("良好", False, ""),
        "丁": ("合格", True, "低于 92 分"),
        "戊": ("合格", True, "低于 92 分"),
        "己": ("不合格", True, "低于 92 分"),
        "庚": ("良好", False, ""),  # 100 of 115 is 87 %: 良好, not 优秀 as against a 100-point scale
    }
