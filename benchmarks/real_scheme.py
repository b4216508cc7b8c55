"""A benchmark scheme written the way published 评分细则表 are, and values for it.

40 input codes per unit, as the base benchmark (`bench_scoring.bench_scheme`) has, but behind
them: rates computed from raw counts (scoresheet inputs and the register's 常住人口 through
`figures=`), 同类排名 leaves (one of them over a formula), 定性分档, an all_required checklist,
分类扣分 with 酌情扣分, thresholds by unit category (a variant and a 不考核 category), a
逐步提高 leaf compared with last month's values (`history=`), ★核心指标 tags with a grade rule,
酌情加分, 从总分扣分, a 监测指标 and a veto. Declared subtotals are checked when it loads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = ["甲类", "乙类", "丙类", "丁类"]
PERIOD, BEFORE, YEAR = "2025-03", "2025-02", 2024
N_PLAIN = 17  # plain leaves worth 2 points each, so the 11 featured ones (6 points each) make 100

_CORE = ["核心指标"]


def _plain_leaf(i: int) -> dict:
    code = f"G{i:02d}"
    tags = {"tags": _CORE} if i < 4 else {}
    if i % 3 == 0:
        return {"code": code, "name": f"直接{i}", "method": "direct", "points": 2, **tags}
    if i % 3 == 1:
        mode = ["all_or_nothing", "proportional", "bands", "per_shortfall", "linear"][(i // 3) % 5]
        leaf = {"code": code, "name": f"目标{i}", "method": "target", "points": 2, "mode": mode,
                "target": 60, "unit": "%", "decimals": 1, **tags}  # fmt: skip
        leaf |= {"bands": [{"threshold": 60, "points": 2}, {"threshold": 50, "points": 1}]} if mode == "bands" else {}
        leaf |= {"loss_per_step": 0.5, "step": 5, "steps": "started"} if mode == "per_shortfall" else {}
        leaf |= {"floor": 30} if mode == "linear" else {}
        return leaf
    return {"code": code, "name": f"扣分{i}", "method": "deduction", "points": 2, "per_occurrence": 0.5, **tags}


def real_scheme() -> dict:
    six = {"points": 6}
    computed = [
        {"code": "F1", "name": "规范管理率", "method": "target", "mode": "proportional", "target": 90, "unit": "%",
         "decimals": 1, "formula": "规范管理人数 ÷ 管理人数 × 100", "tags": _CORE, **six,
         "inputs": [{"code": "F1a", "name": "规范管理人数"}, {"code": "F1b", "name": "管理人数"}]},
        {"code": "F2", "name": "建档率", "method": "target", "mode": "per_shortfall", "target": 60, "step": 2,
         "loss_per_step": 0.5, "unit": "%", "decimals": 1, "formula": "建档人数 ÷ 常住人口 × 100",
         "tags": _CORE, **six,
         "inputs": [{"code": "F2a", "name": "建档人数"}, {"name": "常住人口", "source": "register"}]},
        {"code": "F3", "name": "巡查完成率排名", "method": "peer_rank", "unit": "%", "decimals": 1, **six,
         "formula": "(餐饮实巡查 + 公共场所实巡查) ÷ 应巡查 × 100",
         "bands": [{"within_pct": 20, "points": 6}, {"within_pct": 50, "points": 3}],
         "inputs": [{"code": "F3a", "name": "餐饮实巡查"}, {"code": "F3b", "name": "公共场所实巡查"},
                    {"code": "F3c", "name": "应巡查"}]},
        {"code": "P1", "name": "院感发生率排名", "method": "peer_rank", "direction": "lower", "unit": "%",
         "bands": [{"within": 3, "points": 6}], **six},
    ]  # fmt: skip
    levels = [{"label": "有计划并实施", "points": 6}, {"label": "部分落实", "points": 3}, {"label": "无", "points": 0}]
    qualitative = [
        {"code": "L1", "name": "健康教育", "method": "levels", "levels": levels, "tags": _CORE, **six},
        {"code": "L2", "name": "制度建设", "method": "levels", "levels": levels, **six},
        {"code": "C1", "name": "传染病防控制度", "method": "checklist", "all_required": True, **six,
         "tasks": [{"code": f"C1-{k}", "name": n} for k, n in enumerate(["制度上墙", "台账齐全", "专人负责"], 1)]},
        {"code": "K1", "name": "传染病信息报告", "method": "deduction", "tags": _CORE, **six,
         "kinds": [{"code": "K1-1", "name": "迟报", "per_occurrence": 0.5},
                   {"code": "K1-2", "name": "漏报", "per_occurrence": 1},
                   {"code": "K1-3", "name": "瞒报", "per_occurrence": 3}],
         "discretionary_max": 2, "discretionary_code": "K1-9"},
    ]  # fmt: skip
    by_category = [
        {"code": "V1", "name": "业务用房面积", "method": "target", "mode": "all_or_nothing", "target": 1200,
         "unit": "m²", "variants": {"乙类": {"target": 500}}, **six},
        {"code": "V2", "name": "手术占比", "method": "target", "mode": "proportional", "target": 40, "unit": "%",
         "variants": {"丙类": {"applicable": False}}, **six},
        {"code": "I1", "name": "门诊人次", "method": "improvement", "compare": "previous", "unit": "人次",
         "tolerance": 50, "improvement": {"up": 6, "same": 3, "down": 0}, "no_baseline": "full", **six},
    ]  # fmt: skip
    others = [_plain_leaf(i) for i in range(N_PLAIN)] + [
        {"code": "B1", "name": "工作创新", "method": "bonus", "discretionary": True, "cap": 2},
        {"code": "B2", "name": "信息报送不及时", "method": "deduction", "from_total": True, "per_occurrence": 1, "cap": 3},
        {"code": "M1", "name": "门诊次均费用", "method": "monitor", "unit": "元", "direction": "lower", "reference": 250},
        {"code": "X1", "name": "重大医疗安全事故", "method": "veto"},
    ]  # fmt: skip
    return {
        "id": "bench_real",
        "name": "基准方案（真实方案特征）",
        "version": "1",
        "period_type": "month",
        "categories": CATEGORIES,
        "bonus_cap": 3,
        "bottom": {"threshold": 80, "lowest_pct": 10},
        "tags": [{"name": "核心指标", "mark": "★"}],
        "tag_rules": [
            {"tag": "核心指标", "below_pct": 60, "grade": "合格"},
            {"tag": "核心指标", "below_pct": 60, "ineligible": "核心指标得分率低于60%，不得评优"},
        ],
        "criteria": [
            {"code": "D0", "name": "计算与排名指标", "points": 24, "items": computed},
            {"code": "D1", "name": "定性与清单", "points": 24, "items": qualitative},
            {"code": "D2", "name": "分类与比较", "points": 18, "items": by_category},
            {"code": "D3", "name": "其他指标", "points": 34, "bonus_points": 2, "items": others},
        ],
    }


def _columns(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One array of n values per input code: plausible raw counts, levels, occurrences."""
    u = rng.uniform
    col: dict[str, np.ndarray] = {}
    col["F1b"] = rng.integers(50, 200, n).astype(float)
    col["F1a"] = np.floor(col["F1b"] * u(0.6, 1.0, n))
    col["F2a"] = rng.integers(300, 4000, n).astype(float)  # against 常住人口 of 1,000–5,000
    col["F3c"] = rng.integers(20, 100, n).astype(float)
    col["F3a"] = np.floor(col["F3c"] * u(0.3, 0.6, n))
    col["F3b"] = np.floor(col["F3c"] * u(0.2, 0.4, n))
    col["P1"] = np.round(u(0, 5, n), 1)
    col["L1"] = rng.choice([0.0, 3.0, 6.0], n, p=[0.1, 0.3, 0.6])
    col["L2"] = rng.choice([0.0, 3.0, 6.0], n, p=[0.1, 0.3, 0.6])
    for k in (1, 2, 3):
        col[f"C1-{k}"] = (u(0, 1, n) < 0.95).astype(float)
    col["K1-1"] = rng.integers(0, 4, n).astype(float)
    col["K1-2"] = rng.integers(0, 2, n).astype(float)
    col["K1-3"] = (u(0, 1, n) < 0.02).astype(float)
    col["K1-9"] = np.round(u(0, 2, n) * (u(0, 1, n) < 0.2), 1)
    col["V1"] = np.round(u(400, 2000, n))
    col["V2"] = np.round(u(10, 60, n), 1)
    col["I1"] = np.round(u(800, 1200, n))
    for i in range(N_PLAIN):
        col[f"G{i:02d}"] = [u(0, 2, n), u(20, 100, n), rng.integers(0, 3, n).astype(float)][i % 3]
    col["B1"] = np.round(u(0, 2, n) * (u(0, 1, n) < 0.1), 1)
    col["B2"] = (u(0, 1, n) < 0.05).astype(float)
    col["M1"] = np.round(u(150, 350, n), 1)
    col["X1"] = (u(0, 1, n) < 0.001).astype(float)
    return col


