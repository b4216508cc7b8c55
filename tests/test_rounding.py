"""Half-up rounding is exact at every magnitude: numbers round as their decimal form reads.

The reference is `Decimal(repr(x)).quantize(..., ROUND_HALF_UP)`: the shortest decimal that reads
back as x (what a person typed, what Excel shows), rounded half away from zero.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scheme_factory import direct, make_scheme, target

from scoring import methods
from scoring.explain import fmt
from scoring.methods import round_half_up
from scoring.ranking import grade_of


def reference(x: float, decimals: int) -> float:
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(step, rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (563275.445, 2, 563275.45),  # the reported case: past ~1e7 × 10^2 a 1e-9 nudge is lost
        (563275.444, 2, 563275.44),
        (12345678.905, 2, 12345678.91),
        (999999999999.995, 2, 1000000000000.0),  # 1e12: the largest magnitude asked for
        (123456789012.345, 2, 123456789012.35),
        (123456789012.344, 2, 123456789012.34),
        (-563275.445, 2, -563275.45),  # half away from zero
        (-999999999999.995, 2, -1000000000000.0),
        (4503599627370497.0, 2, 4503599627370497.0),  # beyond 2**52: already whole
        (1e300, 2, 1e300),
        (0.0005, 3, 0.001),
        (-0.0005, 3, -0.001),
        (1234.56785, 4, 1234.5679),
        (0.1234565, 6, 0.123457),
    ],
)
def test_round_half_up_at_large_and_small_magnitudes(x, decimals, expected):
    assert round_half_up(x, decimals) == expected
    assert round_half_up(np.array([x, -x]), decimals).tolist() == [expected, -expected]


def test_round_half_up_keeps_nan_infinity_and_shape():
    out = round_half_up(np.array([[np.nan, np.inf], [-np.inf, 59.995]]), 2)
    assert out.shape == (2, 2)
    assert math.isnan(out[0, 0]) and out[0, 1] == np.inf and out[1, 0] == -np.inf and out[1, 1] == 60.0
    assert math.isnan(round_half_up(float("nan"), 0))


def test_a_large_target_is_met_by_an_actual_that_rounds_to_it():
    leaf = make_scheme(target("T", 10, target=563275.45, decimals=2), direct("F", 90)).leaf("T")
    out = methods.score_target(leaf, np.array([563275.445, 563275.444]))
    assert out.met.tolist() == [True, False]
    assert out.earned.tolist() == [10.0, 0.0]
    assert fmt(563275.445, 2) == "563275.45"


def test_a_grade_boundary_is_read_from_exactly_rounded_totals():
    scheme = make_scheme(direct("F", 100))
    totals = np.array([round_half_up(89.995, 2), round_half_up(89.994, 2)])
    assert list(grade_of(scheme, totals, np.array([False, False]))) == ["优秀", "良好"]


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(finite, min_size=1, max_size=20), st.integers(0, 6))
def test_round_half_up_agrees_with_decimal(xs, decimals):
    got = round_half_up(np.array(xs), decimals)
    assert got.tolist() == [reference(x, decimals) for x in xs]


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**14), 10**14), st.integers(0, 6))
def test_written_ties_round_away_from_zero(k, decimals):
    """k.5 in the last place + 1, as written: 59.995 at 2 decimals, 563275.445, 0.0005 …"""
    x = float(f"{k}5e-{decimals + 1}")
    expected = float(Decimal(f"{k}5e-{decimals + 1}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    assert round_half_up(x, decimals) == expected


def test_seeded_sweep_of_ties_and_random_values_agrees_with_decimal():
    rng = np.random.default_rng(21)
    for decimals in range(7):
        for magnitude in (1.0, 1e4, 1e8, 1e12):
            k = rng.integers(0, int(magnitude * 10**decimals), 400)
            ties = [float(f"{n}5e-{decimals + 1}") for n in k]  # …5 one place past the last kept
            values = np.concatenate([ties, rng.uniform(-magnitude, magnitude, 400)])
            values = np.concatenate([values, -values])
            got = round_half_up(values, decimals)
            assert got.tolist() == [reference(x, decimals) for x in values], (decimals, magnitude)
