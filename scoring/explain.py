"""Human-readable traces (in Chinese) of how each leaf's points were reached.

Traces are built on demand for the rows being looked at, not for millions of rows at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring.methods import improvement_of, reaches, round_half_up, shortfall_steps, within_band
from scoring.periods import period_name
from scoring.scheme import (
    ChecklistLeaf,
    DeductionLeaf,
    ImprovementLeaf,
    Leaf,
    LevelsLeaf,
    MonitorLeaf,
    PeerRankLeaf,
    TargetLeaf,
)

if TYPE_CHECKING:
    from scoring.engine import Results

_MODE_NAMES = {
    "all_or_nothing": "达标得满分，否则不得分",
    "proportional": "按完成比例得分",
    "linear": "起评值到目标值之间按线性得分",
    "bands": "按档次得分",
    "per_shortfall": "每差一定幅度扣分",
}


# per_shortfall: how the steps of a shortfall are counted (TargetLeaf.step_rule).
STEP_RULE_NAMES = {
    "fraction": "不足一档按比例扣",
    "started": "不足一档按一档计",
    "completed": "满一档才扣，不足一档不扣",
}
# A proportional score of a lower-is-better target of 0 has no ratio to take (target ÷ actual is 0
# for any actual above 0): it is full points at 0 and nothing otherwise.
ZERO_TOLERANCE = "零容忍：实际为 0 得满分，大于 0 不得分"


def mode_name(leaf: TargetLeaf) -> str:
    """The target mode in words, as a bureau user reads it."""
    if leaf.mode == "proportional" and leaf.target == 0:
        return ZERO_TOLERANCE
    return _MODE_NAMES[leaf.mode]


def fmt(x: float, decimals: int = 2) -> str:
    """A number as displayed: rounded half up, trailing zeros dropped."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    text = f"{round_half_up(float(x), decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_many(x: np.ndarray, decimals: int) -> list[str]:
    """`fmt` of each number, rounded in one pass (a province's lines: one call per row took 30 µs)."""
    out = []
    for v in round_half_up(np.asarray(x, dtype=float), decimals).tolist():
        if v != v:  # NaN
            out.append("—")
            continue
        text = f"{v:.{decimals}f}"
        out.append(text.rstrip("0").rstrip(".") if "." in text else text)
    return out


def _cmp(leaf: TargetLeaf) -> str:
    if leaf.direction == "higher":
        return "≥" if leaf.inclusive else ">"
    return "≤" if leaf.inclusive else "<"


def rule_text(leaf: Leaf) -> str:
    """The rule of a leaf in one sentence, as shown next to its points; with its category variants."""
    text = _base_rule_text(leaf)
    if leaf.variants:
        text += f"（按单位类别：{variants_note(leaf)}；其他类别按上述标准）"
    return text


def variants_note(leaf: Leaf) -> str:
    """「专科医院 ≥ 500m²；精神专科医院不适用」: what differs per category, shortest when only a target does."""
    parts = []
    for category, override in leaf.variants.items():
        v = leaf.variant_for(category)
        if v is None:
            parts.append(f"{category}不适用")
        elif v.method == "target" and set(override) == {"target"}:
            parts.append(f"{category} {_cmp(v)} {fmt(v.target, v.decimals)}{v.unit}")
        else:
            parts.append(f"{category}：{_base_rule_text(v)}")
    return "；".join(parts)


def variant_rule_text(leaf: Leaf, category: str) -> str:
    """The rule for units of one category: 「专科医院标准：目标 ≥ 500m²，…」, or that it does not apply."""
    if category not in leaf.variants:
        return _base_rule_text(leaf)
    v = leaf.variant_for(category)
    if v is None:
        return f"{category}不考核本项（不适用）"
    return f"{category}标准：{_base_rule_text(v)}"


def _base_rule_text(leaf: Leaf) -> str:
    if getattr(leaf, "compare", None) is not None:
        return compare_rule_text(leaf)
    m = leaf.method
    if m == "direct":
        return f"直接评分，0–{fmt(leaf.points)} 分"
    if m == "target":
        u = leaf.unit
        text = f"目标 {_cmp(leaf)} {fmt(leaf.target, leaf.decimals)}{u}，{mode_name(leaf)}"
        if leaf.mode == "linear":
            text += f"（起评值 {fmt(leaf.floor, leaf.decimals)}{u}）"
        elif leaf.mode == "bands":
            text += (
                "（" + "，".join(f"{_cmp(leaf)}{fmt(b.threshold)}{u} 得 {fmt(b.points)} 分" for b in leaf.bands) + "）"
            )
        elif leaf.mode == "per_shortfall":
            rule = "" if leaf.step_rule == "fraction" else f"，{STEP_RULE_NAMES[leaf.step_rule]}"
            text += f"（每差 {_step(leaf)} 扣 {fmt(leaf.loss_per_step)} 分{rule}）"
        if leaf.stretch:
            text += (
                f"；力争 {_cmp(leaf)} {fmt(leaf.stretch.target, leaf.decimals)}{u} 另加 {fmt(leaf.stretch.points)} 分"
            )
        return text
    if m == "checklist" and leaf.all_required:
        return f"任务清单（全部完成得 {fmt(leaf.points)} 分，有 1 项不符合要求不得分）：" + "，".join(
            t.name for t in leaf.tasks
        )
    if m == "checklist":
        return "任务清单：" + "，".join(f"{t.name} {fmt(t.points)} 分" for t in leaf.tasks)
    if m == "peer_rank":
        return peer_rule_text(leaf)
    if m == "levels":
        return "定性分档：" + "，".join(f"{lv.label} {fmt(lv.points)} 分" for lv in leaf.levels)
    if m == "deduction" and leaf.from_total:
        cap = f"，最多扣 {fmt(leaf.cap)} 分" if leaf.cap is not None else ""
        return f"每发生一次从总分扣 {fmt(leaf.per_occurrence)} 分{cap}（总分最低为 0）"
    if m == "deduction" and leaf.part_codes:
        return _deduction_parts_rule(leaf)
    if m == "deduction":
        return f"每发生一次扣 {fmt(leaf.per_occurrence)} 分，扣完 {fmt(leaf.points)} 分为止"
    if m == "bonus" and leaf.discretionary:
        return f"酌情加分，本项最多加 {fmt(leaf.cap)} 分"
    if m == "bonus":
        return f"每次加 {fmt(leaf.per_occurrence)} 分，本项最多加 {fmt(leaf.cap)} 分"
    if m == "monitor":
        return monitor_rule_text(leaf)
    return "发生即一票否决：评为最低等级，不得评先评优"


MONITOR_NOTE = "监测指标，不计分"
NOT_FILLED = "未填"


def monitor_rule_text(leaf: MonitorLeaf) -> str:
    """「监测指标，不计分（越低越好，参考值 250元）」."""
    better = "越高越好" if leaf.direction == "higher" else "越低越好"
    ref = f"，参考值 {fmt(leaf.reference, leaf.decimals)}{leaf.unit}" if leaf.reference is not None else ""
    return f"{MONITOR_NOTE}（{better}{ref}）"


def monitor_value_text(leaf: MonitorLeaf, value: float) -> str:
    """「240元」, 「未填」: a monitored value as displayed."""
    if value is None or math.isnan(value):
        return NOT_FILLED
    return f"{fmt(value, leaf.decimals)}{leaf.unit}"


def monitor_side(leaf: MonitorLeaf, value: float) -> str:
    """「优于参考值」/「差于参考值」/「等于参考值」, or "" without a value or a reference."""
    if leaf.reference is None or value is None or math.isnan(value):
        return ""
    a, ref = round_half_up(value, leaf.decimals), round_half_up(leaf.reference, leaf.decimals)
    if math.isclose(a, ref, abs_tol=1e-12):
        return "等于参考值"
    better = a > ref if leaf.direction == "higher" else a < ref
    return "优于参考值" if better else "差于参考值"


def monitor_trace(leaf: MonitorLeaf, value: float) -> str:
    """「实际 240元，参考值 250元，优于参考值；监测指标，不计分」 or 「未填；监测指标，不计分」."""
    if value is None or math.isnan(value):
        return f"{NOT_FILLED}；{MONITOR_NOTE}"
    head = f"实际 {monitor_value_text(leaf, value)}"
    if leaf.reference is not None:
        head += f"，参考值 {fmt(leaf.reference, leaf.decimals)}{leaf.unit}，{monitor_side(leaf, value)}"
    return f"{head}；{MONITOR_NOTE}"


def _step(leaf: TargetLeaf) -> str:
    """'2 个百分点' for percentages (a 2% step means two points of percentage), else '2吨'."""
    return f"{fmt(leaf.step)} 个百分点" if leaf.unit == "%" else f"{fmt(leaf.step)}{leaf.unit}"


def _shortfall_text(leaf: TargetLeaf, actual: float) -> str:
    """'差距 3.5 个百分点，每差 2 个百分点扣 1 分，不足一档按一档计，计 2 档, …' for an unmet target."""
    a = round_half_up(actual, leaf.decimals)
    gap = abs(leaf.target - a)
    amount = f"{fmt(gap, 6)} 个百分点" if leaf.unit == "%" else f"{fmt(gap, 6)}{leaf.unit}"
    steps = float(shortfall_steps(leaf, np.array([a]))[0])
    return (
        f"差距 {amount}，每差 {_step(leaf)} 扣 {fmt(leaf.loss_per_step)} 分，"
        f"{STEP_RULE_NAMES[leaf.step_rule]}，计 {fmt(steps)} 档"
    )


def _stretch_note(leaf: TargetLeaf, actual: float) -> str:
    if leaf.stretch is None or math.isnan(actual):
        return ""
    if not reaches(leaf, round_half_up(actual, leaf.decimals), leaf.stretch.target):
        return ""
    return f"；达到力争目标 {fmt(leaf.stretch.target, leaf.decimals)}{leaf.unit}，另加 {fmt(leaf.stretch.points)} 分（计入加分）"


def _trace(leaf: Leaf, row: pd.Series, done_tasks: set[str], parts: dict[str, float] | None = None) -> str:
    if not row["applicable"] and getattr(leaf, "from_total", False):
        return "不适用：不从总分扣分"
    if not row["applicable"] and leaf.method == "monitor":
        return f"不适用；{MONITOR_NOTE}"
    if not row["applicable"]:
        return f"不适用：本项 {fmt(leaf.points)} 分不计入，总分按适用分值折算"
    e, p = fmt(row["earned"]), fmt(leaf.points)
    v = row["value"]
    if leaf.method == "monitor":
        return monitor_trace(leaf, v)
    if leaf.method == "direct":
        return f"考核组评分 {fmt(v)} 分（满分 {p}）"
    if leaf.method == "target":
        u, d = leaf.unit, leaf.decimals
        a = fmt(v, d)
        state = "达标" if row["met"] == 1 else "未达标"
        head = f"实际 {a}{u}，目标 {_cmp(leaf)} {fmt(leaf.target, d)}{u}，{state}"
        if leaf.mode == "proportional" and leaf.target == 0 and row["met"] != 1:
            return f"{head}；{ZERO_TOLERANCE}，得 {e} 分"
        if leaf.mode == "proportional" and row["met"] != 1:
            ratio = f"{a}/{fmt(leaf.target, d)}" if leaf.direction == "higher" else f"{fmt(leaf.target, d)}/{a}"
            return f"{head}；按比例 {p} × {ratio} = {e} 分"
        if leaf.mode == "linear" and row["met"] != 1:
            return f"{head}；在起评值 {fmt(leaf.floor, d)}{u} 与目标之间线性计分，得 {e} 分"
        if leaf.mode == "per_shortfall" and row["met"] != 1:
            return f"{head}；{_shortfall_text(leaf, v)}，得 {e} 分"
        return f"{head}；{mode_name(leaf)}，得 {e} 分{_stretch_note(leaf, v)}"
    if leaf.method == "checklist" and leaf.all_required:
        return _all_required_trace(leaf, done_tasks, e)
    if leaf.method == "levels":
        return _levels_trace(leaf, v, e)
    if leaf.method == "checklist":
        done = [t.name for t in leaf.tasks if t.code in done_tasks]
        undone = [t.name for t in leaf.tasks if t.code not in done_tasks]
        text = f"完成 {len(done)}/{len(leaf.tasks)} 项，得 {e} 分"
        return text + (f"；未完成：{'、'.join(undone)}" if undone else "")
    if leaf.method == "deduction" and leaf.from_total:
        return _from_total_trace(leaf, v)
    if leaf.method == "deduction" and leaf.part_codes:
        return _deduction_parts_trace(leaf, {leaf.code: v, **(parts or {})}, e)
    if leaf.method == "deduction":
        n = 0 if math.isnan(v) else v
        return f"发生 {fmt(n)} 次 × {fmt(leaf.per_occurrence)} 分 = 扣 {fmt(n * leaf.per_occurrence)} 分（本项最多扣 {p} 分），得 {e} 分"
    if leaf.method == "bonus" and leaf.discretionary:
        return f"酌情加 {e} 分（最多 {fmt(leaf.cap)} 分，全方案加分合计另有上限）"
    if leaf.method == "bonus":
        n = 0 if math.isnan(v) else v
        return f"发生 {fmt(n)} 次 × {fmt(leaf.per_occurrence)} 分，加 {e} 分（本项最多 {fmt(leaf.cap)} 分，全方案加分合计另有上限）"
    return "发生一票否决事项" if (not math.isnan(v) and v > 0) else "未发生"


def _all_required_trace(leaf: ChecklistLeaf, done_tasks: set[str], earned: str) -> str:
    """「未完成：制度上墙、台账齐全 → 有 2 项不符合要求，不得分」, or every task done."""
    undone = [t.name for t in leaf.tasks if t.code not in done_tasks]
    if not undone:
        return f"完成 {len(leaf.tasks)}/{len(leaf.tasks)} 项，全部符合要求，得 {earned} 分"
    return f"未完成：{'、'.join(undone)} → 有 {len(undone)} 项不符合要求，不得分"


def _from_total_trace(leaf: DeductionLeaf, value: float) -> str:
    """「发生 2 次 × 1 分，从总分扣 2 分」; beyond the cap 「… = 3 分，超过最多扣的 2 分，从总分扣 2 分」."""
    n = 0.0 if math.isnan(value) else value
    if n == 0:
        return "未发生，不从总分扣分"
    per = float(leaf.per_occurrence or 0)
    taken = n * per
    if leaf.cap is not None and taken > leaf.cap + 1e-9:
        return f"发生 {fmt(n)} 次 × {fmt(per)} 分 = {fmt(taken)} 分，超过最多扣的 {fmt(leaf.cap)} 分，从总分扣 {fmt(leaf.cap)} 分"
    return f"发生 {fmt(n)} 次 × {fmt(per)} 分，从总分扣 {fmt(taken)} 分"


def _deduction_parts_rule(leaf: DeductionLeaf) -> str:
    """「迟报 0.5 分/次，漏报 1 分/次；酌情扣分最多 2 分；扣完 5 分为止」."""
    if leaf.own_counts:
        text = f"每发生一次扣 {fmt(leaf.per_occurrence)} 分"
    else:
        text = "，".join(f"{name} {fmt(rate)} 分/次" for _, name, rate in leaf.rates)
    if leaf.discretionary_max is not None:
        text += f"；酌情扣分最多 {fmt(leaf.discretionary_max)} 分"
    return f"{text}；扣完 {fmt(leaf.points)} 分为止"


def _deduction_parts_trace(leaf: DeductionLeaf, values: dict[str, float], earned: str) -> str:
    """「迟报 2 次 × 0.5 = 1 分；漏报 1 次 × 1 = 1 分；瞒报 0 次；酌情扣 1.5 分；共扣 3.5 分（最多扣 5 分）→ 得 1.5 分」."""

    def got(code: str) -> float:
        x = values.get(code, math.nan)
        return 0.0 if math.isnan(x) else x

    lines, taken = [], 0.0
    for code, name, rate in leaf.rates:
        n = got(code)
        label = name if not leaf.own_counts else "发生"
        lines.append(f"{label} {fmt(n)} 次 × {fmt(rate)} = {fmt(n * rate)} 分" if n else f"{label} 0 次")
        taken += n * rate
    extra = leaf.discretionary_input
    if extra is not None:
        lines.append(f"酌情扣 {fmt(got(extra))} 分")
        taken += got(extra)
    cap = fmt(leaf.points)
    if taken > leaf.points + 1e-9:
        return "；".join(lines) + f"；共扣 {fmt(taken)} 分，超过本项 {cap} 分，扣完为止 → 得 {earned} 分"
    return "；".join(lines) + f"；共扣 {fmt(taken)} 分（最多扣 {cap} 分）→ 得 {earned} 分"


def _levels_trace(leaf: LevelsLeaf, value: float, earned: str) -> str:
    """「部分落实 → 1 分」; several assessors' levels averaged fall between levels and say so."""
    if math.isnan(value):
        return f"未评定档次，得 {earned} 分"
    label = leaf.label_of(value)
    if label is not None:
        return f"{label} → {earned} 分"
    return f"多名考核人评定档次的平均分 {fmt(value)} 分 → {earned} 分"


def _band_name(leaf: PeerRankLeaf, limit: float) -> str:
    return f"前 {fmt(limit)}%" if leaf.by_pct else f"前 {fmt(limit)} 名"


def _band_gets(leaf: PeerRankLeaf, limit: float, points: float) -> str:
    """「前 50% 得 6 分」, 「前 5 名得 1 分」."""
    return f"{_band_name(leaf, limit)}{' ' if leaf.by_pct else ''}得 {fmt(points)} 分"


def peer_rule_text(leaf: PeerRankLeaf) -> str:
    """「同类单位中排名（越高越好）：前 20% 得 10 分，前 50% 得 6 分，其余不得分」."""
    better = "越高越好" if leaf.direction == "higher" else "越低越好"
    bands = "，".join(_band_gets(leaf, b.limit, b.points) for b in leaf.bands)
    return f"同类单位中排名（{better}）：{bands}，其余不得分"


def peer_trace(leaf: PeerRankLeaf, value: float, rank: int, peers: int, category: str, earned: str) -> str:
    """「实际 92.5%，同类（社区卫生服务中心）12 家中第 3 名（前 25%）→ 前 50% 得 6 分」."""
    if rank <= 0 or math.isnan(value):
        return f"未填写实际值，不参加同类排名，得 {earned} 分"
    group = f"同类（{category}）" if category else "全部单位 "
    head = f"实际 {fmt(value, leaf.decimals)}{leaf.unit}，{group}{peers} 家中第 {rank} 名"
    if leaf.by_pct:
        head += f"（前 {fmt(rank * 100 / peers, 1)}%）"
    else:
        head += " "
    for band in leaf.bands:  # the same test the engine applies
        if within_band(leaf, np.array([rank]), np.array([peers]), band.limit)[0]:
            return f"{head}→ {_band_gets(leaf, band.limit, band.points)}"
    return f"{head}→ 未进入{_band_name(leaf, leaf.bands[-1].limit)}，得 {earned} 分"


def _computed_trace(leaf: Leaf, results: Results, unit: str, period: str | None, row: pd.Series, trace: str) -> str:
    """「建档人数 27 ÷ 常住人口（2025年）30 × 100 = 90% → 实际 90%，目标 ≥ 95%，……」."""
    from scoring.computed import below_minimum_text, computed_text

    if not row["applicable"]:
        return below_minimum_text(leaf, results, unit, period) or trace
    head = computed_text(leaf, results, unit, period, row["value"])
    return f"{head} → {trace}" if head else trace


# 增幅 / 逐步提高: what the change is measured against, and what happens without a baseline.
COMPARE_NAMES = {"previous": "上期", "last_year": "上年同期"}
_NO_BASELINE_RULE = {"not_applicable": "本项不适用", "full": "得满分", "zero": "不得分"}
_WAY_NAMES = {1.0: "提高", 0.0: "持平", -1.0: "下降"}


def _as_plain_target(leaf: TargetLeaf) -> TargetLeaf:
    """The leaf as a plain target on the derived number (增幅 in %), for the existing wording."""
    return leaf.model_copy(update={"compare": None, "unit": leaf.scored_unit})


def compare_rule_text(leaf: TargetLeaf | ImprovementLeaf) -> str:
    """「与上年同期比增幅：目标 ≥ 10%，达标得满分，否则不得分；无基期数据时本项不适用」."""
    against = COMPARE_NAMES[leaf.compare]
    missing = f"；无基期数据时{_NO_BASELINE_RULE[leaf.no_baseline]}"
    if isinstance(leaf, ImprovementLeaf):
        p, u = leaf.improvement, leaf.scored_unit
        what = "增幅" if leaf.derived_as == "growth_pct" else "变化"
        better = "" if leaf.direction == "higher" else "（越低越好：降低为提高）"
        tol = f"（{what}在 ±{fmt(leaf.tolerance, leaf.decimals)}{u} 以内为持平）" if leaf.tolerance else ""
        return (
            f"与{against}比：提高得 {fmt(p.up)} 分，持平得 {fmt(p.same)} 分，下降得 {fmt(p.down)} 分"
            f"{better}{tol}{missing}"
        )
    what = "增幅" if leaf.derived_as == "growth_pct" else "增加量"
    return f"与{against}比{what}：{rule_text(_as_plain_target(leaf))}{missing}"


def _change_text(leaf: TargetLeaf | ImprovementLeaf, derived: float) -> str:
    """'增幅 15%' or '增加 150万元' / '减少 20万元'."""
    d = leaf.decimals
    if leaf.derived_as == "growth_pct":
        return f"增幅 {fmt(derived, d)}%"
    if round_half_up(derived, d) == 0:
        return "无变化"
    if round_half_up(derived, d) < 0:
        return f"减少 {fmt(-derived, d)}{leaf.unit}"
    return f"增加 {fmt(derived, d)}{leaf.unit}"


def compared_trace(
    leaf: TargetLeaf | ImprovementLeaf,
    row: pd.Series,
    baseline: str,
    before: float,
    derived: float,
    missing: bool,
) -> str:
    """「本期 1150万元，上年同期（2025年3月）1000万元，增幅 15% → 目标 ≥ 10%，达标；…得 5 分」."""
    d, u = leaf.decimals, leaf.unit
    against = COMPARE_NAMES[leaf.compare]
    where = f"{against}（{period_name(baseline)}）" if baseline else against
    head = f"本期 {fmt(row['value'], d)}{u}，{where}"
    if missing:
        why = "为 0，无法计算增幅" if before == 0 else "无数据"
        tail = (
            "本项不适用，总分按适用分值折算"
            if leaf.no_baseline == "not_applicable"
            else f"按方案{_NO_BASELINE_RULE[leaf.no_baseline]}，得 {fmt(row['earned'])} 分"
        )
        return f"{head}{why} → 无基期数据，{tail}"
    head += f"{fmt(before, d)}{u}，{_change_text(leaf, derived)}"
    if isinstance(leaf, ImprovementLeaf):
        way = float(improvement_of(leaf, np.array([derived]))[0])
        return f"{head} → {_WAY_NAMES[way]}，得 {fmt(row['earned'])} 分"
    plain = _as_plain_target(leaf)
    inner = _trace(plain, _with_value(row, derived), set())
    return f"{head} → {inner.removeprefix(f'实际 {fmt(derived, d)}{plain.unit}，')}"


def _with_value(row: pd.Series, value: float) -> pd.Series:
    out = row.copy()
    out["value"] = value
    return out


def _labelled(column: pd.Series, label: str) -> np.ndarray:
    """Rows whose label, as text, is `label` (a missing label is none): a categorical through its
    few categories, not its rows (a province's month has 1.6M leaf rows; converting each to text
    took half a second)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        match = np.array([str(c) == label for c in column.cat.categories] + [False], dtype=bool)
        return match[column.cat.codes.to_numpy()]  # code -1 (missing): the appended False
    return np.array([x == x and x is not None and str(x) == label for x in column.tolist()], dtype=bool)


def explain_unit(results: Results, unit: str, period: str | None = None) -> pd.DataFrame:
    """One row per leaf (base, bonus and veto) with code, name, points, earned, lost and trace."""
    scheme = results.scheme
    lv = results.leaves
    sel = _labelled(lv["unit"], unit)
    if period is not None:
        sel &= _labelled(lv["period"], period)
    rows = lv[sel].set_index(lv[sel]["leaf"].astype(str))
    if rows.empty:
        raise KeyError(f"没有单位「{unit}」{'在 ' + period if period else ''}的结果")
    if rows.index.has_duplicates:  # several periods and none chosen: one trace per leaf is not defined
        periods = "、".join(sorted(rows["period"].astype(str).unique()))
        raise KeyError(f"单位「{unit}」有多个期间（{periods}）的结果，请指定期间")
    tk = results.tasks
    done = set(tk.loc[(tk["unit"] == unit) & tk["done"] & ((tk["period"] == period) if period else True), "task"])
    paths = scheme.leaf_paths()
    parts = results.part_values(unit, period)
    out = []
    u = results.units
    mine = u[_labelled(u["unit"], unit) & (_labelled(u["period"], period) if period else True)]
    category = str(mine.iloc[0]["category"]) if len(mine) else ""
    for leaf in scheme.leaves:
        path = paths[leaf.code]
        if category in leaf.variants:  # the unit's own rule, named by its category
            where = (path[0].name, path[-1].name if len(path) > 1 else "")
            record = _variant_record(leaf, category, where, rows.loc[leaf.code], done, parts)
            if leaf.method == "peer_rank" and record["applicable"]:
                rank, peers, cat = results.peer_position(leaf.code, unit, period)
                own = leaf.variant_for(category)
                record["trace"] = f"{category}标准：" + peer_trace(
                    own, record["value"], rank, peers, cat, fmt(record["earned"])
                )
            out.append(record)
            continue
        record = {
            "code": leaf.code,
            "name": leaf.name,
            "dimension": path[0].name,
            "group": path[-1].name if len(path) > 1 else "",
            "method": leaf.method,
            "rule": rule_text(leaf),
        }
        r = rows.loc[leaf.code]
        record |= {
            "points": leaf.points,
            "earned": r["earned"],
            "lost": r["lost"],
            "value": r["value"],
            "applicable": bool(r["applicable"]),
            "met": r["met"],
            "trace": _trace(leaf, r, done, parts),
        }
        if leaf.method == "peer_rank" and bool(r["applicable"]):  # needs the peers, not just this row
            rank, peers, category = results.peer_position(leaf.code, unit, period)
            record["trace"] = peer_trace(leaf, r["value"], rank, peers, category, fmt(r["earned"]))
        if getattr(leaf, "computed", False):  # how the actual was computed, before how it scored
            record["trace"] = _computed_trace(leaf, results, unit, period, r, record["trace"])
        if getattr(leaf, "compare", None) is not None and not (math.isnan(r["value"]) and not r["applicable"]):
            baseline, before, derived, missing = results.comparison(leaf.code, unit, period)
            if bool(r["applicable"]) or missing:  # its own 不适用 keeps the usual wording
                record["trace"] = compared_trace(leaf, r, baseline, before, derived, missing)
        out.append(record)
    frame = pd.DataFrame(out)
    # The unit's own total and how it was reached ride along, so the tables built from these rows
    # (reports.unit.dimension_subtotals) can show bonus, scaling and veto as lines that add up to
    # the total shown beside them, without every caller passing the unit's row as well.
    if len(mine) == 1:
        r = mine.iloc[0]
        frame.attrs["score"] = {
            "total": float(r["total"]),
            "bonus": float(r["bonus"]),
            "deducted": float(r.get("deducted", 0.0)),
            "earned_base": float(r["earned_base"]),
            "applicable_points": float(r["applicable_points"]),
            "veto": bool(r["veto"]),
            "veto_reason": str(r["veto_reason"]) if bool(r["veto"]) else "",
            "full": float(scheme.total),
            "decimals": int(scheme.decimals),
            "bonus_cap": float(scheme.bonus_cap),
            "lowest_grade": scheme.lowest_grade,
            "grade_cap_reason": str(r.get("grade_cap_reason", "") or ""),
        }
    # Tag subtotals ride along as plain records (a frame in attrs would be compared on every concat).
    frame.attrs["tags"] = explain_tags(results, unit, period)
    return frame


def _variant_record(
    leaf: Leaf, category: str, where: tuple[str, str], r: pd.Series, done: set[str], parts: dict[str, float]
) -> dict:
    """A leaf's trace row for a unit whose category has its own variant of the leaf (same keys,
    same order as the other rows)."""
    own = leaf.variant_for(category)
    record = {
        "code": leaf.code,
        "name": leaf.name,
        "dimension": where[0],
        "group": where[1],
        "method": leaf.method,
        "rule": variant_rule_text(leaf, category),
        "points": leaf.points,
        "earned": r["earned"],
        "lost": r["lost"],
        "value": r["value"],
        "applicable": bool(r["applicable"]),
        "met": r["met"],
    }
    if own is None:
        record["trace"] = (
            f"{category}不考核本项（方案规定不适用）：本项 {fmt(leaf.points)} 分不计入，总分按适用分值折算"
        )
    else:
        record["trace"] = f"{category}标准：{_trace(own, r, done, parts)}"
    return record


def explain_tags(results: Results, unit: str, period: str | None = None) -> list[dict]:
    """One record per tag of the scheme for one unit: tag, mark, earned, points (applicable), rate
    (NaN when none of its leaves apply) and the tag rules that applied, in words ('' for none)."""
    from scoring.engine import tag_rate_decimals, tag_rate_text, tag_rule_hits, tag_rule_text

    scheme = results.scheme
    tg = results.tags
    if tg.empty:
        return []
    sel = _labelled(tg["unit"], unit)
    if period is not None:
        sel &= _labelled(tg["period"], period)
    mine = tg[sel]
    if mine["tag"].duplicated().any():  # several periods and none chosen
        return []
    lines: dict[str, list[float]] = {}
    for rule in scheme.tag_rules:
        lines.setdefault(rule.tag, []).append(rule.below_pct)
    out = []
    for r in mine.itertuples(index=False):
        earned, points = np.array([r.earned]), np.array([r.points])
        applied = [
            tag_rule_text(rule, float(r.rate))
            for rule in scheme.tag_rules
            if rule.tag == r.tag and tag_rule_hits(rule, earned, points)[0]
        ]
        out.append(
            {
                "tag": str(r.tag),
                "mark": scheme.tag_mark(str(r.tag)),
                "earned": float(r.earned),
                "points": float(r.points),
                "rate": float(r.rate),
                "rate_text": tag_rate_text(float(r.rate), tag_rate_decimals(float(r.rate), lines.get(str(r.tag), []))),
                "rule": "；".join(applied),
            }
        )
    return out
