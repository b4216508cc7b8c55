"""Variants of a leaf by unit category: 综合医院 ≥ 1200 m², 专科医院 ≥ 500 m², 精神专科医院 not assessed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from scoring import SchemeError, ScoringInputError, scheme_from_dict, score

CATS = ["综合医院", "专科医院", "精神专科医院"]


def _scheme(a1: dict[str, Any] | None = None, a2_variants: dict[str, Any] | None = None, bonus_cap: float = 0) -> Any:
    a1 = a1 or {
        "code": "A1",
        "name": "业务用房面积",
        "method": "target",
        "mode": "all_or_nothing",
        "points": 10,
        "target": 1200,
        "unit": "m²",
        "variants": {"专科医院": {"target": 500}},
    }
    a2 = {"code": "A2", "name": "手术占比", "method": "target", "mode": "proportional", "points": 10, "target": 40}
    a2["variants"] = a2_variants if a2_variants is not None else {"精神专科医院": {"applicable": False}}
    return scheme_from_dict(
        {
            "id": "hosp",
            "name": "医院考核",
            "version": "1",
            "period_type": "year",
            "categories": CATS,
            "bonus_cap": bonus_cap,
            "criteria": [
                {
                    "code": "A",
                    "name": "基础",
                    "items": [a1, a2, {"code": "A3", "name": "其他", "method": "direct", "points": 80}],
                }
            ],
        }
    )


def _values(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "code", "value"])


UNITS = pd.Series({"综": "综合医院", "专": "专科医院", "精": "精神专科医院"})


@pytest.mark.parametrize(
    ("unit", "area", "a1"),
    [
        ("综", 1200, 10),
        ("综", 1199.99, 0),
        ("综", 500, 0),
        ("专", 500, 10),
        ("专", 499.99, 0),
        ("精", 1200, 10),
        ("精", 500, 0),
    ],
)
def test_each_category_is_scored_by_its_own_target_at_the_boundary(unit: str, area: float, a1: float) -> None:
    rows = [(unit, "A1", area), (unit, "A3", 80)] + ([] if unit == "精" else [(unit, "A2", 40)])
    r = score(_scheme(), _values(rows), UNITS)
    lv = r.leaves
    assert float(lv.loc[lv["leaf"] == "A1", "earned"].item()) == a1


def test_not_applicable_by_category_rescales_like_a_not_applicable_cell() -> None:
    r = score(_scheme(), _values([("精", "A1", 1200), ("精", "A3", 72)]), UNITS)
    u = r.units.iloc[0]
    assert u["applicable_points"] == 90
    assert u["total"] == pytest.approx(91.11)  # (10 + 72) × 100 ÷ 90 = 91.111…
    na = pd.DataFrame([{"unit": "精", "code": "A2", "value": None, "na": True}])
    again = score(_scheme(), pd.concat([_values([("精", "A1", 1200), ("精", "A3", 72)]), na]), UNITS)
    assert again.units.iloc[0]["total"] == pytest.approx(91.11)


def test_a_value_where_the_category_is_not_assessed_is_refused_with_its_cell() -> None:
    rows = [("精", "A1", 1200), ("精", "A2", 30), ("精", "A3", 72)]
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), _values(rows), UNITS)
    (p,) = exc.value.problems
    assert (p.unit, p.code) == ("精", "A2")
    assert p.message == "精神专科医院不考核本项（方案规定不适用），请留空或填「不适用」"


def test_other_categories_still_need_the_value() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), _values([("综", "A1", 1200), ("综", "A3", 80)]), UNITS)
    assert [(p.unit, p.code) for p in exc.value.problems] == [("综", "A2")]


def test_bands_and_rates_per_category() -> None:
    bands = {
        "code": "A1",
        "name": "床位使用率",
        "method": "target",
        "mode": "bands",
        "points": 10,
        "target": 90,
        "bands": [{"threshold": 90, "points": 10}, {"threshold": 80, "points": 5}],
        "variants": {"专科医院": {"bands": [{"threshold": 70, "points": 10}, {"threshold": 60, "points": 4}]}},
    }
    s = _scheme(bands)
    rows = [(u, "A1", 65) for u in ("综", "专")] + [
        (u, c, v) for u in ("综", "专") for c, v in (("A2", 40), ("A3", 80))
    ]
    lv = score(s, _values(rows), UNITS).leaves
    got = lv[lv["leaf"] == "A1"].set_index(lv.loc[lv["leaf"] == "A1", "unit"].astype(str))["earned"]
    assert got.to_dict() == {"专": 4.0, "综": 0.0}


def test_trace_and_rule_name_the_category() -> None:
    rows = [("专", "A1", 500), ("专", "A2", 20), ("专", "A3", 80), ("精", "A1", 500), ("精", "A3", 80)]
    r = score(_scheme(), _values(rows), UNITS)
    special = r.explain("专").set_index("code")
    assert special.loc["A1", "rule"] == "专科医院标准：目标 ≥ 500m²，达标得满分，否则不得分"
    assert special.loc["A1", "trace"].startswith("专科医院标准：实际 500m²，目标 ≥ 500m²，达标")
    psych = r.explain("精").set_index("code")
    assert psych.loc["A2", "trace"] == "精神专科医院不考核本项（方案规定不适用）：本项 10 分不计入，总分按适用分值折算"
    assert not psych.loc["A2", "applicable"]
    assert psych.loc["A1", "trace"].startswith("实际 500m²，目标 ≥ 1200m²，未达标")


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        (
            {"儿童医院": {"target": 1}},
            "criteria[0].items[1].variants: 单位类别「儿童医院」不在方案中（方案的适用单位类别为：综合医院、专科医院、精神专科医院）",
        ),
        (
            {"专科医院": {"points": 5}},
            "criteria[0].items[1].variants.专科医院.points: 不能按类别改变（可改：是否适用、目标值、起评值、档次、每档扣分、每档差距、力争目标）",
        ),
        (
            {"专科医院": {"target": -1}},
            "criteria[0].items[1].variants.专科医院.target: 必须大于 0（只有越低越好的零容忍指标，目标才可以为 0）",
        ),
        (
            {"专科医院": {"applicable": False, "target": 3}},
            "criteria[0].items[1].variants.专科医院: 已设为不适用，不能再改其他参数",
        ),
        (
            {"专科医院": {}},
            "criteria[0].items[1].variants.专科医院: 须写要改变的参数，如「目标值」500，或「是否适用」否",
        ),
    ],
)
def test_bad_variants_are_refused_on_load_with_their_place(variants: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemeError) as exc:
        _scheme(a2_variants=variants)
    assert message in [p.keyed for p in exc.value.problems]


def test_a_variant_that_breaks_the_leaf_is_refused() -> None:
    bands = {
        "code": "A1",
        "name": "床位使用率",
        "method": "target",
        "mode": "bands",
        "points": 10,
        "target": 90,
        "bands": [{"threshold": 90, "points": 10}],
        "variants": {"专科医院": {"bands": [{"threshold": 70, "points": 12}]}},
    }
    with pytest.raises(SchemeError) as exc:
        _scheme(bands)
    assert [p.keyed for p in exc.value.problems] == ["criteria[0].items[0].variants.专科医院: 档次分值不能超过本项分值"]


def test_a_stretch_given_only_by_a_variant_counts_for_that_category_alone() -> None:
    # The leaf itself has no 力争 target; 专科医院 gets one of 800 m² worth 2 bonus points.
    a1 = {"code": "A1", "name": "业务用房面积", "method": "target", "mode": "all_or_nothing", "points": 10,
          "target": 1200, "unit": "m²",
          "variants": {"专科医院": {"target": 500, "stretch": {"target": 800, "points": 2}}}}  # fmt: skip
    rows = [(u, code, v) for u in ("综", "专") for code, v in (("A1", 800), ("A2", 40), ("A3", 80))]
    rows += [("专2", "A1", 799.99), ("专2", "A2", 40), ("专2", "A3", 80)]
    r = score(_scheme(a1, bonus_cap=5), _values(rows), pd.concat([UNITS, pd.Series({"专2": "专科医院"})]))
    bonus = r.units.set_index("unit")["bonus"]
    assert bonus["专"] == 2  # 800 reaches the variant's stretch
    assert bonus["专2"] == 0  # 799.99 does not
    assert bonus["综"] == 0  # 800 m² for a 综合医院: no stretch of its own (and misses its 1200)


def test_a_stretch_only_one_category_has_still_needs_a_bonus_cap() -> None:
    """Without bonus_cap the stretch points of that category would be capped to 0 in silence."""
    with pytest.raises(SchemeError) as exc:
        _scheme(a2_variants={"专科医院": {"stretch": {"target": 60, "points": 2}}}, bonus_cap=0)
    assert "方案含加分项或力争目标，须设置「加分上限」" in [p.keyed for p in exc.value.problems]
    _scheme(a2_variants={"专科医院": {"stretch": {"target": 60, "points": 2}}}, bonus_cap=2)  # loads
