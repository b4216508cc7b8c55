"""One unit's drill-down tables, from `Results.explain(unit, period)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports import numbers
from scoring.methods import round_half_up
from scoring.scheme import BASE_METHODS

# Lines of 各维度得分 that are not a 一级指标: they are what turns the dimensions into the total.
DEDUCTION_LINE = "扣分"
SCALING_LINE = "按适用项折算"
BONUS_LINE = "加分"
VETO_LINE = "一票否决"
FROM_TOTAL_LINE = "从总分扣分"
TOTAL_LINE = "总分"
SUBTOTAL_COLUMNS = ["维度", "得分", "满分", "得分率", "说明"]


def bonus_note(bonus: float | None, decimals: int) -> str:
    """「含加分 2.00 分」 where a total has bonus points in it ('' without): a total above the full
    points, or a full-looking 100.00 that is 98 + 2, says where the points came from."""
    if bonus is None or pd.isna(bonus) or round_half_up(float(bonus), decimals) <= 0:
        return ""
    return f"含加分 {numbers.points(bonus, decimals)} 分"


def _apportion(values: np.ndarray, total: float, decimals: int) -> np.ndarray:
    """Round `values` to `decimals` so that they add up to `total` (already rounded): each is
    rounded half up, and the difference left by rounding (a hundredth or two) goes to the lines
    whose rounding lost or gained the most (largest remainder). Shown lines then add up to the
    shown total, as a reader checks with a calculator."""
    unit = 10.0**decimals
    exact = values * unit
    rounded = np.asarray(round_half_up(exact, 0), dtype=float)
    missing = int(round(total * unit - rounded.sum()))
    if missing and len(values):
        residual = exact - rounded
        order = np.argsort(-residual if missing > 0 else residual, kind="stable")
        for i in range(abs(missing)):
            rounded[order[i % len(order)]] += np.sign(missing)
    return rounded / unit


def dimension_subtotals(explained: pd.DataFrame, score: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Points per 一级指标 (applicable base leaves), then 扣分, 按适用项折算, 加分 and 一票否决 as
    their own lines and the 总分 last: the lines above 总分 add up to it to the scheme's decimals.

    `score`: the unit's total and how it was reached (`explained.attrs["score"]`, which
    scoring.explain.explain_unit attaches). Without it only the dimensions and the bonus leaves
    are listed (no 总分 line: nothing to add up to).

    Deduction leaves count at their full points within their dimension, and what they took is the
    扣分 line; a unit with items not applicable has its base scaled to the scheme's full points
    (总分 = 基础分 × 满分 ÷ 适用分值 + 加分), and that scaling is a line of its own — never a hidden
    difference between the dimensions and the total.
    """
    score = score if score is not None else explained.attrs.get("score")
    base = explained[explained["method"].isin(BASE_METHODS) & explained["applicable"]]
    # A deduction from the total (from_total) has no points of its own: it is the 从总分扣分 line.
    base = base[~((base["method"] == "deduction") & (base["points"] <= 0))]
    deduction = base["method"] == "deduction"
    shown = base.assign(_earned=base["earned"].where(~deduction, base["points"]))
    dims = shown.groupby("dimension", sort=False, as_index=False).agg(得分=("_earned", "sum"), 满分=("points", "sum"))
    lines: list[dict[str, Any]] = [
        {"维度": r.dimension, "得分": r.得分, "满分": r.满分, "说明": ""} for r in dims.itertuples()
    ]
    nan = float("nan")
    d = int(score["decimals"]) if score is not None else 2
    if deduction.any():
        taken = base.loc[deduction & (base["lost"] > 1e-9)]
        why = "、".join(
            f"{c} {n} 扣 {numbers.points(x, d)} 分"
            for c, n, x in zip(taken["code"], taken["name"], taken["lost"], strict=True)
        )
        lines.append(
            {"维度": DEDUCTION_LINE, "得分": -float(taken["lost"].sum()), "满分": nan, "说明": why or "无扣分"}
        )
    if score is None:
        extra = explained[explained["method"] == "bonus"]["earned"].sum()
        if extra > 0:
            lines.append({"维度": BONUS_LINE, "得分": float(extra), "满分": nan, "说明": ""})
        out = pd.DataFrame(lines, columns=["维度", "得分", "满分", "说明"])
        out["得分率"] = out["得分"] / out["满分"]
        return out[SUBTOTAL_COLUMNS].reset_index(drop=True)

    full = float(score["full"])
    earned_base, applicable = float(score["earned_base"]), float(score["applicable_points"])
    if 0 < applicable < full - 1e-9:
        n_na = int((explained["method"].isin(BASE_METHODS) & ~explained["applicable"]).sum())
        lines.append(
            {
                "维度": SCALING_LINE,
                "得分": earned_base * full / applicable - earned_base,
                "满分": nan,
                "说明": f"{n_na} 项不适用：基础分 {numbers.points(earned_base, d)} × {full:g} ÷ 适用分值 {applicable:g}",
            }
        )
    bonus = float(score["bonus"]) if not pd.isna(score["bonus"]) else 0.0
    if bonus > 1e-9:
        cap = float(score.get("bonus_cap") or 0)
        note = "加分项与力争目标加分" + (f"，上限 {cap:g} 分" if cap else "")
        lines.append({"维度": BONUS_LINE, "得分": bonus, "满分": nan, "说明": note})
    deducted = float(score.get("deducted") or 0.0)
    if deducted > 1e-9:
        before = sum(x["得分"] for x in lines)  # base, scaling and bonus: what it comes off
        taken = min(deducted, max(0.0, before))
        note = f"从总分扣 {numbers.points(deducted, d)} 分" + ("，总分最低为 0" if taken < deducted - 1e-9 else "")
        lines.append({"维度": FROM_TOTAL_LINE, "得分": -taken, "满分": nan, "说明": note})
    total = float(score["total"])
    values = _apportion(np.array([x["得分"] for x in lines], dtype=float), total, d)
    for line, value in zip(lines, values, strict=True):
        line["得分"] = value
    if score.get("veto"):
        grade = score.get("lowest_grade", "")
        lines.append(
            {
                "维度": VETO_LINE,
                "得分": 0.0,  # the veto leaves the total as it is and decides the grade
                "满分": nan,
                "说明": f"{score.get('veto_reason', '')}：总分照计，等级评为{grade}，不得评先评优",
            }
        )
    lines.append({"维度": TOTAL_LINE, "得分": total, "满分": full, "说明": bonus_note(bonus, d)})
    out = pd.DataFrame(lines, columns=["维度", "得分", "满分", "说明"])
    out["得分率"] = out["得分"] / out["满分"]
    return out[SUBTOTAL_COLUMNS].reset_index(drop=True)


