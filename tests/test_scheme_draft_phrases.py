"""Rule phrasings recognised as methods (sheets/scheme_draft/phrases.py), and near-misses that must
stay a direct score for a person to decide."""

from __future__ import annotations

import pytest

from sheets.scheme_draft.phrases import recognise, rule_maximum
from sheets.scheme_draft.text import clean, parse_points, split_numbering


def fields(text: str, points: float | None) -> dict | None:
    found = recognise(clean(text), points)
    return found.fields if found else None


@pytest.mark.parametrize(
    ("text", "points", "expected"),
    [
        ("每发现一处不符合要求扣 0.5 分，扣完为止", 5, {"method": "deduction", "per_occurrence": 0.5}),
        ("每缺一项扣１分，扣完为止。", 4, {"method": "deduction", "per_occurrence": 1.0}),
        ("每迟报一例减2分", 10, {"method": "deduction", "per_occurrence": 2.0}),
        (
            "≥ 60% 得 10 分，≥ 50% 得 6 分，≥ 40% 得 3 分，低于 40% 不得分",
            10,
            {
                "method": "target",
                "mode": "bands",
                "target": 60.0,
                "unit": "%",
                "bands": [
                    {"threshold": 60.0, "points": 10.0},
                    {"threshold": 50.0, "points": 6.0},
                    {"threshold": 40.0, "points": 3.0},
                ],
            },
        ),
        (
            "达到60%得10分",
            10,
            {
                "method": "target",
                "mode": "bands",
                "target": 60.0,
                "unit": "%",
                "bands": [{"threshold": 60.0, "points": 10.0}],
            },
        ),
        (
            "规范管理率达到省定目标 85% 得满分，未达到按比例得分",
            15,
            {"method": "target", "mode": "proportional", "target": 85.0, "unit": "%"},
        ),
        (
            "有年度计划得1分，有工作总结得1分",
            2,
            {
                "method": "checklist",
                "tasks": [{"name": "有年度计划", "points": 1.0}, {"name": "有工作总结", "points": 1.0}],
            },
        ),
        (
            "按时上报月报表得2分，否则不得分",
            2,
            {"method": "checklist", "tasks": [{"name": "按时上报月报表", "points": 2.0}]},
        ),
        ("有应急预案得3分，无预案不得分", 3, {"method": "checklist", "tasks": [{"name": "有应急预案", "points": 3.0}]}),
        (
            "成立领导小组得2分，有年度工作计划得3分。",  # tasks need not start with 有: they add up
            5,
            {
                "method": "checklist",
                "tasks": [{"name": "成立领导小组", "points": 2.0}, {"name": "有年度工作计划", "points": 3.0}],
            },
        ),
        (
            "有计划并实施得3分，部分落实得1分，无不得分",  # grades of one thing: the best is the item's
            3,
            {
                "method": "levels",
                "levels": [
                    {"label": "有计划并实施", "points": 3.0},
                    {"label": "部分落实", "points": 1.0},
                    {"label": "无", "points": 0.0},
                ],
            },
        ),
        (
            "优秀得10分，良好得8分，合格得6分，不合格得0分",
            10,
            {
                "method": "levels",
                "levels": [
                    {"label": "优秀", "points": 10.0},
                    {"label": "良好", "points": 8.0},
                    {"label": "合格", "points": 6.0},
                    {"label": "不合格", "points": 0.0},
                ],
            },
        ),
        ("发生重大医疗事故的，实行一票否决", None, {"method": "veto", "points": 0}),
        (
            "每获得市级及以上表彰一次加 1 分，最高加 3 分",
            None,
            {"method": "bonus", "points": 0, "per_occurrence": 1.0, "cap": 3.0},
        ),
    ],
)
def test_a_phrasing_becomes_its_method(text: str, points: float | None, expected: dict) -> None:
    assert fields(text, points) == expected


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("每下降 2 个百分点扣 1 分，扣完为止", 10),  # per_shortfall of a rate, not counted events
        ("履约率低于80%的，每低1%扣0.5分", 10),
        ("每迟报一次扣0.5分，每漏报一次扣1分", 10),  # two rates: kinds a person must name
        ("未建立制度扣2分，每缺一项扣0.5分", 5),  # a fixed and a counted deduction
        ("≥ 60% 得 10 分，≥ 50% 得 6 分，每低 1% 扣 0.5 分", 10),  # bands and a deduction
        ("≥ 50% 得 6 分，≥ 60% 得 10 分", 10),  # thresholds not falling
        ("≥ 60% 得 12 分", 10),  # a band above the item's points
        ("≥ 60% 得 10 分，其余酌情得 2 分", 10),  # a gain that is no band
        ("有计划并实施得3分，部分落实得1分，无不得分", 5),  # grades whose best is not the item's 5
        ("优秀得10分，良好得10分，合格得6分", 10),  # two grades worth the same
        ("优秀得10分，良好得8分，其余酌情", 10),  # a clause that is no grade
        ("成立领导小组得2分，有年度工作计划得2分", 5),  # tasks adding up to 4 of 5, no grade worth 5
        ("有年度计划得1分", 2),  # 「得1分」 on a 2-point item: the rule max disagrees
        ("考核组现场检查酌情评分", 10),
        ("一票否决", 5),  # a veto row that carries points: a person decides
        ("每获表彰一次加 1 分", None),  # no cap
        ("达到90%得满分", None),  # no points to give
    ],
)
def test_a_near_miss_is_not_recognised(text: str, points: float | None) -> None:
    assert fields(text, points) is None


def test_the_rule_maximum_is_the_largest_gain_or_the_sum_of_tasks() -> None:
    assert rule_maximum(clean("按时上报得1分，否则不得分"), 2) == 1
    assert rule_maximum(clean("有计划得1分，有总结得2分"), 3) == 3
    assert rule_maximum(clean("成立领导小组得2分，有年度工作计划得3分"), 5) == 5  # tasks adding up
    assert rule_maximum(clean("优秀得10分，良好得8分，合格得6分"), 10) == 10  # grades: the best
    assert rule_maximum(clean("优秀得10分，良好得8分"), 12) == 10  # neither: the best, and a warning
    assert rule_maximum(clean("≥ 60% 得 8 分，≥ 50% 得 6 分"), 10) == 8
    assert rule_maximum(clean("达到 60% 得满分"), 10) is None
    assert rule_maximum(clean("每次扣 1 分"), 10) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10),
        ("10.0", 10),
        ("１０分", 10),
        ("10 分", 10),
        ("0.5", 0.5),
        ("", None),
        ("一票否决", None),
        ("十", None),
    ],
)
def test_points_as_tables_write_them(text: str, value: float | None) -> None:
    assert parse_points(text) == value


@pytest.mark.parametrize(
    ("text", "number", "rest"),
    [
        ("一、基本医疗", "1", "基本医疗"),
        ("（二）门诊服务", "2", "门诊服务"),
        ("十二、其他", "12", "其他"),
        ("1.建档率", "1", "建档率"),
        ("1.2 处方合格率", "1.2", "处方合格率"),
        ("A1. 门诊", "A1", "门诊"),
        ("65岁以上老人管理率", "", "65岁以上老人管理率"),  # a number that is part of the name
        ("基本医疗", "", "基本医疗"),
    ],
)
def test_numbering_is_split_from_the_name(text: str, number: str, rest: str) -> None:
    assert split_numbering(clean(text)) == (number, rest)
