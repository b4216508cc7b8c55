"""One unit's drill-down tables, from `Results.explain(unit, period)`."""

from __future__ import annotations

import pandas as pd

from scoring.scheme import BASE_METHODS


def dimension_subtotals(explained: pd.DataFrame) -> pd.DataFrame:
    """Earned and maximum points per 一级指标 (applicable base leaves only), in scheme order."""
    base = explained[explained["method"].isin(BASE_METHODS) & explained["applicable"]]
    out = base.groupby("dimension", sort=False, as_index=False).agg(得分=("earned", "sum"), 满分=("points", "sum"))
    out["得分率"] = out["得分"] / out["满分"]
    extra = explained[explained["method"] == "bonus"]["earned"].sum()
    if extra > 0:
        out = pd.concat([out, pd.DataFrame([{"dimension": "加分", "得分": extra, "满分": float("nan")}])])
    return out.rename(columns={"dimension": "维度"}).reset_index(drop=True)


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
