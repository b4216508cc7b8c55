"""Tags on leaves (★核心指标, 国家监测 …), per-tag subtotals and rules on tag score rates.

The scheme: A1 (10 分, direct) and A3 (10 分, deduction 2 分/次) carry 核心指标, so the tag's
applicable points are 20; A2 (80 分) has no tag. Below 60% on 核心指标 caps the grade at 合格
and bars awards. Rates are compared as earned × 100 < 60 × points: exactly 60% is not below.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reports.unit import award_status, tag_subtotals
from scoring import Scheme, SchemeError, scheme_from_dict, score
from scoring.engine import tag_rule_text, tag_rule_texts
from scoring.scheme import TagRule
from sheets.guide import guide_lines
from sheets.template import build_template

CAP_REASON = "核心指标得分率 59.95%，低于 60%：等级至多评为合格"
AWARD_REASON = "核心指标得分率低于60%，不得评优（核心指标得分率 59.95%）"


def _spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": "tags",
        "name": "标签示例",
        "version": "1",
        "period_type": "month",
        "tags": [
            {"name": "核心指标", "mark": "★", "description": "省考核核心指标"},
            {"name": "国家监测", "description": "国家监测指标"},
        ],
        "tag_rules": [
            {"tag": "核心指标", "below_pct": 60, "grade": "合格"},
            {"tag": "核心指标", "below_pct": 60, "ineligible": "核心指标得分率低于60%，不得评优"},
        ],
        "criteria": [
            {
                "code": "A",
                "name": "基本公卫",
                "items": [
                    {
                        "code": "A1",
                        "name": "建档率",
                        "method": "direct",
                        "points": 10,
                        "allow_na": True,
                        "tags": ["核心指标", "国家监测"],
                    },  # fmt: skip
                    {"code": "A2", "name": "其他工作", "method": "direct", "points": 80},
                    {
                        "code": "A3",
                        "name": "迟报",
                        "method": "deduction",
                        "points": 10,
                        "per_occurrence": 2,
                        "allow_na": True,
                        "tags": ["核心指标"],
                    },  # fmt: skip
                ],
            }
        ],
    }
    spec.update(changes)
    return spec


SCHEME = scheme_from_dict(_spec())


def _score(rows: list[tuple[str, str, float | None]], scheme: Scheme = SCHEME):
    frame = pd.DataFrame(
        [(u, c, np.nan if v is None else v, v is None) for u, c, v in rows], columns=["unit", "code", "value", "na"]
    )
    return score(scheme, frame)


def _unit(a1: float | None, a3: float | None, a2: float = 80, unit: str = "U") -> list[tuple]:
    return [(unit, "A1", a1), (unit, "A2", a2), (unit, "A3", a3)]


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"tag_rules": [{"tag": "重点", "below_pct": 60, "grade": "合格"}]},
            "tag_rules[0].tag: 没有计分的评分细则带标签「重点」，无法计算其得分率",
        ),
        (
            {"tag_rules": [{"tag": "核心指标", "below_pct": 60, "grade": "差"}]},
            "tag_rules[0].grade: 等级「差」不是本方案的等级（优秀、良好、合格、不合格）",
        ),
        (
            {"tag_rules": [{"tag": "核心指标", "below_pct": 60}]},
            "tag_rules[0]: 标签规则须写「等级至多评为」或「不得评优的理由」，至少一个",
        ),
        ({"tag_rules": [{"tag": "核心指标", "below_pct": 0, "grade": "合格"}]}, "tag_rules[0].below_pct: 必须大于 0"),
        ({"tags": [{"name": "核心指标"}]}, "指标 A1「建档率」的标签「国家监测」未在方案的「标签」中声明"),
        ({"tags": [{"name": "核心指标"}, {"name": "核心指标"}, {"name": "国家监测"}]}, "tags: 标签重复声明：核心指标"),
    ],
)
def test_scheme_refuses_bad_tags_with_located_chinese_lines(changes: dict, expected: str) -> None:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(_spec(**changes))
    assert expected in [p.keyed for p in exc.value.problems]


def test_undeclared_tags_are_allowed_when_the_scheme_declares_none() -> None:
    scheme = scheme_from_dict(_spec(tags=[]))
    assert scheme.tag_names == ["核心指标", "国家监测"]
    assert scheme.tag_mark("核心指标") == ""
    assert SCHEME.tagged_label(SCHEME.leaf("A1")) == "★建档率"


# -- engine ----------------------------------------------------------------------------------
def test_exactly_60_percent_is_not_below_the_line() -> None:
    r = _score(_unit(8, 3))  # A1 8 + A3 10 − 3 × 2 = 4 → 12 of 20 = 60%
    u = r.units.iloc[0]
    assert u["total"] == 92 and u["grade"] == "优秀"
    assert u["grade_cap"] == -1 and u["grade_cap_reason"] == ""
    assert bool(u["award_eligible"]) and u["award_reason"] == ""
    tags = r.tags.set_index("tag")
    assert tags.loc["核心指标", "earned"] == pytest.approx(12)
    assert tags.loc["核心指标", "points"] == 20
    assert tags.loc["核心指标", "rate"] == pytest.approx(0.6)
    assert tags.loc["国家监测", "rate"] == pytest.approx(0.8)


def test_just_below_60_percent_caps_the_grade_and_bars_awards() -> None:
    r = _score(_unit(7.99, 3))  # 11.99 of 20 = 59.95%; total 91.99 would be 优秀
    u = r.units.iloc[0]
    assert u["total"] == pytest.approx(91.99)
    assert u["grade"] == "合格"
    assert u["grade_cap"] == 2
    assert u["grade_cap_reason"] == CAP_REASON  # 59.95 rounds to 60.0: written with the decimals it needs
    assert not u["award_eligible"] and u["award_reason"] == AWARD_REASON
    assert math.isnan(u["gap_next_grade"])  # more points would not lift a capped grade
    assert award_status(u.to_dict()) == (False, AWARD_REASON)


def test_a_cap_above_the_grade_by_points_changes_nothing() -> None:
    r = _score(_unit(2, 5, a2=50))  # core 2 of 20 = 10%; total 52 is 不合格 already
    u = r.units.iloc[0]
    assert u["grade"] == "不合格" and u["grade_cap_reason"] == "核心指标得分率 10.0%，低于 60%：等级至多评为合格"
    assert u["gap_next_grade"] == pytest.approx(8)  # still 8 points from 合格, which the cap allows


def test_no_applicable_tagged_leaf_has_no_rate_and_no_rule() -> None:
    r = _score(_unit(None, None, a2=70))  # 70 of 80 applicable → 87.5
    u = r.units.iloc[0]
    assert u["total"] == pytest.approx(87.5) and u["grade"] == "良好" and u["grade_cap"] == -1
    assert bool(u["award_eligible"])
    core = r.tags[r.tags["tag"] == "核心指标"].iloc[0]
    assert core["points"] == 0 and math.isnan(core["rate"])
    table = tag_subtotals(r.explain("U"))
    assert table.to_dict("records")[0] == {
        "标签": "★核心指标",
        "得分": "—",
        "适用分值": "0",
        "得分率": "—",
        "标签规则": "",
    }


def test_units_are_rated_apart_and_veto_still_decides() -> None:
    rows = _unit(8, 3, unit="甲") + _unit(7.99, 3, unit="乙") + _unit(10, 0, unit="丙")
    r = _score(rows)
    grades = dict(zip(r.units["unit"], r.units["grade"].astype(str)))
    assert grades == {"甲": "优秀", "乙": "合格", "丙": "优秀"}
    assert list(r.tags["unit"].astype(str)) == ["甲", "甲", "乙", "乙", "丙", "丙"]
    assert list(r.tags["rate"].round(6)) == [0.6, 0.8, 0.5995, 0.799, 1.0, 1.0]


def test_a_scheme_without_tags_has_an_empty_tag_frame_and_no_cap() -> None:
    plain = scheme_from_dict(_spec(tags=[], tag_rules=[], criteria=[
        {"code": "A", "name": "综合", "items": [{"code": "A1", "name": "综合", "method": "direct", "points": 100}]}
    ]))  # fmt: skip
    r = score(plain, pd.DataFrame({"unit": ["U"], "code": ["A1"], "value": [95.0]}))
    assert r.tags.empty and list(r.tags.columns) == ["period", "unit", "tag", "earned", "points", "rate"]
    assert r.units.iloc[0]["grade"] == "优秀"


# -- explanation and display -----------------------------------------------------------------
def test_the_unit_explanation_states_the_rule_that_applied() -> None:
    explained = _score(_unit(7.99, 3)).explain("U")
    assert explained.attrs["score"]["grade_cap_reason"] == CAP_REASON
    table = tag_subtotals(explained)
    assert table.to_dict("records") == [
        {
            "标签": "★核心指标",
            "得分": "11.99",
            "适用分值": "20",
            "得分率": "59.95%",
            "标签规则": f"{CAP_REASON}；{AWARD_REASON}",
        },  # fmt: skip
        {"标签": "国家监测", "得分": "7.99", "适用分值": "10", "得分率": "79.9%", "标签规则": ""},
    ]


def test_template_marks_tagged_leaves_and_states_the_rules() -> None:
    book = openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, "2025-03", [("U", "单位")])))
    ws = book["评分"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "★核心指标 · 国家监测 · 10分 · 填0–10 · 可填不适用" in texts
    assert "80分 · 填0–80" in texts  # untagged: unchanged
    lines = [text for _, text in guide_lines(SCHEME, "2025-03")]
    assert "★核心指标：省考核核心指标（A1、A3）" in lines
    assert "　　· 核心指标得分率低于 60%：等级至多评为合格" in lines
    assert "　　· 核心指标得分率低于 60%：核心指标得分率低于60%，不得评优" in lines


@pytest.mark.parametrize("rule", [
    TagRule(tag="核心指标", below_pct=60, grade="合格"),
    TagRule(tag="核心指标", below_pct=60, ineligible="核心指标得分率低于60%，不得评优"),
    TagRule(tag="核心指标", below_pct=60, ineligible="不得\x00评优"),  # the words spelled per rate then
])  # fmt: skip
def test_rule_texts_for_many_units_match_one_by_one(rule: TagRule) -> None:
    # The engine writes the texts of all units below a line at once; each must read as the
    # one-unit wording does, with the extra decimals a rate just below the line needs.
    rates = np.array([0.5995, 0.59995, 0.599995, 0.55, 0.1, 0.0, 11.99 / 20, 0.5999999999])
    texts = tag_rule_texts(rule, rates)
    assert list(texts) == [tag_rule_text(rule, float(r)) for r in rates]
    assert "得分率 59.95%" in texts[0] and "得分率 59.995%" in texts[1] and "得分率 55.0%" in texts[3]
