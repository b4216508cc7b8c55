"""score(): totals, N/A rescaling, caps, veto, award eligibility, assessors, bad input, traces.

Every expected number is worked out by hand in the comment or table next to it.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scheme_factory import NA, bonus, checklist, deduction, direct, make_scheme, one, target, values, veto

from scoring import Problem, ScoringInputError, rule_text, score


def rows(*records: tuple, **constant) -> pd.DataFrame:
    """Long rows from (unit, code, value[, assessor]) tuples."""
    out = []
    for rec in records:
        row = {"unit": rec[0], "code": rec[1], "value": rec[2]}
        if len(rec) > 3:
            row["assessor"] = rec[3]
        out.append(row | constant)
    return pd.DataFrame(out)


def problems_of(scheme, frame, **kw) -> list[Problem]:
    with pytest.raises(ScoringInputError) as exc:
        score(scheme, frame, **kw)
    return exc.value.problems


# One leaf of every method: D direct 20, T target ≥ 60 30 points, K checklist 10 + 10,
# X deduction 30 (5 per occurrence), B bonus 1 each capped at 3, V veto. Scheme bonus cap 5.
EVERY_METHOD = make_scheme(
    direct("D", 20),
    target("T", 30, target=60, valid_min=0, valid_max=100),
    checklist("K", {"k1": 10, "k2": 10}),
    deduction("X", 30, 5),
    bonus("B", 1, 3),
    veto("V"),
    bonus_cap=5,
)


def test_every_method_one_unit_by_hand():
    # D 15 + T 30 (61 ≥ 60) + K 10 (k1 only) + X 30 − 2 × 5 = 20 → base 75; bonus 2 → 77.
    r = score(EVERY_METHOD, values({"甲": {"D": 15, "T": 61, "k1": 1, "k2": 0, "X": 2, "B": 2, "V": 0}}))
    u = r.units.iloc[0]
    assert u["earned_base"] == 75
    assert u["applicable_points"] == 100
    assert u["bonus"] == 2
    assert u["total"] == 77
    assert u["score_rate"] == pytest.approx(0.77)
    assert u["lost"] == 25
    assert u["grade"] == "合格"
    assert not u["veto"] and u["award_eligible"]
    assert u["unmet_targets"] == 1  # the checklist is not complete; the target is met
    assert u["category"] == "全部"

    lv = r.leaves.set_index(r.leaves["leaf"].astype(str))
    assert lv["earned"].to_dict() == {"D": 15, "T": 30, "K": 10, "X": 20, "B": 2, "V": 0}
    assert lv["lost"].to_dict() == {"D": 5, "T": 0, "K": 10, "X": 10, "B": 0, "V": 0}
    assert lv.loc["T", "met"] == 1 and lv.loc["K", "met"] == 0 and math.isnan(lv.loc["D", "met"])
    assert lv.loc["T", "value"] == 61

    assert r.tasks[["task", "done"]].values.tolist() == [["k1", True], ["k2", False]]


def test_blank_deduction_bonus_and_veto_mean_nothing_happened():
    u = one(EVERY_METHOD, {"D": 20, "T": 60, "k1": 1, "k2": 1})
    assert u["total"] == 100 and u["bonus"] == 0 and not u["veto"]


@pytest.mark.parametrize(
    ("decimals", "direct_value", "total"),
    [
        (2, 80.125, 80.13),  # exactly half: rounded up (numpy would give 80.12)
        (2, 80.124, 80.12),
        (1, 80.25, 80.3),  # numpy would give 80.2
        (1, 80.24, 80.2),
        (0, 79.5, 80),  # displayed 80 → not below the 80-point line
    ],
)
def test_total_is_rounded_half_up_to_scheme_decimals(decimals, direct_value, total):
    u = one(make_scheme(direct("D", 100), decimals=decimals), {"D": direct_value})
    assert u["total"] == total


def test_rounded_total_decides_the_bottom_line():
    u = one(make_scheme(direct("D", 100), decimals=0), {"D": 79.5})
    assert u["total"] == 80 and not u["bottom"] and u["grade"] == "良好"


# -- 不适用 (N/A) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "cells", "total"),
    [
        # D1 80 + D2 20 (may be N/A) + D3 0-point-free: earned / applicable × 100
        ("all apply", {"D1": 70, "D2": 20}, 90),
        ("20-point leaf N/A: 70 of 80", {"D1": 70, "D2": NA}, 87.5),
        ("20-point leaf N/A: full marks stay full", {"D1": 80, "D2": NA}, 100),
        ("20-point leaf N/A: 60 of 80", {"D1": 60, "D2": NA}, 75),
    ],
)
def test_not_applicable_rescales_over_applicable_points(case, cells, total):
    s = make_scheme(direct("D1", 80), direct("D2", 20, allow_na=True))
    u = one(s, cells)
    assert u["total"] == total, case


def test_not_applicable_repeating_fraction_is_rounded():
    # 20 of the 30 applicable points → 66.666… → 66.67
    s = make_scheme(direct("D1", 30), direct("D2", 70, allow_na=True))
    assert one(s, {"D1": 20, "D2": NA})["total"] == 66.67


def test_not_applicable_with_declared_total_other_than_100():
    # total 50: D1 30 of 40 applicable → 30 × 50 / 40 = 37.5
    s = make_scheme(direct("D1", 40), direct("D2", 10, allow_na=True))
    u = one(s, {"D1": 30, "D2": NA})
    assert u["total"] == 37.5 and u["applicable_points"] == 40 and u["score_rate"] == pytest.approx(0.75)


def test_bonus_is_added_after_rescaling():
    # 70 of 80 → 87.5, then +2 bonus (not rescaled) → 89.5
    s = make_scheme(direct("D1", 80), direct("D2", 20, allow_na=True), bonus("B", 1, 5), bonus_cap=5)
    assert one(s, {"D1": 70, "D2": NA, "B": 2})["total"] == 89.5


def test_not_applicable_leaf_is_reported_in_leaves_and_trace():
    s = make_scheme(direct("D1", 80), direct("D2", 20, allow_na=True))
    r = score(s, values({"甲": {"D1": 70, "D2": NA}}))
    d2 = r.leaves[r.leaves["leaf"] == "D2"].iloc[0]
    assert not d2["applicable"] and d2["points"] == 0 and d2["lost"] == 0
    assert r.explain("甲").set_index("code").loc["D2", "trace"] == "不适用：本项 20 分不计入，总分按适用分值折算"


def test_checklist_not_applicable_as_a_whole_needs_no_task_values():
    s = make_scheme(direct("D", 50), checklist("K", {"k1": 25, "k2": 25}, allow_na=True))
    u = one(s, {"D": 40, "K": NA})
    assert u["total"] == 80 and u["applicable_points"] == 50 and u["unmet_targets"] == 0


def test_not_applicable_target_earns_no_stretch_and_is_not_unmet():
    s = make_scheme(
        direct("D", 50),
        target("T", 50, target=8, stretch={"target": 10, "points": 2}, allow_na=True),
        bonus_cap=5,
    )
    u = one(s, {"D": 45, "T": NA})
    assert u["total"] == 90 and u["bonus"] == 0 and u["unmet_targets"] == 0


def test_every_leaf_not_applicable_is_an_error():
    s = make_scheme(direct("D1", 80, allow_na=True), direct("D2", 20, allow_na=True))
    (p,) = problems_of(s, values({"甲": {"D1": NA, "D2": NA}}))
    assert p.unit == "甲" and p.message == "所有评分细则均为不适用，无法计分"


# -- missing values -------------------------------------------------------------------------------

# D direct 50, T target ≥ 60 (all or nothing) 30, K checklist k1 10 + k2 10. 甲 left T and k2 blank.
MISSING = [direct("D", 50), target("T", 30, target=60), checklist("K", {"k1": 10, "k2": 10})]


def test_missing_values_are_an_error_by_default():
    s = make_scheme(*MISSING)
    problems = problems_of(s, values({"甲": {"D": 40, "k1": 1}, "乙": {"D": 50, "T": 70, "k1": 1, "k2": 1}}))
    assert [(p.unit, p.code) for p in problems] == [("甲", "T"), ("甲", "k2")]
    assert all(p.message == "缺少数值（空白不等于 0；如确不适用请填「不适用」）" for p in problems)


def test_missing_none_value_is_blank_not_zero():
    s = make_scheme(*MISSING)
    problems = problems_of(s, values({"甲": {"D": None, "T": 70, "k1": 1, "k2": 1}}))
    assert [(p.unit, p.code) for p in problems] == [("甲", "D")]


@pytest.mark.parametrize(
    ("missing", "total", "applicable"),
    [
        ("zero", 50, 100),  # D 40 + T 0 (blank = 0 < 60) + k1 10 + k2 0 = 50 of 100
        ("not_applicable", 80, 50),  # T and the whole checklist N/A: D 40 of 50 → 80
    ],
)
def test_missing_policy(missing, total, applicable):
    s = make_scheme(*MISSING, missing=missing)
    u = one(s, {"D": 40, "k1": 1})
    assert u["total"] == total and u["applicable_points"] == applicable


def test_missing_not_applicable_lets_any_leaf_take_na():
    s = make_scheme(direct("D1", 80), direct("D2", 20), missing="not_applicable")
    assert one(s, {"D1": 70, "D2": NA})["total"] == 87.5


# -- bonus, stretch and deduction caps ------------------------------------------------------------


@pytest.mark.parametrize(
    ("b1", "b2", "bonus_points"),
    [
        (0, 0, 0),
        (2, 0, 1),  # 0.5 each
        (10, 0, 2),  # B1 capped at 2 per leaf
        (2, 2, 3),  # B1 1 + B2 2
        (4, 3, 4),  # B1 2 + B2 3 = 5 → scheme cap 4
        (10, 10, 4),  # B1 2 + B2 3 (leaf caps) → scheme cap 4
    ],
)
def test_bonus_capped_per_leaf_and_by_scheme(b1, b2, bonus_points):
    # B1: 0.5 each, at most 2; B2: 1 each, at most 3; scheme bonus_cap 4.
    s = make_scheme(direct("D", 100), bonus("B1", 0.5, 2), bonus("B2", 1, 3), bonus_cap=4)
    u = one(s, {"D": 90, "B1": b1, "B2": b2})
    assert u["bonus"] == bonus_points
    assert u["total"] == 90 + bonus_points


def test_stretch_points_count_with_bonus_under_the_scheme_cap():
    # T stretch +2, B bonus 1 each capped 3; scheme cap 4: 2 + 3 = 5 → 4.
    s = make_scheme(
        target("T", 100, target=8, stretch={"target": 10, "points": 2}),
        bonus("B", 1, 3),
        bonus_cap=4,
    )
    assert one(s, {"T": 10, "B": 0})["total"] == 102
    assert one(s, {"T": 10, "B": 3})["total"] == 104
    assert one(s, {"T": 9.9, "B": 3})["total"] == 103


def test_total_may_exceed_declared_total_by_the_bonus_only():
    s = make_scheme(direct("D", 100), bonus("B", 5, 50), bonus_cap=3)
    u = one(s, {"D": 100, "B": 10})
    assert u["total"] == 103 and u["score_rate"] == pytest.approx(1.03)


@pytest.mark.parametrize(("occurrences", "total"), [(0, 100), (1, 97), (3, 91), (4, 90), (10, 90)])
def test_deduction_never_takes_more_than_its_own_points(occurrences, total):
    # X: 10 points, 3 off each; D 90 full. The deduction never eats into D.
    s = make_scheme(direct("D", 90), deduction("X", 10, 3))
    assert one(s, {"D": 90, "X": occurrences})["total"] == total


# -- veto and award eligibility -------------------------------------------------------------------


def test_veto_forces_lowest_grade_and_removes_award_eligibility():
    s = make_scheme(direct("D", 100), veto("V", "发生重大医疗安全事故"))
    u = one(s, {"D": 100, "V": 1})
    assert u["veto"]
    assert u["total"] == 100  # the points stand; the grade and rank do not
    assert u["grade"] == "不合格"
    assert not u["award_eligible"]
    assert u["veto_reason"] == "发生重大医疗安全事故"
    assert u["award_reason"] == "一票否决：发生重大医疗安全事故"
    assert math.isnan(u["gap_next_grade"])


def test_two_vetoes_name_both_reasons():
    s = make_scheme(direct("D", 100), veto("V1", "发生重大医疗安全事故"), veto("V2", "瞒报传染病疫情"))
    u = one(s, {"D": 95, "V1": 1, "V2": 1})
    assert u["veto_reason"] == "发生重大医疗安全事故；瞒报传染病疫情"


def test_veto_zero_is_no_veto():
    s = make_scheme(direct("D", 100), veto("V"))
    u = one(s, {"D": 95, "V": 0})
    assert not u["veto"] and u["grade"] == "优秀" and u["award_eligible"] and u["veto_reason"] == ""


STANDARDISATION = "标准化创建验收不合格，不得评先评优"


@pytest.mark.parametrize(
    ("leaf", "cells", "eligible"),
    [
        (checklist("K", {"k1": 5, "k2": 5}, ineligible_if_unmet=STANDARDISATION), {"k1": 1, "k2": 1}, True),
        (checklist("K", {"k1": 5, "k2": 5}, ineligible_if_unmet=STANDARDISATION), {"k1": 1, "k2": 0}, False),
        (target("K", 10, target=25, ineligible_if_unmet=STANDARDISATION), {"K": 25}, True),
        (target("K", 10, target=25, ineligible_if_unmet=STANDARDISATION), {"K": 24.99}, False),
        (target("K", 10, target=25, mode="proportional", ineligible_if_unmet=STANDARDISATION), {"K": 20}, False),
        (direct("K", 10, ineligible_if_unmet=STANDARDISATION), {"K": 10}, True),
        (direct("K", 10, ineligible_if_unmet=STANDARDISATION), {"K": 9.5}, False),
        (deduction("K", 10, 1, ineligible_if_unmet=STANDARDISATION), {"K": 0}, True),
        (deduction("K", 10, 1, ineligible_if_unmet=STANDARDISATION), {"K": 1}, False),
        (direct("K", 10, allow_na=True, ineligible_if_unmet=STANDARDISATION), {"K": NA}, True),  # N/A is not failing
    ],
)
def test_ineligible_if_unmet(leaf, cells, eligible):
    s = make_scheme(direct("D", 90), leaf)
    u = one(s, {"D": 90, **cells})
    assert bool(u["award_eligible"]) is eligible
    assert u["award_reason"] == ("" if eligible else STANDARDISATION)
    assert not u["veto"]


def test_veto_is_named_before_other_award_grounds():
    s = make_scheme(direct("D", 90), direct("K", 10, ineligible_if_unmet=STANDARDISATION), veto("V", "瞒报疫情"))
    u = one(s, {"D": 90, "K": 5, "V": 1})
    assert u["award_reason"] == f"一票否决：瞒报疫情；{STANDARDISATION}"


# -- several assessors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("combine", "scores", "total"),
    [
        ("mean", [60, 70], 65),
        ("mean", [60, 70, 100], 76.67),  # 230 / 3
        ("trimmed_mean", [60, 70], 65),  # fewer than 3: nothing dropped
        ("trimmed_mean", [60, 70, 100], 70),  # drop 100 and 60
        ("trimmed_mean", [60, 70, 80, 100], 75),  # drop 100 and 60 → (70 + 80) / 2
        ("trimmed_mean", [90, 90, 90], 90),
        ("trimmed_mean", [50, 90, 90, 90, 100], 90),
    ],
)
def test_assessors_combined(combine, scores, total):
    s = make_scheme(direct("D", 100), combine=combine)
    frame = rows(*[("甲", "D", v, f"考核人{i}") for i, v in enumerate(scores)])
    r = score(s, frame)
    assert r.units.iloc[0]["total"] == total
    assert r.leaves.iloc[0]["assessors"] == len(scores)


def test_assessors_values_are_combined_before_the_target_is_compared():
    # 58 and 62 → 60 ≥ 60: met, although one assessor alone would have failed it.
    s = make_scheme(target("T", 100, target=60))
    r = score(s, rows(("甲", "T", 58, "张三"), ("甲", "T", 62, "李四")))
    assert r.units.iloc[0]["total"] == 100
    assert r.leaves.iloc[0]["value"] == 60


def test_veto_reported_by_one_of_two_assessors_counts():
    s = make_scheme(direct("D", 100), veto("V", "重大医疗事故"))
    frame = rows(("甲", "D", 95, "张三"), ("甲", "D", 95, "李四"), ("甲", "V", 0, "张三"), ("甲", "V", 1, "李四"))
    r = score(s, frame)
    u = r.units.iloc[0]
    assert u["veto"] and u["grade"] == "不合格" and u["veto_reason"] == "重大医疗事故"
    assert r.leaves.set_index("leaf").loc["V", "value"] == 1
    assert r.explain("甲").set_index("code").loc["V", "trace"] == "发生一票否决事项"


@pytest.mark.parametrize(
    ("combine", "marks", "done"),
    [
        ("mean", [1, 1, 0], True),  # two of three say done
        ("mean", [1, 0, 0], False),
        ("mean", [1, 1, 1], True),
        ("trimmed_mean", [1, 1, 0], True),
        ("trimmed_mean", [0, 0, 1], False),
    ],
)
def test_checklist_task_done_by_majority_of_assessors(combine, marks, done):
    s = make_scheme(checklist("K", {"k1": 60, "k2": 40}), combine=combine)
    frame = rows(
        *[("甲", "k1", m, f"a{i}") for i, m in enumerate(marks)], *[("甲", "k2", 1, f"a{i}") for i in range(3)]
    )
    r = score(s, frame)
    assert r.units.iloc[0]["total"] == (100 if done else 40)
    assert bool(r.tasks.set_index("task").loc["k1", "done"]) is done


def test_assessors_only_on_some_units():
    s = make_scheme(direct("D", 100))
    frame = rows(("甲", "D", 80, "a"), ("甲", "D", 90, "b"), ("乙", "D", 70, "a"))
    r = score(s, frame)
    assert dict(zip(r.units["unit"].astype(str), r.units["total"])) == {"甲": 85, "乙": 70}
    assert dict(zip(r.leaves["unit"].astype(str), r.leaves["assessors"])) == {"甲": 2, "乙": 1}


# -- bad input: every problem located and collected -----------------------------------------------

# D direct 20, T target 0..100, K checklist, X deduction, B bonus, V veto, N direct that may be N/A.
STRICT = make_scheme(
    direct("D", 20),
    target("T", 30, target=60, valid_min=0, valid_max=100),
    target("R", 10, target=5, direction="lower", valid_min=0),
    checklist("K", {"k1": 10, "k2": 10}),
    deduction("X", 10, 5),
    bonus("B", 1, 3),
    veto("V"),
    direct("N", 10, allow_na=True),
    bonus_cap=3,
)
COMPLETE = {"D": 10, "T": 50, "R": 4, "k1": 1, "k2": 1, "X": 0, "B": 0, "V": 0, "N": 5}

BAD_CELLS = [
    ("D", "十分", "'十分' 不是数字"),
    ("D", "12分", "'12分' 不是数字"),
    ("D", 25, "'25' 超出范围 （应在 0 到 20 之间）"),
    ("D", -1, "'-1' 超出范围 （应在 0 到 20 之间）"),
    ("T", 120, "'120' 超出范围 （应在 0 到 100 之间）"),
    ("R", -0.5, "'-0.5' 超出范围 （应 ≥ 0）"),
    ("T", float("inf"), "'inf' 不是有限数字"),
    ("k1", 0.5, "'0.5' 应为 1（是/完成）或 0（否/未完成）"),
    ("k1", 2, "'2' 超出范围 （应在 0 到 1 之间）"),
    ("V", 2, "'2' 超出范围 （应在 0 到 1 之间）"),
    ("X", 1.5, "'1.5' 应为整数次数"),
    ("X", -1, "'-1' 超出范围 （应 ≥ 0）"),
    ("B", 0.5, "'0.5' 应为整数次数"),
    ("D", NA, "该指标不允许填写「不适用」"),
    ("T", NA, "该指标不允许填写「不适用」"),
]


@pytest.mark.parametrize(("code", "bad", "message"), BAD_CELLS, ids=[f"{c}={v}" for c, v, _ in BAD_CELLS])
def test_bad_cell_is_located(code, bad, message):
    problems = problems_of(STRICT, values({"甲": COMPLETE, "乙": {**COMPLETE, code: bad}}, period="2026-03"))
    assert problems == [Problem(message, unit="乙", code=code, period="2026-03")]
    assert str(problems[0]) == f"期间 2026-03 单位「乙」 指标 {code}: {message}"


def test_all_bad_cells_are_collected_not_just_the_first():
    frame = values(
        {
            "甲": {**COMPLETE, "D": "十分", "X": 1.5},
            "乙": {**COMPLETE, "T": 120, "D": NA},
            "丙": {**COMPLETE, "V": 2},
            "丁": {k: v for k, v in COMPLETE.items() if k != "k2"},
        }
    )
    located = {(p.unit, p.code) for p in problems_of(STRICT, frame)}
    assert located == {("甲", "D"), ("甲", "X"), ("乙", "T"), ("乙", "D"), ("丙", "V"), ("丁", "k2")}


def test_many_problems_are_all_kept_and_the_message_is_shortened():
    s = make_scheme(direct("D", 10))
    frame = rows(*[(f"单位{i:02d}", "D", 11) for i in range(60)])
    with pytest.raises(ScoringInputError) as exc:
        score(s, frame)
    assert len(exc.value.problems) == 60
    assert str(exc.value).endswith("……另有 10 个问题")


def test_unknown_code_names_the_code_and_the_unit():
    (p,) = problems_of(STRICT, values({"甲": COMPLETE, "乙": {**COMPLETE, "Z9": 3}}))
    assert p.code == "Z9" and p.unit == "乙"
    assert p.message == "指标编码「Z9」不在方案 t v1 中"


def test_unknown_code_used_by_several_units_lists_them():
    frame = values({u: {**COMPLETE, "Z9": 3} for u in ["甲", "乙", "丙", "丁"]})
    (p,) = problems_of(STRICT, frame)
    assert p.code == "Z9"
    assert p.message == "指标编码「Z9」不在方案 t v1 中（单位：甲、乙、丙 等 4 个）"


def test_same_assessor_twice_is_a_duplicate():
    s = make_scheme(direct("D", 100))
    frame = rows(("甲", "D", 80, "张三"), ("甲", "D", 85, "张三"), ("甲", "D", 90, "李四"))
    (p,) = problems_of(s, frame)
    assert (p.unit, p.code, p.assessor) == ("甲", "D", "张三")
    assert p.message == "同一考核人对同一单位同一指标填写了两次"


def test_duplicate_row_without_assessor_column():
    s = make_scheme(direct("D", 100))
    (p,) = problems_of(s, rows(("甲", "D", 80), ("甲", "D", 80)))
    assert (p.unit, p.code) == ("甲", "D") and "两次" in p.message


def test_assessors_disagree_on_not_applicable():
    s = make_scheme(direct("D1", 80), direct("D2", 20, allow_na=True))
    frame = pd.DataFrame(
        [
            {"unit": "甲", "code": "D1", "value": 70, "na": False, "assessor": "张三"},
            {"unit": "甲", "code": "D2", "value": None, "na": True, "assessor": "张三"},
            {"unit": "甲", "code": "D2", "value": 15, "na": False, "assessor": "李四"},
        ]
    )
    (p,) = problems_of(s, frame)
    assert (p.unit, p.code) == ("甲", "D2") and p.message.startswith("考核人意见不一致")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"unit": ["甲"], "code": ["D"]}), "缺少列 value"),
        (pd.DataFrame({"unit": [], "code": [], "value": []}), "没有任何评分数据"),
    ],
)
def test_unusable_frame(frame, message):
    assert [p.message for p in problems_of(make_scheme(direct("D", 100)), frame)] == [message]


# -- peer groups and periods ----------------------------------------------------------------------


def test_category_column_forms_peer_groups():
    s = make_scheme(direct("D", 100))
    frame = pd.concat(
        [
            values({"甲": {"D": 90}, "乙": {"D": 80}}, category="社区卫生服务中心"),
            values({"丙": {"D": 85}, "丁": {"D": 95}}, category="乡镇卫生院"),
        ]
    )
    u = score(s, frame).units.set_index("unit")
    assert u["category"].astype(str).to_dict() == {
        "甲": "社区卫生服务中心",
        "乙": "社区卫生服务中心",
        "丙": "乡镇卫生院",
        "丁": "乡镇卫生院",
    }
    assert u["rank"].to_dict() == {"甲": 1, "乙": 2, "丙": 2, "丁": 1}
    assert u["rank_overall"].to_dict() == {"甲": 2, "乙": 4, "丙": 3, "丁": 1}


def test_category_map_forms_peer_groups_and_unknown_units_are_errors():
    s = make_scheme(direct("D", 100))
    cats = pd.Series({"甲": "A", "乙": "B", "丙": "A"})
    u = score(s, values({"甲": {"D": 90}, "乙": {"D": 80}, "丙": {"D": 70}}), categories=cats).units.set_index("unit")
    assert u["rank"].to_dict() == {"甲": 1, "乙": 1, "丙": 2}
    (p,) = problems_of(s, values({"甲": {"D": 90}, "戊": {"D": 80}}), categories=cats)
    assert p.unit == "戊" and p.message == "单位不在单位清单中，无法确定类别"


def test_periods_are_scored_and_ranked_separately():
    s = make_scheme(direct("D", 100))
    frame = pd.concat(
        [
            values({"甲": {"D": 90}, "乙": {"D": 80}}, period="2026-01"),
            values({"甲": {"D": 70}, "乙": {"D": 85}}, period="2026-02"),
        ]
    )
    u = score(s, frame).units
    got = {(p, un): (t, r) for p, un, t, r in zip(u["period"], u["unit"].astype(str), u["total"], u["rank"])}
    assert got == {
        ("2026-01", "甲"): (90, 1),
        ("2026-01", "乙"): (80, 2),
        ("2026-02", "甲"): (70, 2),
        ("2026-02", "乙"): (85, 1),
    }


def test_notes_travel_with_results():
    s = make_scheme(direct("D", 100))
    frame = rows(("甲", "D", 80), ("乙", "D", 90))
    frame["note"] = ["资料不全扣 20 分", ""]
    r = score(s, frame)
    assert r.notes[["unit", "code", "note"]].values.tolist() == [["甲", "D", "资料不全扣 20 分"]]


# -- explain(): traces in Chinese with the numbers that made the points ---------------------------

TRACES = [
    (direct("L", 20), 15, "考核组评分 15 分（满分 20）"),
    (target("L", 10, target=60, unit="%"), 59.995, "实际 60%，目标 ≥ 60%，达标；达标得满分，否则不得分，得 10 分"),
    (target("L", 10, target=60, inclusive=False), 60, "实际 60，目标 > 60，未达标；达标得满分，否则不得分，得 0 分"),
    (target("L", 10, target=80, mode="proportional"), 40, "实际 40，目标 ≥ 80，未达标；按比例 10 × 40/80 = 5 分"),
    (
        target("L", 10, target=30, mode="proportional", direction="lower", unit="%", decimals=1),
        40,
        "实际 40%，目标 ≤ 30%，未达标；按比例 10 × 30/40 = 7.5 分",
    ),
    (
        target("L", 10, target=95, mode="linear", floor=80, unit="%"),
        87.5,
        "实际 87.5%，目标 ≥ 95%，未达标；在起评值 80% 与目标之间线性计分，得 5 分",
    ),
    (
        target("L", 10, target=80, mode="per_shortfall", step=2, loss_per_step=1),
        78,
        "实际 78，目标 ≥ 80，未达标；差距 2，每差 2 扣 1 分，不足一档按比例扣，计 1 档，得 9 分",
    ),
    (
        target(
            "L", 10, target=60, mode="bands", bands=[{"threshold": 60, "points": 10}, {"threshold": 50, "points": 6}]
        ),
        55,
        "实际 55，目标 ≥ 60，未达标；按档次得分，得 6 分",
    ),
    (
        target("L", 10, target=80, mode="per_shortfall", step=2, loss_per_step=1, unit="%", steps="started"),
        76.5,
        "实际 76.5%，目标 ≥ 80%，未达标；差距 3.5 个百分点，每差 2 个百分点 扣 1 分，不足一档按一档计，计 2 档，得 8 分",
    ),
    (
        target("L", 10, target=80, mode="per_shortfall", step=2, loss_per_step=1, unit="%", steps="completed"),
        76.5,
        "实际 76.5%，目标 ≥ 80%，未达标；差距 3.5 个百分点，每差 2 个百分点 扣 1 分，满一档才扣，不足一档不扣，计 1 档，得 9 分",
    ),
    (
        target("L", 10, target=80, mode="per_shortfall", step=2, loss_per_step=1, whole_steps=True),
        77,
        "实际 77，目标 ≥ 80，未达标；差距 3，每差 2 扣 1 分，不足一档按一档计，计 2 档，得 8 分",
    ),
    (
        target("L", 10, target=0, mode="proportional", direction="lower", unit="起"),
        1,
        "实际 1起，目标 ≤ 0起，未达标；零容忍：实际为 0 得满分，大于 0 不得分，得 0 分",
    ),
    (
        target("L", 10, target=0, mode="proportional", direction="lower", unit="起"),
        0,
        "实际 0起，目标 ≤ 0起，达标；零容忍：实际为 0 得满分，大于 0 不得分，得 10 分",
    ),
    (  # as quoted in docs/schemes.md (per_shortfall-completed)
        target(
            "L",
            5,
            target=100,
            mode="per_shortfall",
            step=10,
            loss_per_step=0.5,
            steps="completed",
            unit="%",
            decimals=1,
        ),
        80.1,
        "实际 80.1%，目标 ≥ 100%，未达标；差距 19.9 个百分点，每差 10 个百分点 扣 0.5 分，满一档才扣，不足一档不扣，"
        "计 1 档，得 4.5 分",
    ),  # fmt: skip
    (deduction("L", 30, 5), 2, "发生 2 次 × 5 分 = 扣 10 分（本项最多扣 30 分），得 20 分"),
    (deduction("L", 10, 5), 3, "发生 3 次 × 5 分 = 扣 15 分（本项最多扣 10 分），得 0 分"),
    (veto("L"), 0, "未发生"),
]


@pytest.mark.parametrize(("leaf", "value", "trace"), TRACES, ids=[t[2][:12] for t in TRACES])
def test_trace(leaf, value, trace):
    s = make_scheme(direct("F", 10), leaf)
    r = score(s, values({"甲": {"F": 10, "L": value}}))
    assert r.explain("甲").set_index("code").loc["L", "trace"] == trace


def test_trace_checklist_and_bonus():
    s = make_scheme(checklist("K", {"k1": 10, "k2": 10}), bonus("B", 1, 3), bonus_cap=3)
    r = score(s, values({"甲": {"k1": 1, "k2": 0, "B": 5}}))
    ex = r.explain("甲").set_index("code")
    assert ex.loc["K", "trace"] == "完成 1/2 项，得 10 分；未完成：任务k2"
    assert ex.loc["B", "trace"] == "发生 5 次 × 1 分，加 3 分（本项最多 3 分，全方案加分合计另有上限）"


def test_explain_frame_columns_and_tree():
    s = make_scheme(direct("D", 60), target("T", 40, target=60))
    ex = score(s, values({"甲": {"D": 50, "T": 50}})).explain("甲")
    assert list(ex["code"]) == ["D", "T"]
    assert list(ex["dimension"]) == ["测试指标", "测试指标"]
    assert list(ex["earned"]) == [50, 0] and list(ex["lost"]) == [10, 40]
    assert ex.set_index("code").loc["T", "rule"] == "目标 ≥ 60，达标得满分，否则不得分"


def test_explain_picks_the_period():
    s = make_scheme(direct("D", 100))
    frame = pd.concat([values({"甲": {"D": 90}}, period="2026-01"), values({"甲": {"D": 70}}, period="2026-02")])
    r = score(s, frame)
    assert r.explain("甲", "2026-02")["trace"].tolist() == ["考核组评分 70 分（满分 100）"]
    with pytest.raises(KeyError, match="有多个期间"):
        r.explain("甲")
    with pytest.raises(KeyError, match="没有单位「丙」"):
        r.explain("丙")


@pytest.mark.parametrize(
    ("leaf", "text"),
    [
        (direct("L", 20), "直接评分，0–20 分"),
        (
            target(
                "L",
                10,
                target=60,
                mode="bands",
                unit="%",
                bands=[{"threshold": 60, "points": 10}, {"threshold": 50, "points": 6}],
            ),
            "目标 ≥ 60%，按档次得分（≥60% 得 10 分，≥50% 得 6 分）",
        ),
        (target("L", 10, target=95, mode="linear", floor=80), "目标 ≥ 95，起评值到目标值之间按线性得分（起评值 80）"),
        (
            target("L", 10, target=8, unit="%", stretch={"target": 10, "points": 2}),
            "目标 ≥ 8%，达标得满分，否则不得分；力争 ≥ 10% 另加 2 分",
        ),
        (target("L", 10, target=3, direction="lower", inclusive=False), "目标 < 3，达标得满分，否则不得分"),
        (checklist("L", {"a": 4, "b": 6}), "任务清单：任务a 4 分，任务b 6 分"),
        (deduction("L", 10, 2), "每发生一次扣 2 分，扣完 10 分为止"),
        (bonus("L", 0.5, 2), "每次加 0.5 分，本项最多加 2 分"),
        (veto("L"), "发生即一票否决：评为最低等级，不得评先评优"),
    ],
)
def test_rule_text(leaf, text):
    s = make_scheme(direct("F", 10), leaf)
    assert rule_text(s.leaf("L")) == text


@pytest.mark.parametrize("bad", [float("inf"), float("-inf")])
def test_infinity_is_refused_where_any_finite_number_is_allowed(bad):
    # 门诊人次 without valid_min / valid_max takes any finite number, down to -1e308 and up to 1e308
    scheme = make_scheme(target("T", 50, 100, unit="人次"), direct("D", 50))
    extremes = score(scheme, values({"甲": {"T": -1e308, "D": 10}, "乙": {"T": 1e308, "D": 10}})).leaves
    assert extremes.loc[extremes["leaf"] == "T", "earned"].tolist() == [0, 50]  # accepted and scored
    problems = problems_of(scheme, values({"甲": {"T": 5, "D": 10}, "乙": {"T": bad, "D": 10}}))
    assert problems == [Problem(f"'{bad}' 不是有限数字", unit="乙", code="T")]


def test_an_entity_with_a_value_only_in_a_later_input_is_found() -> None:
    """Inputs × entities: the first input complete stops the search; otherwise later inputs are
    looked at, and an entity with no value anywhere has none."""
    import numpy as np

    from scoring.inputs import _any_value

    nan = np.nan
    assert _any_value(np.array([[1.0, 2.0, 0.0], [nan, nan, nan]])).tolist() == [True, True, True]
    placed = np.array([[nan, 1.0, nan], [nan, nan, nan], [2.0, nan, nan]])
    assert _any_value(placed).tolist() == [True, True, False]
