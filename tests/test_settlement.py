"""Subsidy settlement: hand-computed cases for each mode, exact pool reconciliation, what-if."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from data.demo import SCHEME_DIR, build_demo
from scoring import SchemeError, load_scheme, parse_scheme, scheme_from_dict, score
from scoring.settlement import SETTLE_COLUMNS, Settlement, SettlementError, describe, settle, what_if

GRADES = ["优秀", "良好", "合格", "不合格"]
COEFFICIENTS = {"优秀": 1.0, "良好": 0.95, "合格": 0.85, "不合格": 0.6}


def units(*rows: tuple, period: str = "2025-08") -> pd.DataFrame:
    """(unit, total[, grade[, veto[, category]]]) rows as `Results.units` columns settle reads."""
    out = []
    for row in rows:
        unit, total, grade, veto, category = (*row, *[None] * (5 - len(row)))
        if grade is None:
            grade = next(g for g, low in zip(GRADES, (90, 80, 60, 0)) if total >= low)
        out.append((period, unit, category or "社区卫生服务中心", total, total / 100, grade, bool(veto)))
    frame = pd.DataFrame(out, columns=["period", "unit", "category", "total", "score_rate", "grade", "veto"])
    frame["grade"] = pd.Categorical(frame["grade"], GRADES, ordered=True)
    frame["veto_reason"] = np.where(frame["veto"], "发生重大医疗安全事故", "")
    return frame


def by_unit(frame: pd.DataFrame, column: str = "amount") -> dict[str, Any]:
    return dict(zip(frame["unit"], frame[column]))


# -- base × score ------------------------------------------------------------------------------
def test_base_times_score() -> None:
    s = Settlement(mode="base_times_score", base=100_000)
    out = settle(s, units(("U1", 86.43), ("U2", 100), ("U3", 59.995)))
    assert list(out.columns) == SETTLE_COLUMNS
    assert by_unit(out) == {"U1": 86_430.00, "U2": 100_000.00, "U3": 59_995.00}
    assert by_unit(out, "amount_fen") == {"U1": 8_643_000, "U2": 10_000_000, "U3": 5_999_500}
    assert by_unit(out, "basis")["U1"] == "基数 100,000.00 元 × 得分率 86.43% = 86,430.00 元"


def test_base_times_score_rounds_half_up_to_the_fen() -> None:
    out = settle(Settlement(mode="base_times_score", base=0.5), units(("U1", 99)))  # 0.495 yuan
    assert by_unit(out) == {"U1": 0.50}


def test_bonus_above_the_full_mark_pays_the_base_unless_allowed() -> None:
    rows = units(("U1", 103.5))
    capped = settle(Settlement(mode="base_times_score", base=10_000), rows)
    assert by_unit(capped) == {"U1": 10_000.00}
    assert "得分超过满分，按 100% 计" in capped["basis"][0]
    above = settle(Settlement(mode="base_times_score", base=10_000, allow_above_base=True), rows)
    assert by_unit(above) == {"U1": 10_350.00}


def test_base_comes_from_the_unit_then_its_category_then_the_default() -> None:
    s = Settlement(
        mode="base_times_score", base=1_000, base_by_category={"乡镇卫生院": 5_000}, base_attribute="subsidy_base"
    )
    rows = units(("U1", 80), ("U2", 80, None, False, "乡镇卫生院"), ("U3", 80, None, False, "乡镇卫生院"))
    attributes = pd.DataFrame({"code": ["U3"], "subsidy_base": [20_000]})
    assert by_unit(settle(s, rows, attributes)) == {"U1": 800.0, "U2": 4_000.0, "U3": 16_000.0}


def test_a_unit_without_a_base_is_an_error() -> None:
    s = Settlement(mode="base_times_score", base_attribute="subsidy_base")
    attributes = pd.DataFrame({"code": ["U1", "U2"], "subsidy_base": [1000, None]})
    with pytest.raises(SettlementError, match="以下单位没有结算基数：U2"):
        settle(s, units(("U1", 80), ("U2", 80)), attributes)
    with pytest.raises(SettlementError, match="单位信息中没有「subsidy_base」列"):
        settle(s, units(("U1", 80)), pd.DataFrame({"code": ["U1"]}))


# -- grade coefficients ------------------------------------------------------------------------
def test_grade_coefficient() -> None:
    s = Settlement(mode="grade_coefficient", base=200_000, coefficients=COEFFICIENTS)
    rows = units(("U1", 93), ("U2", 85), ("U3", 70), ("U4", 50), ("U5", 96, "不合格", True))
    out = settle(s, rows)
    assert by_unit(out) == {"U1": 200_000.0, "U2": 190_000.0, "U3": 170_000.0, "U4": 120_000.0, "U5": 120_000.0}
    basis = by_unit(out, "basis")
    assert basis["U2"] == "基数 200,000.00 元 × 等级「良好」系数 0.95 = 190,000.00 元"
    assert basis["U5"] == (
        "一票否决（发生重大医疗安全事故）；基数 200,000.00 元 × 等级「不合格」（一票否决定为最低等级）系数 0.6 = 120,000.00 元"
    )


def test_a_veto_can_pay_nothing() -> None:
    s = Settlement(mode="grade_coefficient", base=200_000, coefficients=COEFFICIENTS, on_veto="zero")
    out = settle(s, units(("U1", 93), ("U5", 96, "不合格", True)))
    assert by_unit(out) == {"U1": 200_000.0, "U5": 0.0}
    assert by_unit(out, "limit")["U5"] == "否决"
    assert by_unit(out, "basis")["U5"] == "一票否决（发生重大医疗安全事故），不予拨付"


# -- pool --------------------------------------------------------------------------------------
def test_pool_in_proportion_to_score() -> None:
    out = settle(Settlement(mode="pool", pool=1_000), units(("U1", 90), ("U2", 80), ("U3", 70)))
    # 1000 × 90/240 = 375, × 80/240 = 333.333…, × 70/240 = 291.666…: the spare fen goes to U3 (.67 > .33)
    assert by_unit(out) == {"U1": 375.00, "U2": 333.33, "U3": 291.67}
    assert out["amount_fen"].sum() == 100_000


def test_pool_weighted_by_population() -> None:
    s = Settlement(mode="pool", pool=90_000, weight_attribute="population")
    attributes = pd.DataFrame({"code": ["U1", "U2"], "population": [20_000, 10_000]})
    out = settle(s, units(("U1", 80), ("U2", 80)), attributes)
    assert by_unit(out) == {"U1": 60_000.0, "U2": 30_000.0}
    assert by_unit(out, "weight") == {"U1": 20_000, "U2": 10_000}
    assert by_unit(out, "basis")["U1"] == (
        "得分 80 × 服务人口 20000，占 2 个单位合计的 66.6667%，资金池 90,000.00 元 × 66.6667% = 60,000.00 元"
    )


def test_pool_floor() -> None:
    s = Settlement(mode="pool", pool=1_000, floor=300)
    out = settle(s, units(("U1", 90), ("U2", 80), ("U3", 10)))
    # U3 would get 1000 × 10/180 = 55.56 < 300: it gets 300, and 700 is shared 90 : 80 = 370.588… and
    # 329.411… At that proportion (700/170 per point) U3 would have 41.18, which the basis shows.
    assert by_unit(out) == {"U1": 370.59, "U2": 329.41, "U3": 300.00}
    assert by_unit(out, "limit") == {"U1": "", "U2": "", "U3": "保底"}
    assert by_unit(out, "basis")["U3"] == "得分 10，按同一分配比例应得 41.18 元，低于保底，按保底 300.00 元"


def test_pool_cap_redistributes_to_the_others() -> None:
    out = settle(Settlement(mode="pool", pool=100, floor=10, cap=40), units(("U1", 10), ("U2", 10), ("U3", 80)))
    assert by_unit(out) == {"U1": 30.0, "U2": 30.0, "U3": 40.0}


def test_pool_holds_only_the_side_that_must_hold() -> None:
    # shares 1 : 50 : 49 of 100 with floor 5, cap 45: at first U1 is under the floor (by 4) and U2,
    # U3 over the cap (by 9). The caps hold; U1 then gets the 10 left, well above its floor.
    # Holding U1 at its floor too would leave 5 yuan undistributed.
    out = settle(Settlement(mode="pool", pool=100, floor=5, cap=45), units(("U1", 1), ("U2", 50), ("U3", 49)))
    assert by_unit(out) == {"U1": 10.0, "U2": 45.0, "U3": 45.0}
    assert by_unit(out, "limit") == {"U1": "", "U2": "封顶", "U3": "封顶"}
    # the other way round: the floors hold, the big unit ends below its cap
    out = settle(Settlement(mode="pool", pool=100, floor=20, cap=70), units(("U1", 1), ("U2", 1), ("U3", 98)))
    assert by_unit(out) == {"U1": 20.0, "U2": 20.0, "U3": 60.0}


def test_pool_is_shared_per_period_and_a_vetoed_unit_can_be_left_out() -> None:
    rows = pd.concat([units(("U1", 90), ("U2", 90), period="2025-07"), units(("U1", 90), ("U2", 90, "不合格", True))])
    out = settle(Settlement(mode="pool", pool=500, floor=100, on_veto="zero"), rows)
    assert out.groupby("period")["amount_fen"].sum().to_dict() == {"2025-07": 50_000, "2025-08": 50_000}
    august = out[out["period"] == "2025-08"]
    assert by_unit(august) == {"U1": 500.0, "U2": 0.0}
    assert by_unit(august, "basis")["U2"] == "一票否决（发生重大医疗安全事故），不参与资金池分配"


@pytest.mark.parametrize(
    ("settlement", "message"),
    [
        (
            Settlement(mode="pool", pool=500, floor=200),
            "资金池 500.00 元不足以保证 3 个单位各保底 200.00 元（需 600.00 元）",
        ),
        (
            Settlement(mode="pool", pool=500, cap=100),
            "3 个单位各封顶 100.00 元，合计 300.00 元，分不完资金池 500.00 元",
        ),
    ],
)
def test_an_infeasible_pool_is_refused(settlement: Settlement, message: str) -> None:
    with pytest.raises(SettlementError, match=message):
        settle(settlement, units(("U1", 90), ("U2", 80), ("U3", 70)))


def test_a_pool_only_zero_shares_could_absorb_is_refused() -> None:
    s = Settlement(mode="pool", pool=100, cap=60, weight_attribute="population")
    attributes = pd.DataFrame({"code": ["U1", "U2"], "population": [1000, 0]})
    with pytest.raises(
        SettlementError, match="得分 × 权重大于 0 的 1 个单位封顶合计 60.00 元，其余 1 个单位只能得保底"
    ):
        settle(s, units(("U1", 80), ("U2", 80)), attributes)


def test_a_missing_weight_is_an_error_unless_there_is_a_default() -> None:
    attributes = pd.DataFrame({"code": ["U1", "U2"], "population": pd.array([3000, None], dtype="Int64")})
    rows = units(("U1", 80), ("U2", 80))
    with pytest.raises(SettlementError, match="以下单位缺少「population」，无法按权重分配：U2"):
        settle(Settlement(mode="pool", pool=100, weight_attribute="population"), rows, attributes)
    s = Settlement(mode="pool", pool=100, weight_attribute="population", default_weight=1000)
    assert by_unit(settle(s, rows, attributes)) == {"U1": 75.0, "U2": 25.0}


money = st.integers(min_value=1, max_value=10**11)  # fen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    totals=st.lists(st.integers(min_value=0, max_value=12_000), min_size=1, max_size=30),
    weights=st.lists(st.integers(min_value=0, max_value=100_000), min_size=30, max_size=30),
    pool=money,
    floor_share=st.floats(min_value=0, max_value=1),
    cap_share=st.one_of(st.none(), st.floats(min_value=1, max_value=5)),
)
def test_a_pool_always_adds_up_to_the_fen_within_floor_and_cap(
    totals: list[int], weights: list[int], pool: int, floor_share: float, cap_share: float | None
) -> None:
    n = len(totals)
    floor = int(pool / n * floor_share)  # fen; feasible by construction
    cap = None if cap_share is None else max(floor, -(-int(pool * cap_share) // n))
    assume(cap is None or cap * n >= pool)
    shares = [t * w for t, w in zip(totals, weights)]
    positive = sum(x > 0 for x in shares)
    assume(positive or floor * n == pool)  # a zero score × weight takes the floor and nothing more
    assume(cap is None or cap * positive + floor * (n - positive) >= pool)
    rows = units(*[(f"U{i:02d}", t / 100) for i, t in enumerate(totals)])
    attributes = pd.DataFrame({"code": rows["unit"], "population": weights[:n]})
    s = Settlement(
        mode="pool",
        pool=pool / 100,
        floor=floor / 100,
        cap=None if cap is None else cap / 100,
        weight_attribute="population",
    )
    out = settle(s, rows, attributes)
    fen = out["amount_fen"].to_numpy()
    assert int(fen.sum()) == pool
    assert (fen >= floor).all()
    assert cap is None or (fen <= cap).all()
    assert np.allclose(out["amount"] * 100, fen)
    # proportional within a fen: a larger score × weight never gets less (clip(λ·s) is monotone)
    order = np.argsort(shares, kind="stable")
    assert (np.diff(fen[order]) >= -1).all()


# -- validation through the scheme loader --------------------------------------------------------
def demo_scheme_dict() -> dict:
    return yaml.safe_load((SCHEME_DIR / "community_monthly.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("block", "messages"),
    [
        ({"mode": "pool", "pool": -5}, ["settlement.pool: 必须大于 0"]),
        ({"mode": "pool", "pool": 0}, ["settlement.pool: 必须大于 0"]),
        ({"mode": "pool"}, ["settlement: 「资金池按得分分配」需要「资金总额」"]),
        ({"mode": "pool", "pool": 100.123}, ["settlement.pool: 金额最多保留两位小数（精确到分）"]),
        (
            {"mode": "pool", "pool": 100, "flor": 5},
            ["settlement.flor: 此处不能写这一项（名称写错了，或这里没有这一项）"],
        ),
        ({"mode": "pool", "pool": 100, "floor": 50, "cap": 10}, ["settlement: 「封顶」不能小于「保底」"]),
        ({"mode": "pool", "pool": 100, "floor": -1}, ["settlement.floor: 必须大于或等于 0"]),
        ({"mode": "lottery"}, ["settlement.mode: 必须是 基数 × 得分率、基数 × 等级系数、资金池按得分分配 之一"]),
        (
            {"mode": "base_times_score"},
            ["settlement: 「基数 × 得分率」需要「基数」、「各类别基数」或「基数取自单位信息」"],
        ),
        ({"mode": "base_times_score", "base": 100, "pool": 5}, ["settlement: 「基数 × 得分率」不使用 「资金总额」"]),
        (
            {"mode": "grade_coefficient", "base": 100},
            ["settlement: 「基数 × 等级系数」需要「各等级系数」"],
        ),
        (
            {"mode": "grade_coefficient", "base": 100, "coefficients": {"优秀": 1, "良好": 0.9, "特优": 2}},
            [
                "settlement.coefficients: 缺少等级「合格、不合格」的系数",
                "settlement.coefficients: 等级「特优」不在方案的等级中（优秀、良好、合格、不合格）",
            ],
        ),
        (
            {"mode": "grade_coefficient", "base": 1, "coefficients": {"优秀": -1}},
            ["settlement.coefficients.优秀: 必须大于或等于 0"],
        ),
        (
            {"mode": "base_times_score", "base_by_category": {"卫生院": 100}},
            ["settlement.base_by_category: 类别「卫生院」不在方案适用的类别中（社区卫生服务中心）"],
        ),
    ],
)
def test_a_bad_settlement_block_is_reported_with_its_key_path(block: dict, messages: list[str]) -> None:
    with pytest.raises(SchemeError) as caught:
        scheme_from_dict({**demo_scheme_dict(), "settlement": block})
    assert [p.keyed for p in caught.value.problems] == messages


def test_a_scheme_file_with_a_settlement_block() -> None:
    text = (SCHEME_DIR / "community_monthly.yaml").read_text(encoding="utf-8") + (
        "settlement:\n  mode: grade_coefficient\n  base: 150000\n"
        "  coefficients: {优秀: 1.0, 良好: 0.95, 合格: 0.85, 不合格: 0.6}\n  on_veto: zero\n"
    )
    scheme = parse_scheme(text)
    assert scheme.settlement == Settlement(
        mode="grade_coefficient", base=150_000, coefficients=COEFFICIENTS, on_veto="zero"
    )
    assert describe(scheme.settlement) == (
        "基数取统一基数 150,000.00 元；金额 = 基数 × 等级系数（优秀 1，良好 0.95，合格 0.85，不合格 0.6），"
        "四舍五入到分；一票否决的单位不予拨付。"
    )
    assert load_scheme(SCHEME_DIR / "community_monthly.yaml").settlement is None


def test_describe_a_pool() -> None:
    s = Settlement(mode="pool", pool=1_000_000, weight_attribute="population", floor=20_000, cap=200_000)
    assert describe(s) == (
        "资金池 1,000,000.00 元按得分 × 服务人口的比例分配，每个单位保底 20,000.00 元，封顶 200,000.00 元；"
        "尾差按最大余数法分配，合计与资金池一致到分；一票否决的单位按其结果结算。"
    )


# -- the demo district, two consecutive months ---------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    d = build_demo()
    values = d.values["community_monthly"]
    values = values[values["period"].isin(["2025-07", "2025-08"])]
    return values, d.units, d.units.set_index("code")["category"]


def test_settle_demo_results_with_a_population_pool(demo: tuple) -> None:
    values, register, categories = demo
    scheme = load_scheme(SCHEME_DIR / "community_monthly.yaml")
    results = score(scheme, values, categories=categories)
    s = Settlement(mode="pool", pool=1_000_000, weight_attribute="population", floor=100_000, cap=160_000)
    out = settle(s, results.units, register)
    assert out.groupby("period")["amount_fen"].sum().tolist() == [100_000_000, 100_000_000]
    assert out["amount"].between(100_000, 160_000).all()
    august = out[out["period"] == "2025-08"].set_index("unit")
    assert august.loc["C07", "basis"].startswith("一票否决（发生重大医疗安全事故）；")


def test_what_if_side_by_side(demo: tuple) -> None:
    values, register, categories = demo
    before = scheme_from_dict(
        {
            **demo_scheme_dict(),
            "settlement": {"mode": "grade_coefficient", "base": 100_000, "coefficients": COEFFICIENTS},
        }
    )
    # a stricter 处方合格率 target (A2: 95% → 98%) and a harsher coefficient for 良好
    data = before.model_dump()
    a2 = next(leaf for leaf in data["criteria"][0]["items"] if leaf["code"] == "A2")
    a2["target"] = 98
    data["settlement"]["coefficients"]["良好"] = 0.9
    after = scheme_from_dict(data)
    out = what_if(before, after, values, categories=categories, attributes=register)
    assert len(out) == 16 and list(out[["period", "unit"]].drop_duplicates().index) == list(range(16))
    expected_before = score(before, values, categories=categories).units
    expected_after = score(after, values, categories=categories).units
    key = lambda f: dict(zip(zip(f["period"].astype(str), f["unit"].astype(str)), f["total"]))  # noqa: E731
    assert key(out.rename(columns={"total_before": "total"})) == key(expected_before)
    assert key(out.rename(columns={"total_after": "total"})) == key(expected_after)
    assert (out["total_after"] <= out["total_before"] + 1e-9).all()  # a higher target never earns more
    row = out.set_index(["period", "unit"]).loc[("2025-08", "C07")]  # vetoed: lowest grade either way
    assert row["grade_before"] == row["grade_after"] == "不合格" and row["amount_after"] == 60_000
    good = out[out["grade_after"] == "良好"]
    assert (good["amount_after"] == 90_000).all()
    assert np.allclose(out["delta_amount"], out["amount_after"] - out["amount_before"])
    assert (out["delta_rank"] == out["rank_before"] - out["rank_after"]).all()


def test_what_if_without_settlement_has_no_amounts(demo: tuple) -> None:
    values, _, categories = demo
    scheme = load_scheme(SCHEME_DIR / "community_monthly.yaml")
    out = what_if(scheme, scheme, values, categories=categories)
    assert out["amount_before"].isna().all() and out["amount_after"].isna().all()
    assert (out["delta_total"] == 0).all() and (out["delta_rank"] == 0).all()
