"""同类排名 (method: peer_rank): points from a unit's rank or percentile among its peers (same
category and period). Hand-computed boundaries, validation messages, traces and a property test."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import SchemeError, scheme_from_dict, score
from scoring.methods import score_peer_rank
from sheets.cells import rules_for

PCT = [{"within_pct": 20, "points": 10}, {"within_pct": 50, "points": 6}]
SPEC = {
    "id": "pr",
    "name": "同类排名示例",
    "version": "1",
    "period_type": "month",
    "criteria": [
        {
            "code": "A",
            "name": "公共卫生",
            "items": [
                {"code": "A1", "name": "建档率", "method": "peer_rank", "points": 10, "unit": "%", "decimals": 1,
                 "allow_na": True, "bands": PCT},
                {"code": "F", "name": "其他指标", "method": "direct", "points": 90},
            ],
        }
    ],
}  # fmt: skip
SCHEME = scheme_from_dict(SPEC)
CAT = "社区卫生服务中心"


def _spec(**changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][0].update(changes)
    return spec


def _score(values: list, scheme=SCHEME, category: str = CAT, period: str = "2025-03") -> pd.Series:
    """Earned points on A1 per unit U0, U1, … (None: 不适用)."""
    rows = []
    for i, v in enumerate(values):
        rows.append((period, f"U{i}", category, "A1", np.nan if v is None else v, v is None))
        rows.append((period, f"U{i}", category, "F", 90.0, False))
    frame = pd.DataFrame(rows, columns=["period", "unit", "category", "code", "value", "na"])
    results = score(scheme, frame)
    lv = results.leaves[results.leaves["leaf"] == "A1"]
    return pd.Series(lv["earned"].to_numpy(), index=lv["unit"].astype(str)), results


TEN = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]


def test_percentile_boundaries_ten_peers() -> None:
    earned, _ = _score(TEN)
    # rank 2 of 10 is exactly 20% (within), rank 3 is 30%; rank 5 exactly 50%, rank 6 is 60%.
    assert earned.tolist() == [10, 10, 6, 6, 6, 0, 0, 0, 0, 0]


def test_not_applicable_units_are_not_peers() -> None:
    # 3 of 5 not applicable: 2 peers, rank 1 = 50% → 6, rank 2 = 100% → 0.
    earned, results = _score([80, 70, None, None, None])
    assert earned.tolist() == [6, 0, 0, 0, 0]
    assert results.peer_position("A1", "U0") == (1, 2, CAT)
    assert results.peer_position("A1", "U2")[:2] == (0, 0)


def test_one_peer_is_at_100_percent() -> None:
    earned, _ = _score([99])
    assert earned.tolist() == [0]
    top = scheme_from_dict(_spec(bands=[{"within_pct": 100, "points": 4}]))
    assert _score([99], top)[0].tolist() == [4]
    by_rank = scheme_from_dict(_spec(bands=[{"within": 5, "points": 1}]))
    assert _score([99], by_rank)[0].tolist() == [1]


def test_all_tied_share_rank_one() -> None:
    earned, results = _score([75.0, 75.04, 74.95, 75])  # decimals 1: all round to 75.0
    # all rank 1 of 4 = 25%: beyond 20%, within 50% → 6 each
    assert earned.tolist() == [6, 6, 6, 6]
    assert results.peer_position("A1", "U3") == (1, 4, CAT)


def test_competition_ranking_by_rank_bands_lower_is_better() -> None:
    scheme = scheme_from_dict(_spec(direction="lower", bands=[{"within": 2, "points": 2}, {"within": 3, "points": 1}]))
    earned, _ = _score([1.0, 1.0, 2.0, 3.0], scheme)  # ranks 1, 1, 3, 4
    assert earned.tolist() == [2, 2, 1, 0]


def test_periods_and_categories_rank_separately() -> None:
    rows = []
    for period, unit, cat, v in [
        ("2025-03", "U1", "甲类", 90), ("2025-03", "U2", "甲类", 80),
        ("2025-03", "U3", "乙类", 10), ("2025-04", "U1", "甲类", 70), ("2025-04", "U2", "甲类", 80),
    ]:  # fmt: skip
        rows += [(period, unit, cat, "A1", v, False), (period, unit, cat, "F", 90.0, False)]
    frame = pd.DataFrame(rows, columns=["period", "unit", "category", "code", "value", "na"])
    lv = score(SCHEME, frame).leaves
    lv = lv[lv["leaf"] == "A1"]
    got = {(str(p), str(u)): e for p, u, e in zip(lv["period"], lv["unit"], lv["earned"], strict=True)}
    # 2 peers: rank 1 = 50% → 6, rank 2 → 0; U3 alone in 乙类 → 100% → 0.
    assert got == {("2025-03", "U1"): 6, ("2025-03", "U2"): 0, ("2025-03", "U3"): 0,
                   ("2025-04", "U1"): 0, ("2025-04", "U2"): 6}  # fmt: skip


def test_trace_in_chinese() -> None:
    values = [95, 93, 92.5, 90, 88, 86, 84, 82, 80, 78, 76, 74]
    _, results = _score(values)
    trace = results.explain("U2").set_index("code").loc["A1", "trace"]
    assert trace == "实际 92.5%，同类（社区卫生服务中心）12 家中第 3 名（前 25%）→ 前 50% 得 6 分"
    assert results.explain("U6").set_index("code").loc["A1", "trace"].endswith("→ 未进入前 50%，得 0 分")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"bands": []}, "criteria[0].items[0].bands: 至少需要 1 项"),
        ({"bands": [{"within": 0, "points": 1}]}, "criteria[0].items[0].bands[0].within: 必须大于 0"),
        ({"bands": [{"within_pct": 120, "points": 1}]}, "criteria[0].items[0].bands[0].within_pct: 必须小于或等于 100"),
        ({"bands": [{"within_pct": 50, "points": 6}, {"within_pct": 20, "points": 10}]}, "档次须按范围从小到大排列"),
        ({"bands": [{"within_pct": 20, "points": 12}]}, "档次分值 12 分超过本项分值 10 分"),
        ({"bands": [{"within": 2, "points": 5}, {"within_pct": 50, "points": 3}]}, "档次不能混用"),
        ({"bands": [{"within": 2, "within_pct": 20, "points": 5}]}, "须且只能写「前几名」或「前百分之几」中的一个"),
    ],
)
def test_validation_is_located_and_chinese(changes: dict, expected: str) -> None:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(_spec(**changes))
    assert any(expected in m for m in [p.keyed for p in exc.value.problems]), [p.keyed for p in exc.value.problems]


def test_template_rule_is_a_number_column() -> None:
    rule = rules_for(SCHEME)["A1"]
    assert rule.kind == "number" and rule.percent and rule.allow_na


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=12),
    st.integers(0, 11),
    st.integers(1, 5),
)
def test_points_never_rise_as_a_value_worsens(others: list[int], who: int, drop: int) -> None:
    leaf = SCHEME.leaf("A1")
    who %= len(others)
    group = np.zeros(len(others), dtype=np.int64)
    before = score_peer_rank(leaf, np.array(others, dtype=float), group).earned
    worse = np.array(others, dtype=float)
    worse[who] -= drop
    after = score_peer_rank(leaf, worse, group).earned
    assert after[who] <= before[who]
    # tied values earn equal points
    for values, earned in ((others, before), (worse, after)):
        for v in set(values):
            assert len({earned[i] for i, x in enumerate(values) if x == v}) == 1


def test_ranks_by_counting_equal_ranks_by_sorting() -> None:
    """Few distinct values are ranked by counting, many by sorting: the same ranks and peer counts
    either way, ties (-0.0 and 0.0 too) sharing the better rank, NaN unranked, in 1–4 groups."""
    from scoring import methods

    rng = np.random.default_rng(3)
    sorted_only = methods._ranks_by_counting
    counted = 0
    for trial in range(300):
        n = int(rng.integers(1, 2000))
        if trial % 3 == 0:
            key = rng.choice(np.array([0.0, -0.0, 1.5, 2.0, -3.0, np.nan, 7.25, np.inf, -np.inf]), n)
        else:
            key = np.round(rng.uniform(-5, 5, n), int(rng.integers(0, 3)))
        group = rng.integers(0, 1 + trial % 4, n)
        rank, peers = methods.peer_ranks(key, group)
        ok = ~np.isnan(key)
        counted += ok.any() and sorted_only(key[ok], group[ok]) is not None
        try:
            methods._ranks_by_counting = lambda k, g: None
            assert [x.tolist() for x in methods.peer_ranks(key, group)] == [rank.tolist(), peers.tolist()]
        finally:
            methods._ranks_by_counting = sorted_only
        for g in np.unique(group[ok]):  # by hand: 1 + the peers with a strictly better value
            k = key[ok & (group == g)]
            assert (rank[ok & (group == g)] == 1 + (k[None, :] > k[:, None]).sum(axis=1)).all()
            assert (peers[ok & (group == g)] == len(k)).all()
        assert (rank[~ok] == 0).all() and (peers[~ok] == 0).all()
    assert counted > 100  # both ways were exercised
