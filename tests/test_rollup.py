"""Period roll-up: annual = 平时 (mean of the monthly totals) × weight + 年终 × weight, veto carries."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scheme_factory import direct, make_scheme, target, values, veto

from scoring import Part, roll_up, score
from scoring.periods import period_name, period_type, quarter_of, year_of

# D direct 90; K 标准化创建 target ≥ 100, 10 points all or nothing, failing it bars awards; V veto.
S = make_scheme(
    direct("D", 90),
    target("K", 10, target=100, ineligible_if_unmet="标准化创建验收不合格"),
    veto("V", "重大医疗事故"),
)
S_YEAR = S.model_copy(update={"period_type": "year"})  # the year-end evaluation: same leaves, annual


def monthly(table: dict[str, list[float]], vetoes: dict[str, str] | None = None) -> pd.DataFrame:
    """Monthly results from {unit: [total per month]}; K is met, so D = total − 10.

    `vetoes` names the month in which a unit had a veto.
    """
    vetoes = vetoes or {}
    frames = []
    for m, _ in enumerate(next(iter(table.values()))):
        period = f"2026-{m + 1:02d}"
        cells = {u: {"D": totals[m] - 10, "K": 100, "V": int(vetoes.get(u) == period)} for u, totals in table.items()}
        frames.append(values(cells, period=period))
    return score(S, pd.concat(frames)).units


def year_end(table: dict[str, float], **cells) -> pd.DataFrame:
    """Year-end results from {unit: total} (K met), with cells overridden per unit."""
    rows = {u: {"D": t - 10, "K": 100, "V": 0} | cells.get(u, {}) for u, t in table.items()}
    return score(S_YEAR, values(rows, period="2026")).units


def by_unit(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(frame["unit"].astype(str))


def test_annual_is_weighted_parts_by_hand():
    # 甲: months 80, 90, 85 → 平时 85; 年终 90 → 0.4 × 85 + 0.6 × 90 = 88
    # 乙: months 70, 75, 80 → 平时 75; 年终 95 → 0.4 × 75 + 0.6 × 95 = 87
    # 丙: months 90, 90, 90 → 平时 90; 年终 70 → 36 + 42 = 78
    months = monthly({"甲": [80, 90, 85], "乙": [70, 75, 80], "丙": [90, 90, 90]})
    annual = roll_up(
        S, [Part("平时", months, 0.4), Part("年终", year_end({"甲": 90, "乙": 95, "丙": 70}), 0.6)], "2026"
    )
    u = by_unit(annual)
    assert u["total"].to_dict() == {"甲": 88, "乙": 87, "丙": 78}
    assert u["rank"].to_dict() == {"甲": 1, "乙": 2, "丙": 3}
    assert u["grade"].astype(str).to_dict() == {"甲": "良好", "乙": "良好", "丙": "合格"}
    assert u["bottom"].to_dict() == {"甲": False, "乙": False, "丙": True}
    assert u["gap_next_grade"].to_dict() == {"甲": 2, "乙": 3, "丙": 2}
    assert (u["period"] == "2026").all()
    assert (u["rollup_note"] == "").all()


@pytest.mark.parametrize(("w1", "w2"), [(0.4, 0.6), (40, 60), (2, 3)])
def test_weights_are_relative(w1, w2):
    months = monthly({"甲": [80, 90]})  # 平时 85
    annual = roll_up(S, [Part("平时", months, w1), Part("年终", year_end({"甲": 90}), w2)], "2026")
    assert annual.iloc[0]["total"] == 88  # 0.4 × 85 + 0.6 × 90


def test_rolled_up_total_is_rounded_half_up():
    # 0.5 × 80.25 + 0.5 × 80 = 80.125 → 80.13 (numpy's half-to-even would give 80.12)
    months = monthly({"甲": [80.25]})
    annual = roll_up(S, [Part("平时", months, 0.5), Part("年终", year_end({"甲": 80}), 0.5)], "2026")
    assert annual.iloc[0]["total"] == 80.13


def test_veto_in_any_month_carries_into_the_year():
    months = monthly({"甲": [95, 95, 95], "乙": [80, 80, 80]}, vetoes={"甲": "2026-02"})
    annual = roll_up(S, [Part("平时", months, 0.4), Part("年终", year_end({"甲": 95, "乙": 80}), 0.6)], "2026")
    u = by_unit(annual)
    assert u.loc["甲", "total"] == 95  # the points stand …
    assert u.loc["甲", "veto"] and u.loc["甲", "grade"] == "不合格"  # … the grade does not
    assert u.loc["甲", "rank"] == 2 and u.loc["乙", "rank"] == 1
    assert not u.loc["甲", "award_eligible"]
    assert u.loc["甲", "veto_reason"] == "重大医疗事故"
    assert u.loc["甲", "award_reason"] == "一票否决：重大医疗事故"
    assert not u.loc["乙", "veto"] and u.loc["乙", "award_eligible"]


def test_award_ineligibility_in_any_part_carries():
    months = monthly({"甲": [90, 90], "乙": [90, 90]})
    final = year_end({"甲": 90, "乙": 90}, 乙={"D": 80, "K": 50})  # 乙 fails K at year end
    u = by_unit(roll_up(S, [Part("平时", months, 0.4), Part("年终", final, 0.6)], "2026"))
    assert u["award_eligible"].to_dict() == {"甲": True, "乙": False}
    assert u.loc["乙", "award_reason"] == "标准化创建验收不合格"


def test_unit_missing_from_a_part_is_rescaled_not_zeroed():
    months = monthly({"甲": [80, 90], "乙": [70, 80]})
    annual = roll_up(S, [Part("平时", months, 0.4), Part("年终", year_end({"甲": 90}), 0.6)], "2026")
    u = by_unit(annual)
    assert u.loc["甲", "total"] == 88 and u.loc["甲", "rollup_note"] == ""
    assert u.loc["乙", "total"] == 75  # only 平时: 75, not 0.4 × 75 = 30
    assert u.loc["乙", "rollup_note"] == "缺少年终，权重按已有部分折算"


def test_unmet_targets_are_summed_over_parts():
    jan = values({"甲": {"D": 80, "K": 50}}, period="2026-01")  # K unmet in January …
    feb = values({"甲": {"D": 80, "K": 100}}, period="2026-02")
    months = score(S, pd.concat([jan, feb])).units
    final = year_end({"甲": 90}, 甲={"D": 80, "K": 99})  # … and at year end
    annual = roll_up(S, [Part("平时", months, 0.4), Part("年终", final, 0.6)], "2026")
    assert annual.iloc[0]["unmet_targets"] == 2
    assert annual.iloc[0]["total"] == 0.4 * (80 + 90) / 2 + 0.6 * 80


def test_rollup_ranks_within_categories():
    jan = values({"甲": {"D": 80, "K": 10}, "乙": {"D": 70, "K": 10}}, period="2026-01", category="卫生院")
    feb = values({"丙": {"D": 60, "K": 10}}, period="2026-01", category="社区")
    months = score(S, pd.concat([jan, feb])).units
    u = by_unit(roll_up(S, [Part("平时", months, 1)], "2026"))
    assert u["category"].astype(str).to_dict() == {"甲": "卫生院", "乙": "卫生院", "丙": "社区"}
    assert u["rank"].to_dict() == {"甲": 1, "乙": 2, "丙": 1}
    assert u["rank_overall"].to_dict() == {"甲": 1, "乙": 2, "丙": 3}


def test_rollup_change_against_last_year():
    last = roll_up(S, [Part("年终", year_end({"甲": 80, "乙": 90}), 1)], "2025")
    this = roll_up(S, [Part("年终", year_end({"甲": 95, "乙": 85}), 1)], "2026", previous=last)
    u = by_unit(this)
    assert u["delta_total"].to_dict() == {"甲": 15, "乙": -5}
    assert u["delta_rank"].to_dict() == {"甲": 1, "乙": -1}


def test_quarter_from_months():
    months = monthly({"甲": [80, 90, 85, 70], "乙": [90, 90, 90, 90]})
    months = months.assign(quarter=months["period"].astype(str).map(quarter_of))
    q1 = months[months["quarter"] == "2026-Q1"]
    u = by_unit(roll_up(S, [Part("月度", q1, 1)], "2026-Q1"))
    assert u["total"].to_dict() == {"甲": 85, "乙": 90}
    assert u["rank"].to_dict() == {"甲": 2, "乙": 1}


def test_rollup_needs_parts():
    with pytest.raises(ValueError, match="至少需要一个组成部分"):
        roll_up(S, [], "2026")


@pytest.mark.parametrize("weight", [0, -0.4, math.nan])
def test_rollup_rejects_weights_not_above_zero(weight):
    with pytest.raises(ValueError, match="权重必须大于 0"):
        roll_up(S, [Part("平时", monthly({"甲": [80]}), weight), Part("年终", year_end({"甲": 80}), 0.6)], "2026")


# -- period labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "kind", "quarter", "year", "name"),
    [
        ("2026-03", "month", "2026-Q1", "2026", "2026年3月"),
        ("2026-04", "month", "2026-Q2", "2026", "2026年4月"),
        ("2026-12", "month", "2026-Q4", "2026", "2026年12月"),
        ("2026-Q3", "quarter", None, "2026", "2026年第3季度"),
        ("2026", "year", None, "2026", "2026年度"),
        ("2026-13", None, None, None, "2026-13"),
        ("上半年", None, None, None, "上半年"),
    ],
)
def test_period_labels(label, kind, quarter, year, name):
    assert period_type(label) == kind
    assert period_name(label) == name
    if quarter:
        assert quarter_of(label) == quarter
    else:
        with pytest.raises(ValueError, match="不是月份"):
            quarter_of(label)
    if year:
        assert year_of(label) == year
    else:
        with pytest.raises(ValueError, match="不是期间"):
            year_of(label)
