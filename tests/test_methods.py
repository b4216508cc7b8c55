"""Every scoring method and mode, hand-computed, one table per mode.

Each row reads: the input value → the points earned (and whether the target counts as met).
The leaf of each table is written out above it, so the expected numbers can be checked by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scheme_factory import bonus, checklist, deduction, direct, earned, make_scheme, target

from scoring import methods
from scoring.methods import round_half_up


def leaf_of(spec: dict):
    return make_scheme(spec, direct("F", 10)).leaf(spec["code"])


def run_target(spec: dict, actual: float) -> methods.TargetOutcome:
    return methods.score_target(leaf_of(spec), np.array([actual], dtype=float))


def check_target(spec: dict, actual: float, points: float, met: bool) -> None:
    out = run_target(spec, actual)
    assert out.earned[0] == pytest.approx(points, abs=1e-9), f"actual {actual}"
    assert bool(out.met[0]) is met, f"actual {actual}"
    assert out.extra[0] == 0


# -- rounding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (59.995, 2, 60.00),  # stored as 59.99499…; a person reads it as …5 and rounds up
        (59.994, 2, 59.99),
        (80.125, 2, 80.13),  # exact in binary: numpy's round-half-even would give 80.12
        (0.125, 2, 0.13),
        (1.005, 2, 1.01),
        (2.675, 2, 2.68),
        (89.445, 2, 89.45),
        (0.5, 0, 1.0),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),  # half away from zero
        (-2.4, 0, -2.0),
        (59.95, 1, 60.0),
        (59.94, 1, 59.9),
        (100.0, 2, 100.0),
    ],
)
def test_round_half_up(x, decimals, expected):
    assert round_half_up(x, decimals) == expected
    assert round_half_up(np.array([x]), decimals)[0] == expected


def test_round_half_up_keeps_nan_and_type():
    assert math.isnan(round_half_up(float("nan"), 2))
    assert isinstance(round_half_up(1.234, 2), float)
    assert isinstance(round_half_up(np.array([1.234]), 2), np.ndarray)


# -- direct ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "points"), [(0, 0), (7.5, 7.5), (20, 20), (13.25, 13.25)])
def test_direct_score_is_the_value(value, points):
    s = make_scheme(direct("D", 20))
    assert earned(s, "D", {"D": value}) == points


# -- target: all_or_nothing -----------------------------------------------------------------------

# 居民健康档案建档率 ≥ 60%, 10 points, actual rounded to 2 decimals before comparing.
ALL_OR_NOTHING = target("T", 10, target=60, mode="all_or_nothing")


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (60, 10, True),  # exactly at target
        (92.2, 10, True),
        (59.99, 0, False),  # just below
        (59.995, 10, True),  # rounds to 60.00: what is displayed is what is scored
        (59.994, 0, False),  # rounds to 59.99
        (0, 0, False),
    ],
)
def test_all_or_nothing_inclusive(actual, points, met):
    check_target(ALL_OR_NOTHING, actual, points, met)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (60, 0, False),  # strict: exactly at target is not enough
        (60.004, 0, False),  # rounds to 60.00
        (60.005, 10, True),  # rounds to 60.01
        (60.01, 10, True),
    ],
)
def test_all_or_nothing_strict(actual, points, met):
    check_target({**ALL_OR_NOTHING, "inclusive": False}, actual, points, met)


@pytest.mark.parametrize(
    ("decimals", "actual", "points"),
    [
        (1, 59.95, 10),  # → 60.0
        (1, 59.94, 0),  # → 59.9
        (0, 59.5, 10),  # → 60
        (0, 59.49, 0),  # → 59
        (3, 59.9995, 10),
        (3, 59.9994, 0),
    ],
)
def test_all_or_nothing_decimals(decimals, actual, points):
    check_target({**ALL_OR_NOTHING, "decimals": decimals}, actual, points, points > 0)


# 医院感染发生率 ≤ 3% (lower is better), 10 points.
LOWER_ALL_OR_NOTHING = target("T", 10, target=3, mode="all_or_nothing", direction="lower")


@pytest.mark.parametrize(
    ("inclusive", "actual", "points", "met"),
    [
        (True, 3, 10, True),  # at target
        (True, 2.1, 10, True),
        (True, 0, 10, True),
        (True, 3.01, 0, False),  # just above
        (True, 3.004, 10, True),  # rounds onto the target
        (True, 3.005, 0, False),  # rounds to 3.01
        (False, 3, 0, False),  # strict: must be below 3
        (False, 2.99, 10, True),
        (False, 2.995, 0, False),  # rounds to 3.00
    ],
)
def test_all_or_nothing_lower_is_better(inclusive, actual, points, met):
    check_target({**LOWER_ALL_OR_NOTHING, "inclusive": inclusive}, actual, points, met)


# -- target: proportional -------------------------------------------------------------------------

# 高血压规范管理率: target 80, 10 points, points × min(1, actual / 80).
PROPORTIONAL = target("T", 10, target=80, mode="proportional")


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (80, 10, True),
        (100, 10, True),  # capped at full points
        (60, 7.5, False),
        (40, 5, False),
        (0, 0, False),
        (79.99, 10 * 79.99 / 80, False),  # just below
        (79.995, 10, True),  # rounds to 80.00
        (79.994, 10 * 79.99 / 80, False),  # the rounded actual is used in the ratio
        (-5, 0, False),  # never negative
    ],
)
def test_proportional_higher_is_better(actual, points, met):
    check_target(PROPORTIONAL, actual, points, met)


# 药占比 ≤ 30% (lower is better), 10 points × min(1, 30 / actual).
LOWER_PROPORTIONAL = target("T", 10, target=30, mode="proportional", direction="lower", decimals=1)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (30, 10, True),
        (20, 10, True),
        (0, 10, True),  # no division by zero: the best possible value
        (40, 7.5, False),
        (60, 5, False),
        (30.04, 10, True),  # rounds to 30.0 with 1 decimal
        (30.05, 10 * 30 / 30.1, False),  # rounds to 30.1
    ],
)
def test_proportional_lower_is_better(actual, points, met):
    check_target(LOWER_PROPORTIONAL, actual, points, met)


# -- target: linear -------------------------------------------------------------------------------

# 处方合格率: ≥ 95 full 10 points, ≤ 80 nothing, linear in between.
LINEAR = target("T", 10, target=95, mode="linear", floor=80)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (95, 10, True),
        (99, 10, True),
        (87.5, 5, False),  # half way
        (83, 2, False),  # (83 - 80) / 15 × 10
        (80, 0, False),  # at the floor
        (70, 0, False),  # below the floor
        (94.995, 10, True),  # rounds onto the target
    ],
)
def test_linear_higher_is_better(actual, points, met):
    check_target(LINEAR, actual, points, met)


# 医院感染发生率: ≤ 3 full 10 points, ≥ 6 nothing, linear in between.
LOWER_LINEAR = target("T", 10, target=3, mode="linear", floor=6, direction="lower")


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (3, 10, True),
        (1, 10, True),
        (4.5, 5, False),
        (5.4, 2, False),  # (6 - 5.4) / 3 × 10
        (6, 0, False),
        (8, 0, False),
    ],
)
def test_linear_lower_is_better(actual, points, met):
    check_target(LOWER_LINEAR, actual, points, met)


# -- target: bands --------------------------------------------------------------------------------

# ≥ 60: 10, ≥ 50: 6, ≥ 40: 3, below 40: 0.
BANDS = target(
    "T",
    10,
    target=60,
    mode="bands",
    bands=[{"threshold": 60, "points": 10}, {"threshold": 50, "points": 6}, {"threshold": 40, "points": 3}],
)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (75, 10, True),
        (60, 10, True),
        (59.995, 10, True),  # rounds onto the band
        (59.99, 6, False),
        (50, 6, False),
        (49.99, 3, False),
        (40, 3, False),
        (39.99, 0, False),
        (0, 0, False),
    ],
)
def test_bands_inclusive(actual, points, met):
    check_target(BANDS, actual, points, met)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (60, 6, False),  # strict: 60 does not pass "> 60" but passes "> 50"
        (60.01, 10, True),
        (50, 3, False),
        (40, 0, False),
    ],
)
def test_bands_strict(actual, points, met):
    check_target({**BANDS, "inclusive": False}, actual, points, met)


def test_bands_listed_in_any_order_give_the_same_points():
    shuffled = {**BANDS, "bands": list(reversed(BANDS["bands"]))}
    for actual, points in [(65, 10), (55, 6), (45, 3), (35, 0)]:
        check_target(shuffled, actual, points, points == 10)


# Lower is better: ≤ 5: 10, ≤ 8: 6, ≤ 10: 3.
LOWER_BANDS = target(
    "T",
    10,
    target=5,
    mode="bands",
    direction="lower",
    bands=[{"threshold": 5, "points": 10}, {"threshold": 8, "points": 6}, {"threshold": 10, "points": 3}],
)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [(2, 10, True), (5, 10, True), (5.01, 6, False), (8, 6, False), (9.9, 3, False), (10, 3, False), (10.01, 0, False)],
)
def test_bands_lower_is_better(actual, points, met):
    check_target(LOWER_BANDS, actual, points, met)


# -- target: per_shortfall ------------------------------------------------------------------------

# 家庭医生签约履约率 ≥ 80: 10 points, 1 point off per 2 points short, floored at 0.
PER_SHORTFALL = target("T", 10, target=80, mode="per_shortfall", step=2, loss_per_step=1)


@pytest.mark.parametrize(
    ("whole_steps", "actual", "points", "met"),
    [
        (False, 85, 10, True),
        (False, 80, 10, True),
        (False, 79, 9.5, False),  # half a step short: half a point
        (False, 78, 9, False),
        (False, 70, 5, False),
        (False, 60, 0, False),  # exactly all points lost
        (False, 40, 0, False),  # floored at 0
        (True, 79.9, 9, False),  # a started step counts as a whole step
        (True, 78, 9, False),  # exactly one step
        (True, 77.9, 8, False),
        (True, 76, 8, False),
        (True, 59, 0, False),
    ],
)
def test_per_shortfall_higher_is_better(whole_steps, actual, points, met):
    check_target({**PER_SHORTFALL, "whole_steps": whole_steps}, actual, points, met)


@pytest.mark.parametrize(
    ("actual", "points", "met"),
    [
        (79.7, 7, False),  # 0.3 short = 3 steps of 0.1, not 4 (80 - 79.7 is 0.2999…97 in binary)
        (79.3, 3, False),  # 0.7 short = 7 steps, not 8 (80 - 79.3 is 0.7000…03)
        (79.95, 10, True),  # rounds to 80.0 with 1 decimal
        (79.94, 9, False),  # rounds to 79.9: one step short
    ],
)
def test_per_shortfall_whole_steps_are_not_fooled_by_binary_fractions(actual, points, met):
    spec = target("T", 10, target=80, mode="per_shortfall", step=0.1, loss_per_step=1, whole_steps=True, decimals=1)
    check_target(spec, actual, points, met)


# 平均住院日 ≤ 3 (lower is better): 10 points, 2 off per 0.5 over, floored at 0.
LOWER_PER_SHORTFALL = target("T", 10, target=3, mode="per_shortfall", step=0.5, loss_per_step=2, direction="lower")


@pytest.mark.parametrize(
    ("whole_steps", "actual", "points", "met"),
    [
        (False, 2, 10, True),
        (False, 3, 10, True),
        (False, 3.25, 9, False),
        (False, 3.5, 8, False),
        (False, 4, 6, False),
        (False, 6, 0, False),  # 12 points lost, floored at 0
        (True, 3.1, 8, False),
        (True, 3.5, 8, False),
        (True, 3.51, 6, False),
    ],
)
def test_per_shortfall_lower_is_better(whole_steps, actual, points, met):
    check_target({**LOWER_PER_SHORTFALL, "whole_steps": whole_steps}, actual, points, met)


# 每下降 10 个百分点扣 0.5 分 (target 100%, 5 points), three ways of counting a part step.
STEP_RULES = target("T", 5, target=100, mode="per_shortfall", step=10, loss_per_step=0.5, unit="%", decimals=1)


@pytest.mark.parametrize(
    ("steps", "actual", "points", "met"),
    [
        ("completed", 90, 4.5, False),  # exactly one step
        ("completed", 90.1, 5, False),  # 9.9 short: no completed step, nothing deducted
        ("completed", 89.9, 4.5, False),  # just over one step: still one
        ("completed", 90.04, 4.5, False),  # rounds to 90.0 at one decimal: one step
        ("completed", 90.05, 5, False),  # rounds to 90.1: under one step
        ("completed", 80, 4, False),
        ("completed", 79.96, 4, False),  # rounds to 80.0
        ("completed", 0, 0, False),
        ("started", 90, 4.5, False),
        ("started", 90.1, 4.5, False),  # a started step counts whole
        ("started", 89.9, 4, False),
        ("started", 90.04, 4.5, False),
        ("started", 99.96, 5, True),  # rounds to 100.0: met
        ("started", 99.94, 4.5, False),
        ("fraction", 90.1, 4.505, False),  # 0.99 of a step
        ("fraction", 90, 4.5, False),
    ],
)
def test_per_shortfall_step_rules_at_the_step_boundary(steps, actual, points, met):
    check_target({**STEP_RULES, "steps": steps}, actual, points, met)


@pytest.mark.parametrize(("steps", "points"), [("completed", 9), ("started", 9), ("fraction", 9)])
def test_per_shortfall_counts_one_step_exactly_at_large_magnitudes(steps, points):
    """563275.45 − 563275.44 is 0.00999999998…, one step of 0.01 as written, not 0 or 2."""
    spec = target("T", 10, target=563275.45, mode="per_shortfall", step=0.01, loss_per_step=1, steps=steps)
    check_target(spec, 563275.44, points, False)


@pytest.mark.parametrize(
    ("steps", "actual", "points", "met"),
    [("completed", 3.5, 8, False), ("completed", 3.49, 10, False), ("completed", 3.99, 8, False),
     ("completed", 4, 6, False), ("started", 3.49, 8, False), ("started", 3.51, 6, False)],
)  # fmt: skip
def test_per_shortfall_step_rules_lower_is_better(steps, actual, points, met):
    check_target({**LOWER_PER_SHORTFALL, "steps": steps}, actual, points, met)


# -- target 0, lower is better (零容忍, e.g. 重大医疗纠纷 0 起) ----------------------------------------
ZERO = {"points": 10, "target": 0, "direction": "lower", "unit": "起", "valid_min": 0}


@pytest.mark.parametrize(
    ("spec", "actual", "points", "met"),
    [
        ({"mode": "all_or_nothing"}, 0, 10, True),
        ({"mode": "all_or_nothing"}, 0.004, 10, True),  # rounds to 0.00
        ({"mode": "all_or_nothing"}, 0.005, 0, False),  # rounds to 0.01
        ({"mode": "all_or_nothing"}, 1, 0, False),
        ({"mode": "proportional"}, 0, 10, True),  # full points at 0 …
        ({"mode": "proportional"}, 0.01, 0, False),  # … nothing above it: no ratio to 0 is taken
        ({"mode": "proportional"}, 3, 0, False),
        ({"mode": "linear", "floor": 4}, 0, 10, True),
        ({"mode": "linear", "floor": 4}, 1, 7.5, False),
        ({"mode": "linear", "floor": 4}, 2, 5, False),
        ({"mode": "linear", "floor": 4}, 4, 0, False),
        ({"mode": "linear", "floor": 4}, 5, 0, False),
        ({"mode": "bands", "bands": [{"threshold": 0, "points": 10}, {"threshold": 1, "points": 6}]}, 0, 10, True),
        ({"mode": "bands", "bands": [{"threshold": 0, "points": 10}, {"threshold": 1, "points": 6}]}, 1, 6, False),
        ({"mode": "bands", "bands": [{"threshold": 0, "points": 10}, {"threshold": 1, "points": 6}]}, 1.01, 0, False),
        ({"mode": "per_shortfall", "loss_per_step": 2}, 0, 10, True),
        ({"mode": "per_shortfall", "loss_per_step": 2}, 1, 8, False),
        ({"mode": "per_shortfall", "loss_per_step": 2}, 2.5, 5, False),
        ({"mode": "per_shortfall", "loss_per_step": 2}, 6, 0, False),
        ({"mode": "per_shortfall", "loss_per_step": 2, "steps": "completed"}, 0.9, 10, False),
        ({"mode": "per_shortfall", "loss_per_step": 2, "steps": "started"}, 0.1, 8, False),
    ],
)
def test_lower_is_better_target_of_zero(spec, actual, points, met):
    check_target({"code": "T", "name": "重大医疗纠纷", "method": "target", **ZERO, **spec}, actual, points, met)


def test_target_of_zero_scores_many_values_without_nan():
    for mode, extra in [("proportional", {}), ("linear", {"floor": 4}), ("per_shortfall", {"loss_per_step": 2})]:
        leaf = leaf_of({"code": "T", "name": "纠纷", "method": "target", **ZERO, "mode": mode, **extra})
        out = methods.score_target(leaf, np.array([0.0, 0.001, 0.5, 3.0, 100.0, np.nan]))
        assert not np.isnan(out.earned[:5]).any() and np.isnan(out.earned[5])
        assert out.earned[0] == 10 and out.earned[1] == 10 and out.met[:2].all()


# -- target: stretch (力争) -----------------------------------------------------------------------

# 业务收入增长 ≥ 8%: 10 points; 力争 ≥ 10%: 2 extra points (counted with the bonus).
STRETCH = target("T", 10, target=8, mode="all_or_nothing", stretch={"target": 10, "points": 2})


@pytest.mark.parametrize(
    ("inclusive", "actual", "points", "extra"),
    [
        (True, 7.99, 0, 0),
        (True, 8, 10, 0),
        (True, 9.99, 10, 0),
        (True, 9.995, 10, 2),  # rounds onto the stretch target
        (True, 10, 10, 2),
        (True, 12.5, 10, 2),
        (False, 10, 10, 0),  # strict: the stretch needs more than 10
        (False, 10.01, 10, 2),
    ],
)
def test_stretch_target(inclusive, actual, points, extra):
    out = run_target({**STRETCH, "inclusive": inclusive}, actual)
    assert out.earned[0] == points
    assert out.extra[0] == extra


@pytest.mark.parametrize(
    ("actual", "points", "extra"), [(30, 10, 0), (25, 10, 3), (22, 10, 3), (25.01, 10, 0), (40, 7.5, 0)]
)
def test_stretch_lower_is_better(actual, points, extra):
    spec = target("T", 10, target=30, mode="proportional", direction="lower", stretch={"target": 25, "points": 3})
    out = run_target(spec, actual)
    assert out.earned[0] == pytest.approx(points)
    assert out.extra[0] == extra


def test_target_blank_gives_nan_and_no_extra():
    out = run_target(STRETCH, float("nan"))
    assert math.isnan(out.earned[0])
    assert not out.met[0]
    assert out.extra[0] == 0


def test_target_scores_many_values_at_once():
    leaf = leaf_of(PROPORTIONAL)
    out = methods.score_target(leaf, np.array([0.0, 40.0, 80.0, 120.0]))
    np.testing.assert_allclose(out.earned, [0, 5, 10, 10])
    np.testing.assert_array_equal(out.met, [False, False, True, True])


# -- checklist, deduction, bonus ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "points"),
    [([1, 1, 1], 10), ([1, 0, 1], 7), ([0, 1, 0], 3), ([0, 0, 0], 0), ([1, 1, 0], 5)],
)
def test_checklist_earns_the_points_of_done_tasks(done, points):
    # tasks worth 2, 3 and 5 points
    leaf = leaf_of(checklist("K", {"k1": 2, "k2": 3, "k3": 5}))
    assert methods.score_checklist(leaf, np.array([done], dtype=float))[0] == points


@pytest.mark.parametrize(
    ("occurrences", "points"),
    [(0, 10), (1, 8), (4, 2), (5, 0), (6, 0), (100, 0)],  # 2 points off each, never below 0
)
def test_deduction(occurrences, points):
    leaf = leaf_of(deduction("X", 10, 2))
    assert methods.score_deduction(leaf, np.array([occurrences], dtype=float))[0] == points


@pytest.mark.parametrize(
    ("occurrences", "points"),
    [(0, 0), (1, 0.5), (3, 1.5), (4, 2), (10, 2)],  # 0.5 each, at most 2 for this item
)
def test_bonus_capped_per_leaf(occurrences, points):
    leaf = leaf_of(bonus("B", 0.5, 2))
    assert methods.score_bonus(leaf, np.array([occurrences], dtype=float))[0] == points


def test_select_gives_the_same_bits_as_where() -> None:
    """The branch-free select must be np.where bit for bit: NaN payloads, -0.0, ±inf, scalars on
    either side, and it must leave the caller's mask alone."""
    x = np.array([1.5, -0.0, np.nan, np.inf, -np.inf, 2.0**60, 5e-324, 0.0])
    y = np.array([-0.0, 7.25, 0.1, np.nan, 3.0, -np.inf, 0.0, -1e308])
    mask = np.array([True, False, True, False, True, True, False, False])
    for a, b in [(x, y), (6.0, y), (x, 0.0), (np.nan, y), (2.5, -0.0)]:
        got = methods.select(mask, a, b)
        want = np.where(mask, a, b)
        assert got.dtype == np.float64
        assert got.view(np.uint64).tolist() == want.view(np.uint64).tolist()
    assert mask.tolist() == [True, False, True, False, True, True, False, False]
    m64 = mask.astype(np.uint64)
    methods.select(m64, x, y)
    assert m64.tolist() == [1, 0, 1, 0, 1, 1, 0, 0]  # an unsigned mask is not negated in place