def _lost(explained: pd.DataFrame) -> pd.DataFrame:
    return explained[explained["lost"] > 1e-9].sort_values(["lost", "code"], ascending=[False, True])


def lost_codes(explained: pd.DataFrame) -> list[str]:
    """The codes of `lost_points`' rows, in its order (a selected row → its item)."""
    return [str(c) for c in _lost(explained)["code"]]


def item_row(explained: pd.DataFrame, code: str | None) -> pd.Series | None:
    """One leaf of the unit's drill-down (an item opened from a table or a link), or None."""
    if not code:
        return None
    found = explained[explained["code"].astype(str) == code]
    return None if found.empty else found.iloc[0]


def lost_points(explained: pd.DataFrame) -> pd.DataFrame:
    """Leaves that lost points, largest loss first, with the rule and the trace of each."""
    lost = _lost(explained)
    return pd.DataFrame(
        {
            "指标": lost["code"] + " " + lost["name"],
            "维度": lost["dimension"],
            "满分": lost["points"],
            "失分": lost["lost"],
            "计分过程": lost["trace"],
        }
    ).reset_index(drop=True)


def target_rows(explained: pd.DataFrame) -> pd.DataFrame:
    """Target and checklist leaves: met or not, with the rule and what was found."""
    t = explained[explained["method"].isin(["target", "checklist"]) & explained["applicable"]]
    return (
        pd.DataFrame(
            {
                "指标": t["code"] + " " + t["name"],
                "完成情况": t["met"].map({1.0: "达标", 0.0: "未达标"}).fillna(""),
                "规则": t["rule"],
                "计分过程": t["trace"],
            }
        )
        .sort_values("完成情况")
        .reset_index(drop=True)
    )


def award_status(row: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether a unit row may be put forward for 评先评优, and why not ('' when it may).

    The engine's `award_eligible` covers the items of the scheme that bar it (and the veto); a
    unit ranked 末位 is barred too, by the same rule everywhere: the page, the Excel bulletin and
    the unit's report never call a bottom-ranked or vetoed unit eligible.
    """
    reasons = [x for x in str(row.get("award_reason") or "").split("；") if x]
    veto, bottom = bool(row.get("veto")), bool(row.get("bottom"))
    if veto and not any(x.startswith("一票否决") for x in reasons):
        reasons.insert(0, f"一票否决：{row.get('veto_reason') or ''}".rstrip("："))
    if bottom and not any(x.startswith("末位") for x in reasons):
        reasons.append(f"末位（{row.get('bottom_reason')}）" if row.get("bottom_reason") else "末位")
    eligible = bool(row.get("award_eligible", True)) and not veto and not bottom
    return eligible, "" if eligible else "；".join(reasons)


def with_award_status(units: pd.DataFrame) -> pd.DataFrame:
    """`units` with `award_eligible` and `award_reason` as `award_status` decides. Only 末位 and
    vetoed rows can change, so only they are looked at (a province's ranking has many rows)."""
    flag = units["veto"].astype(bool) | units["bottom"].astype(bool)
    if not flag.any():
        return units
    # Only the columns `award_status` reads: a province's rows carry forty more.
    read = [
        c for c in ("award_reason", "veto", "bottom", "veto_reason", "bottom_reason", "award_eligible") if c in units
    ]
    fixed = [award_status(r) for r in units.loc[flag, read].to_dict("records")]
    eligible = units["award_eligible"].astype(bool).copy()
    reason = units["award_reason"].astype(object).where(units["award_reason"].notna(), "").astype(str)
    eligible.loc[flag] = [ok for ok, _ in fixed]
    reason.loc[flag] = [why for _, why in fixed]
    return units.assign(award_eligible=eligible, award_reason=reason)


TAG_COLUMNS = ["标签", "得分", "适用分值", "得分率", "标签规则"]


def tag_subtotals(explained: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """The unit's points per tag (★核心指标 …): earned and applicable points of the scoring items
    carrying the tag, the rate as text (「—」 when none of them apply to the unit) and the tag rule
    that applied. Empty (with its columns) for a scheme without tags."""
    rows = explained.attrs.get("tags") or []
    return pd.DataFrame(
        [
            {
                "标签": f"{r['mark']}{r['tag']}",
                "得分": numbers.points(r["earned"], decimals) if r["points"] > 0 else numbers.NONE,
                "适用分值": f"{r['points']:g}",
                "得分率": r["rate_text"],  # as the tag rule writes it: 59.95% below a 60% line
                "标签规则": r["rule"],
            }
            for r in rows
        ],
        columns=TAG_COLUMNS,
    )
