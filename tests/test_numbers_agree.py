"""Numbers that agree (issue 21 part 5): what a leader reads in one place is what the next place says.

- 各维度得分 lists 扣分, 按适用项折算, 加分 and 一票否决 as lines of their own, and the lines add up to
  the 总分 shown under them, to the scheme's decimals — for every unit of the demo district, on the
  page and in the unit's report;
- a total with bonus in it says so (「含加分 2.00 分」);
- a 末位 or vetoed unit is never called eligible for 评先评优;
- scores are written to the scheme's decimals, rounded half up as the engine rounds totals.

Every expected number is worked out by hand next to it.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest
from scheme_factory import NA, bonus, deduction, direct, make_scheme, values, veto
from sqlalchemy import Engine

from reports import numbers
from reports.bulletin import build_bulletin
from reports.unit import TOTAL_LINE, _apportion, award_status, dimension_subtotals
from scoring import score
from services.catalog import list_schemes
from services.dashboard import period_choices, period_view
from services.meeting import unit_report
from services.permissions import trusted
from services.results import published_only


# -- the formatting module ----------------------------------------------------------------------
def test_scores_are_written_to_the_schemes_decimals_rounded_half_up() -> None:
    assert numbers.points(89.175, 2) == "89.18"  # Python's :.2f gives 89.17 (binary 89.17499…)
    assert numbers.points(92.94, 1) == "92.9" and numbers.points(1234.5, 2) == "1,234.50"
    assert numbers.change(0.625, 2) == "+0.63" and numbers.change(-0.004, 2) == "0.00"
    assert numbers.points(None, 2) == numbers.change(float("nan"), 2) == "—"
    assert numbers.rate(0.92945) == "92.9%" and numbers.count(12345) == "12,345"


# -- the lines of 各维度得分 ----------------------------------------------------------------------
def _lines(scheme, cells: dict) -> tuple:  # noqa: ANN001
    r = score(scheme, values({"甲": cells}))
    explained = r.explain("甲")
    return dimension_subtotals(explained), r.units.iloc[0]


def _adds_up(lines, decimals: int) -> bool:  # noqa: ANN001
    parts = lines[lines["维度"] != TOTAL_LINE]["得分"].round(decimals).sum()
    total = lines[lines["维度"] == TOTAL_LINE]["得分"].iloc[0]
    return round(parts, decimals) == round(total, decimals)


def test_bonus_deductions_and_veto_are_lines_of_their_own_that_add_up() -> None:
    # D 60 + X 40 − 2 × 5 = 90 base; bonus 3 (2 × 1.5) → 93; vetoed: the total stands, the grade falls.
    s = make_scheme(direct("D", 60), deduction("X", 40, 5), bonus("B", 1.5, 5), veto("V"), bonus_cap=5)
    lines, unit = _lines(s, {"D": 60, "X": 2, "B": 2, "V": 1})
    assert unit["total"] == 93
    shown = dict(zip(lines["维度"], lines["得分"], strict=True))
    dimension = next(x for x in lines["维度"] if x not in {"扣分", "加分", "一票否决", TOTAL_LINE})
    assert shown[dimension] == 100  # the deduction item counts at its full 40 points here …
    assert (
        shown["扣分"] == -10 and "扣 10.00 分" in lines.set_index("维度").loc["扣分", "说明"]
    )  # … and loses them here
    assert shown["加分"] == 3 and shown["一票否决"] == 0 and shown[TOTAL_LINE] == 93
    notes = lines.set_index("维度")["说明"]
    assert "不得评先评优" in notes["一票否决"]
    assert notes[TOTAL_LINE] == "含加分 3.00 分"
    assert _adds_up(lines, 2)


def test_items_not_applicable_are_a_scaling_line_not_a_hidden_difference() -> None:
    # D1 70 of 80, D2 (20) not applicable: 70 × 100 ÷ 80 = 87.5; the dimensions show 70.
    s = make_scheme(direct("D1", 80), direct("D2", 20, allow_na=True))
    lines, unit = _lines(s, {"D1": 70, "D2": NA})
    assert unit["total"] == 87.5
    shown = dict(zip(lines["维度"], lines["得分"], strict=True))
    assert shown["按适用项折算"] == 17.5 and shown[TOTAL_LINE] == 87.5
    assert "1 项不适用" in lines.set_index("维度").loc["按适用项折算", "说明"]
    assert _adds_up(lines, 2)


def test_rounded_lines_are_apportioned_to_the_rounded_total() -> None:
    # 33.335 + 33.335 + 33.33 = 100.00, but each rounds half up to 33.34: 100.01 without apportioning
    assert _apportion(np.array([33.335, 33.335, 33.33]), 100.0, 2).sum() == pytest.approx(100.0)
    assert _apportion(np.array([10.004, 20.004]), 30.01, 2).tolist() == [10.0, 20.01]


# -- 评先评优 -----------------------------------------------------------------------------------------
def test_a_bottom_or_vetoed_unit_is_never_eligible() -> None:
    assert award_status({"award_eligible": True, "bottom": True, "bottom_reason": "低于 80 分"}) == (
        False,
        "末位（低于 80 分）",
    )
    ok, why = award_status({"award_eligible": True, "veto": True, "veto_reason": "事故", "award_reason": ""})
    assert not ok and why == "一票否决：事故"
    s = make_scheme(direct("D", 100), bottom={"threshold": 80})
    r = score(s, values({"甲": {"D": 70}, "乙": {"D": 90}}))
    assert r.units.set_index("unit").loc["甲", "award_eligible"]  # the engine's own flag: items only
    ranking = build_bulletin(r, r.units["period"].iloc[0], {}).ranking.set_index("unit")
    assert not ranking.loc["甲", "award_eligible"] and ranking.loc["甲", "award_reason"] == "末位（低于 80 分）"
    assert ranking.loc["乙", "award_eligible"]


# -- the demo district: every unit, on the page's table and in the unit's report ----------------
def _native_views(engine: Engine):  # noqa: ANN202
    """The latest native period of every demo scheme (months for monthly schemes, the year else)."""
    for v in list_schemes(engine=engine):
        choices = period_choices(v.scheme_key, engine=engine)
        kind = "month" if "month" in choices else "year"
        view = period_view(v.scheme_key, choices[kind][0], engine=engine)
        if view is not None and view.detail is not None:
            yield view


def test_every_demo_units_lines_add_up_to_its_total(demo_database: Engine) -> None:
    seen_bonus = seen_veto = seen_scaling = seen_deduction = 0
    with trusted(), published_only():
        views = list(_native_views(demo_database))
        assert {v.scheme.id for v in views} >= {"community_monthly", "hospital_monthly", "township_annual"}
        for view in views:
            d = view.scheme.decimals
            for _, unit in view.units.iterrows():
                lines = dimension_subtotals(view.detail.explain(unit["unit"]))
                assert lines["维度"].iloc[-1] == TOTAL_LINE and lines["得分"].iloc[-1] == unit["total"]
                assert _adds_up(lines, d), (view.scheme.id, unit["unit"], lines)
                names = set(lines["维度"])
                seen_bonus += "加分" in names
                seen_veto += "一票否决" in names
                seen_scaling += "按适用项折算" in names
                seen_deduction += "扣分" in names
                if unit["bonus"] > 0:
                    assert lines["说明"].iloc[-1] == f"含加分 {numbers.points(unit['bonus'], d)} 分"
    assert seen_bonus and seen_veto and seen_scaling and seen_deduction  # the demo has each kind


def test_the_unit_report_lists_the_same_lines_and_never_calls_a_bottom_unit_eligible(demo_database: Engine) -> None:
    # December 2025: C03 is below the line (末位); August: C07 vetoed (the demo's story)
    with trusted():
        for period, unit in (("2025-12", "C03"), ("2025-08", "C07")):
            wb = openpyxl.load_workbook(
                io.BytesIO(unit_report("community_monthly", period, unit, "李四", engine=demo_database))
            )
            cells = list(wb["概况"].iter_rows(min_row=3, values_only=True))
            rows = {r[0]: r[1] for r in cells if r[0]}
            notes = {r[0]: r[2] for r in cells if r[0]}
            assert str(rows["评先评优"]).startswith("不得评先评优："), rows["评先评优"]
            lines = [v for k, v in rows.items() if str(k).startswith("　")]  # numbers Excel can sum
            assert len(lines) >= 3 and round(sum(lines), 2) == rows["总分"], lines
            if unit == "C07":
                assert rows["　一票否决"] == 0 and "不得评先评优" in notes["　一票否决"]


def test_many_points_are_spelled_as_one_is() -> None:
    """`numbers.points_many` (a province's 整改 suggestions) agrees with `numbers.points` one by one,
    at ties, at large magnitudes, for negatives and for missing values."""
    from reports.numbers import points, points_many

    rng = np.random.default_rng(7)
    cases = [89.175, 59.995, 0.125, -2.675, 1234.505, 563275.445, float("nan"), 0.0, -0.0, 1e-9, 2.5, 3.5]
    cases += list(np.round(rng.uniform(-200, 200, 300), 3)) + list(rng.uniform(0, 1e6, 50))
    for decimals in (0, 1, 2, 3):
        assert points_many(np.array(cases), decimals) == [points(x, decimals) for x in cases]