def real_frame(rows: int, seed: int = 1) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.DataFrame]:
    """About `rows` values (unit-major, one period) with the categories, register figures and
    last month's 门诊人次 the scheme needs: (values, categories, figures, history).

    丙类 units leave V2 out (the scheme says it does not apply to them), so a frame has a little
    under `rows` rows."""
    rng = np.random.default_rng(seed)
    col = _columns(1, rng)  # for the code order only
    codes = np.array(list(col))
    n_units = rows // len(codes)
    units = np.array([f"U{i:07d}" for i in range(n_units)])
    cat_idx = np.arange(n_units) % len(CATEGORIES)
    col = _columns(n_units, rng)
    value = np.stack([col[c] for c in codes], axis=1).ravel()  # unit-major
    unit_idx = np.repeat(np.arange(n_units), len(codes))
    code_idx = np.tile(np.arange(len(codes)), n_units)
    keep = ~((code_idx == list(codes).index("V2")) & (cat_idx[unit_idx] == CATEGORIES.index("丙类")))
    frame = pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(np.zeros(int(keep.sum()), dtype=np.int8), [PERIOD]),
            "unit": pd.Categorical.from_codes(unit_idx[keep], units),
            "code": pd.Categorical.from_codes(code_idx[keep], codes),
            "value": value[keep],
        }
    )
    categories = pd.Series(np.array(CATEGORIES)[cat_idx], index=units)
    figures = pd.DataFrame({"unit": units, "year": YEAR, "name": "常住人口",
                            "value": rng.integers(1000, 5000, n_units).astype(float)})  # fmt: skip
    history = pd.DataFrame({"unit": units, "period": BEFORE, "code": "I1", "value": np.round(col["I1"] * 0.98)})
    return frame, categories, figures, history
