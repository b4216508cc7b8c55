"""Grades, ranks within peer groups, the bottom-ranking rule (末位), gaps and change over periods.

Most tests hand `apply_ranking` a small frame of totals, so each table row reads: these totals →
these ranks / flags.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scheme_factory import direct, make_scheme, values, veto

from scoring import apply_ranking, score

DEFAULT = make_scheme(direct("D", 100))  # grades 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格; bottom < 80


def ranked(totals, vetoed=(), categories=None, scheme=DEFAULT, period="2026-01") -> pd.DataFrame:
    """apply_ranking on units named u0, u1, … with these totals; `vetoed` lists unit indexes."""
    n = len(totals)
    frame = pd.DataFrame(
        {
            "period": period,
            "unit": [f"u{i}" for i in range(n)],
            "category": categories or ["全部"] * n,
            "total": np.asarray(totals, dtype=float),
            "veto": [i in vetoed for i in range(n)],
        }
    )
    return apply_ranking(scheme, frame)


# -- ranks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("totals", "ranks"),
    [
        ([90, 85, 85, 80], [1, 2, 2, 4]),  # competition ranking: ties share, the next is skipped
        ([80, 85, 90, 85], [4, 2, 1, 2]),  # order of rows does not matter
        ([70, 70, 70], [1, 1, 1]),
        ([100, 90, 90, 90, 60], [1, 2, 2, 2, 5]),
        ([95.5, 95.49, 95.5], [1, 3, 1]),
        ([50], [1]),
    ],
)
def test_competition_ranking(totals, ranks):
    out = ranked(totals)
    assert out["rank"].tolist() == ranks
    assert out["rank_overall"].tolist() == ranks


def test_ties_are_on_the_rounded_total():
    # 89.994 and 89.991 both display as 89.99: they share rank 1.
    s = make_scheme(direct("D", 100))
    r = score(s, values({"甲": {"D": 89.994}, "乙": {"D": 89.991}, "丙": {"D": 89.985}}))
    u = r.units.set_index("unit")
    assert u["total"].to_dict() == {"甲": 89.99, "乙": 89.99, "丙": 89.99}
    assert u["rank"].to_dict() == {"甲": 1, "乙": 1, "丙": 1}


@pytest.mark.parametrize(
    ("totals", "vetoed", "ranks"),
    [
        ([100, 80, 70], {0}, [3, 1, 2]),  # the best total, vetoed, ranks last
        ([100, 95, 70, 60], {0, 1}, [3, 4, 1, 2]),  # vetoed units rank among themselves after the rest
        ([90, 90], {1}, [1, 2]),  # a tie broken by the veto
        ([50], {0}, [1]),
    ],
)
def test_vetoed_units_rank_last(totals, vetoed, ranks):
    out = ranked(totals, vetoed)
    assert out["rank"].tolist() == ranks
    assert (out.loc[out["veto"], "grade"] == "不合格").all()


def test_vetoed_unit_ranks_last_end_to_end():
    s = make_scheme(direct("D", 100), veto("V"))
    r = score(s, values({"甲": {"D": 100, "V": 1}, "乙": {"D": 61, "V": 0}, "丙": {"D": 75}}))
    u = r.units.set_index("unit")
    assert u["rank"].to_dict() == {"甲": 3, "乙": 2, "丙": 1}
    assert u["grade"].astype(str).to_dict() == {"甲": "不合格", "乙": "合格", "丙": "合格"}


def test_rank_within_peer_group_and_overall():
    out = ranked([90, 80, 85, 95, 70], categories=["医院", "医院", "卫生院", "卫生院", "卫生院"])
    assert out["rank"].tolist() == [1, 2, 2, 1, 3]
    assert out["rank_overall"].tolist() == [2, 4, 3, 1, 5]
    assert out["group_size"].tolist() == [2, 2, 3, 3, 3]


# -- grades and gaps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "grade", "gap_next", "gap_line"),
    [
        (100, "优秀", math.nan, 20),
        (90, "优秀", math.nan, 10),  # at the band's minimum
        (89.99, "良好", 0.01, 9.99),
        (85, "良好", 5, 5),
        (80, "良好", 10, 0),  # on the 80-point line: not below it
        (79.99, "合格", 0.01, -0.01),
        (60, "合格", 20, -20),
        (59.99, "不合格", 0.01, -20.01),
        (0, "不合格", 60, -80),
        (103, "优秀", math.nan, 23),  # with bonus above the declared total
    ],
)
def test_grade_and_gaps(total, grade, gap_next, gap_line):
    u = ranked([total]).iloc[0]
    assert u["grade"] == grade
    if math.isnan(gap_next):
        assert math.isnan(u["gap_next_grade"])
    else:
        assert u["gap_next_grade"] == gap_next
    assert u["gap_bottom_line"] == gap_line


def test_vetoed_unit_has_no_gap_to_next_grade():
    u = ranked([85], vetoed={0}).iloc[0]
    assert u["grade"] == "不合格" and math.isnan(u["gap_next_grade"])


def test_custom_grade_bands():
    grades = [{"name": "好", "min": 85.5}, {"name": "中", "min": 70}, {"name": "差", "min": 0}]
    s = make_scheme(direct("D", 100), grades=grades)
    out = ranked([85.5, 85.49, 70, 69.99], scheme=s)
    assert out["grade"].astype(str).tolist() == ["好", "中", "中", "差"]
    assert out["gap_next_grade"].tolist()[1:] == [0.01, 15.5, 0.01]
    assert list(out["grade"].cat.categories) == ["好", "中", "差"]  # best first, ordered
    assert out["grade"].cat.ordered


def test_no_threshold_means_no_bottom_line_gap():
    s = make_scheme(direct("D", 100), bottom={"threshold": None, "lowest_n": 1})
    out = ranked([90, 70], scheme=s)
    assert out["gap_bottom_line"].isna().all()
    assert out["bottom"].tolist() == [False, True]


# -- the bottom-ranking rule (末位) ---------------------------------------------------------------

TOTALS = [95, 88, 85, 82, 79.99, 80, 60, 75]  # eight units u0..u7, no ties


@pytest.mark.parametrize(
    ("rule", "flagged", "reason"),
    [
        ({}, [4, 6, 7], "低于 80 分"),  # the default: below 80 (80 itself is not below)
        ({"threshold": 60}, [], ""),
        ({"threshold": 60.01}, [6], "低于 60.01 分"),
        ({"threshold": None, "lowest_n": 2}, [6, 7], "同类末 2 名"),
        ({"threshold": None, "lowest_pct": 25}, [6, 7], "同类后 25%"),  # 25% of 8 = 2
        ({"threshold": None, "lowest_pct": 10}, [6], "同类后 10%"),  # 0.8 → at least 1
        ({"threshold": None, "lowest_pct": 30}, [4, 6, 7], "同类后 30%"),  # 2.4 → 3
        ({"threshold": None, "lowest_n": 1, "lowest_pct": 25}, [6, 7], None),  # any: the union
        ({"threshold": None, "lowest_n": 1, "lowest_pct": 25, "combine": "all"}, [6], None),
        ({"threshold": 80, "lowest_n": 5}, [3, 4, 5, 6, 7], None),  # any (default): lowest five ∪ below 80
        ({"threshold": 80, "lowest_n": 5, "combine": "all"}, [4, 6, 7], "低于 80 分，同类末 5 名"),
        ({"threshold": 76, "lowest_n": 5, "combine": "all"}, [6, 7], "低于 76 分，同类末 5 名"),
        ({"threshold": None}, [], ""),  # nothing configured: nobody is flagged
    ],
)
def test_bottom_rule(rule, flagged, reason):
    s = make_scheme(direct("D", 100), bottom=rule)
    out = ranked(TOTALS, scheme=s)
    assert [i for i, b in enumerate(out["bottom"]) if b] == flagged
    if reason is not None:
        assert set(out.loc[out["bottom"], "bottom_reason"].astype(str)) <= {reason}
    assert (out.loc[~out["bottom"], "bottom_reason"].astype(str) == "").all()


def test_bottom_reason_names_every_criterion_hit():
    s = make_scheme(direct("D", 100), bottom={"threshold": 80, "lowest_n": 1})
    out = ranked([90, 85, 70, 82], scheme=s)
    assert out["bottom_reason"].astype(str).tolist() == ["", "", "低于 80 分，同类末 1 名", ""]


def test_ties_at_the_lowest_n_boundary_are_all_flagged():
    s = make_scheme(direct("D", 100), bottom={"threshold": None, "lowest_n": 1})
    out = ranked([90, 70, 70, 85], scheme=s)
    assert out["bottom"].tolist() == [False, True, True, False]


def test_lowest_n_is_per_peer_group():
    s = make_scheme(direct("D", 100), bottom={"threshold": None, "lowest_n": 1})
    out = ranked([90, 80, 95, 85, 99], categories=["A", "A", "B", "B", "B"], scheme=s)
    assert out["bottom"].tolist() == [False, True, False, True, False]


def test_vetoed_unit_counts_as_lowest_for_lowest_n():
    s = make_scheme(direct("D", 100), bottom={"threshold": None, "lowest_n": 1})
    out = ranked([99, 70, 85], vetoed={0}, scheme=s)
    assert out["bottom"].tolist() == [True, False, False]


def test_consequence_text_only_on_flagged_units():
    s = make_scheme(direct("D", 100), bottom={"threshold": 80, "consequence": "停岗、待岗或下岗"})
    out = ranked([85, 79], scheme=s)
    assert out["consequence"].astype(str).tolist() == ["", "停岗、待岗或下岗"]


def test_staff_below_80_is_a_bottom_case_end_to_end():
    s = make_scheme(
        direct("E", 30, name="医德医风"),
        direct("Q", 50, name="工作质量"),
        direct("L", 20, name="劳动纪律"),
        bottom={"threshold": 80, "consequence": "停岗、待岗或下岗"},
    )
    r = score(s, values({"张医生": {"E": 28, "Q": 45, "L": 18}, "李护士": {"E": 25, "Q": 40, "L": 14.99}}))
    u = r.units.set_index("unit")
    assert u["total"].to_dict() == {"张医生": 91, "李护士": 79.99}
    assert u["bottom"].to_dict() == {"张医生": False, "李护士": True}
    assert u.loc["李护士", "consequence"] == "停岗、待岗或下岗"
    assert u.loc["李护士", "gap_bottom_line"] == -0.01


# -- change since the previous period -------------------------------------------------------------

S = make_scheme(direct("D", 100))


def by_unit(units: pd.DataFrame, period: str) -> pd.DataFrame:
    sel = units[units["period"].astype(str) == period]
    return sel.set_index(sel["unit"].astype(str))


def test_change_within_one_multi_period_call():
    frame = pd.concat(
        [
            values({"甲": {"D": 90}, "乙": {"D": 80}, "丙": {"D": 70}}, period="2026-01"),
            values({"甲": {"D": 75}, "乙": {"D": 85}, "丙": {"D": 95}}, period="2026-02"),
        ]
    )
    units = score(S, frame).units
    first, second = by_unit(units, "2026-01"), by_unit(units, "2026-02")
    assert first["delta_total"].isna().all() and first["prev_rank"].isna().all()
    assert second["prev_total"].to_dict() == {"甲": 90, "乙": 80, "丙": 70}
    assert second["delta_total"].to_dict() == {"甲": -15, "乙": 5, "丙": 25}
    # 甲 1 → 3 fell two places (−2); 丙 3 → 1 rose two places (+2)
    assert second["delta_rank"].to_dict() == {"甲": -2, "乙": 0, "丙": 2}


def test_change_against_previous_results():
    jan = score(S, values({"甲": {"D": 90}, "乙": {"D": 80}}, period="2026-01"))
    feb = score(S, values({"甲": {"D": 70}, "乙": {"D": 80}, "丙": {"D": 99}}, period="2026-02"), previous=jan.units)
    u = by_unit(feb.units, "2026-02")
    assert len(feb.units) == 3  # the previous period's rows are not returned
    assert u.loc["甲", "prev_total"] == 90 and u.loc["甲", "delta_total"] == -20
    assert u.loc["甲", "prev_rank"] == 1 and u.loc["甲", "delta_rank"] == -2
    assert u.loc["乙", "delta_total"] == 0 and u.loc["乙", "delta_rank"] == 0
    assert math.isnan(u.loc["丙", "prev_total"]) and math.isnan(u.loc["丙", "delta_rank"])  # new unit


def test_change_is_against_the_latest_earlier_period():
    history = score(
        S,
        pd.concat([values({"甲": {"D": 60}}, period="2025-11"), values({"甲": {"D": 70}}, period="2025-12")]),
    )
    jan = score(S, values({"甲": {"D": 90}}, period="2026-01"), previous=history.units)
    assert jan.units.iloc[0]["prev_total"] == 70 and jan.units.iloc[0]["delta_total"] == 20


def test_single_period_without_previous_has_no_change():
    units = score(S, values({"甲": {"D": 90}}, period="2026-01")).units
    assert units[["prev_total", "prev_rank", "delta_total", "delta_rank"]].isna().all().all()


@pytest.mark.parametrize(("size", "pct", "flagged"), [(30, 10, 3), (100, 7, 7), (100, 0.7, 1), (1000, 0.3, 3)])
def test_lowest_pct_at_an_exact_whole_count_does_not_round_up(size, pct, flagged):
    """30 × 10% is 3 units, not 3.0000000000000004 rounded up to 4."""
    s = make_scheme(direct("D", 100), bottom={"threshold": None, "lowest_pct": pct})
    out = ranked(list(range(size, 0, -1)), scheme=s)
    assert int(out["bottom"].sum()) == flagged


def test_rank_from_the_bottom_read_off_the_best_first_order() -> None:
    """The bottom rule's rank from the worst end, read off the best-first sort, is the rank a
    worst-first sort gives: ties (-0.0 and 0.0 too) share it, in one group or several."""
    from scoring.ranking import _rank, _ranks

    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(1, 300))
        key = rng.choice(np.array([0.0, -0.0, 1.0, 2.5, -1e9, 3.0]), n)
        group = rng.integers(0, 1 + trial % 4, n)
        worst_first = np.argsort(key)
        rank, from_bottom = _ranks(key, worst_first[::-1], group, from_bottom=True)
        assert (from_bottom == _rank(key, worst_first, group)).all()
        for g in np.unique(group):  # by hand: 1 + the rows of the group strictly better / worse
            k = key[group == g]
            assert (rank[group == g] == 1 + (k[None, :] > k[:, None]).sum(axis=1)).all()
            assert (from_bottom[group == g] == 1 + (k[None, :] < k[:, None]).sum(axis=1)).all()


def test_grades_reached_as_a_binary_search_finds_them() -> None:
    """How many grade minimums a total reaches, counted by comparisons, is what a binary search
    (side="right") finds: at each minimum exactly, just below it, for -0.0, ±inf and NaN."""
    from scoring.ranking import _reached

    mins = np.array([0.0, 60.0, 80.0, 90.0])
    x = np.array([np.nan, -0.0, 0.0, 59.999, 60, 60.0000001, 79.99, 80, 89.9, 90, 1e9, np.inf, -np.inf, -5])
    assert _reached(mins, x).tolist() == [4, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 0, 0]
    assert (_reached(mins, x) == np.searchsorted(mins, x, side="right")).all()


def test_province_scale_ranks_by_counting_equal_ranks_by_sorting(monkeypatch: pytest.MonkeyPatch) -> None:
    """With many more units than possible totals (one decimal: 0.0–10.0) the ranks are counted,
    not sorted: the same ranks, ranks overall, bottom flags and reasons either way, with ties,
    vetoed units and two periods × three peer groups."""
    from scoring import ranking

    scheme = make_scheme(direct("D1", 10), decimals=1, bottom={"threshold": 6, "lowest_n": 3, "lowest_pct": 10})
    rng = np.random.default_rng(11)
    n = 8 * 2 * (10 * 10 + 1) + 500  # enough rows per possible total for counting to be tried
    units = pd.DataFrame(
        {
            "period": pd.Categorical(rng.choice(["2025-02", "2025-03"], n)),
            "unit": [f"U{i}" for i in range(n)],
            "category": pd.Categorical(rng.choice(["甲", "乙", "丙"], n)),
            "total": np.round(rng.uniform(0, 10, n), 1),
            "veto": rng.uniform(0, 1, n) < 0.01,
        }
    )
    assert ranking._counted_ranks(units["total"].to_numpy(), np.zeros(n, dtype=np.int64), True) is not None
    counted = apply_ranking(scheme, units)
    monkeypatch.setattr(ranking, "_counted_ranks", lambda *a: None)
    pd.testing.assert_frame_equal(counted, apply_ranking(scheme, units), check_exact=True)
    # by hand for one unit: 1 + the units of its period and category with a higher total
    row = counted.iloc[0]
    peers = counted[(counted["period"] == row["period"]) & (counted["category"] == row["category"])]
    key = peers["total"] - peers["veto"] * 1e9
    assert row["rank"] == 1 + (key > row["total"] - row["veto"] * 1e9).sum()
