"""Small builders so a test can state a scheme in a line or two.

    s = make_scheme(direct("D1", 20), target("T1", 80, target=60, mode="all_or_nothing"))
    r = score(s, values({"甲": {"D1": 15, "T1": 61}}))

`make_scheme` puts the leaves under one criterion and declares the total as the sum of the
leaves' points, so only what a test is about has to be written out.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from scoring import Scheme, scheme_from_dict

NA = "不适用"  # marker in `values(...)` for a not-applicable cell


def direct(code: str, points: float, **kw: Any) -> dict:
    return {"code": code, "name": f"直接评分{code}", "method": "direct", "points": points, **kw}


def target(code: str, points: float, target: float, mode: str = "all_or_nothing", **kw: Any) -> dict:
    return {
        "code": code,
        "name": f"目标{code}",
        "method": "target",
        "points": points,
        "mode": mode,
        "target": target,
        **kw,
    }


def checklist(code: str, tasks: dict[str, float], **kw: Any) -> dict:
    return {
        "code": code,
        "name": f"清单{code}",
        "method": "checklist",
        "points": sum(tasks.values()),
        "tasks": [{"code": t, "name": f"任务{t}", "points": p} for t, p in tasks.items()],
        **kw,
    }


def deduction(code: str, points: float, per: float, **kw: Any) -> dict:
    return {"code": code, "name": f"扣分{code}", "method": "deduction", "points": points, "per_occurrence": per, **kw}


def bonus(code: str, per: float, cap: float, **kw: Any) -> dict:
    return {"code": code, "name": f"加分{code}", "method": "bonus", "per_occurrence": per, "cap": cap, **kw}


def veto(code: str, name: str = "发生重大医疗安全事故", **kw: Any) -> dict:
    return {"code": code, "name": name, "method": "veto", **kw}


def scheme_dict(*leaves: dict, **overrides: Any) -> dict:
    """A valid scheme dict with the leaves under one criterion; `overrides` replace top-level keys."""
    data: dict[str, Any] = {
        "id": "t",
        "name": "测试方案",
        "version": "1",
        "period_type": "month",
        "total": sum(leaf.get("points", 0) for leaf in leaves),
        "decimals": 2,
        "criteria": [{"code": "C", "name": "测试指标", "items": [copy.deepcopy(leaf) for leaf in leaves]}],
    }
    if any(leaf["method"] == "bonus" or "stretch" in leaf for leaf in leaves):
        data["bonus_cap"] = 100
    data.update(overrides)
    return data


def make_scheme(*leaves: dict, **overrides: Any) -> Scheme:
    return scheme_from_dict(scheme_dict(*leaves, **overrides))


def values(table: dict[str, dict[str, Any]], period: str | None = None, **columns: Any) -> pd.DataFrame:
    """Long value rows from {unit: {code: value}}; `NA` marks 不适用; extra columns are constant."""
    rows = []
    for unit, cells in table.items():
        for code, v in cells.items():
            row = {"unit": unit, "code": code, "value": None if v is NA else v, "na": v is NA}
            if period is not None:
                row["period"] = period
            rows.append(row | columns)
    frame = pd.DataFrame(rows)
    if not frame["na"].any():
        frame = frame.drop(columns="na")
    return frame


def one(scheme: Scheme, cells: dict[str, Any]) -> pd.Series:
    """Score one unit and return its results row."""
    from scoring import score

    return score(scheme, values({"甲": cells})).units.iloc[0]


def earned(scheme: Scheme, code: str, cells: dict[str, Any]) -> float:
    """Points one unit earns on one leaf."""
    from scoring import score

    lv = score(scheme, values({"甲": cells})).leaves
    return float(lv.loc[lv["leaf"] == code, "earned"].iloc[0])
