"""Period roll-up: quarterly or annual results from the results of shorter periods.

An annual result is a weighted sum of parts, e.g. 平时 (the mean of the monthly totals) 40% and
年终 (the year-end evaluation) 60%. A veto anywhere in a part carries into the rolled-up result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.methods import round_half_up
from scoring.ranking import apply_ranking
from scoring.scheme import Scheme


@dataclass(frozen=True)
class Part:
    """One component of a roll-up: the unit results of its periods, and its weight."""

    name: str
    units: pd.DataFrame  # Results.units rows (any number of periods)
    weight: float


def roll_up(scheme: Scheme, parts: list[Part], period: str, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Combine parts into one result per unit for `period`, then grade and rank it.

    Weights are relative: 40 and 60 mean the same as 0.4 and 0.6. A unit missing from a part is
    rolled up over the parts it has, with their weights rescaled, and the missing part is named
    in `rollup_note` — never counted as zero.
    """
    if not parts:
        raise ValueError("至少需要一个组成部分")
    if any(not p.weight > 0 for p in parts):
        raise ValueError("各组成部分的权重必须大于 0")
    frames = []
    for part in parts:
        u = part.units
        agg = u.groupby("unit", sort=False).agg(
            category=("category", "last"),
            total=("total", "mean"),
            veto=("veto", "any"),
            award_eligible=("award_eligible", "all"),
            veto_reason=("veto_reason", lambda s: "；".join(sorted({x for x in s if x}))),
            award_reason=("award_reason", lambda s: "；".join(sorted({x for x in s if x}))),
            unmet_targets=("unmet_targets", "sum"),
            periods=("period", "nunique"),
        )
        frames.append(agg.assign(part=part.name, weight=part.weight).reset_index())
    long = pd.concat(frames, ignore_index=True)
    long["weighted"] = long["total"] * long["weight"]
    g = long.groupby("unit", sort=False)
    out = g.agg(
        category=("category", "last"),
        weighted=("weighted", "sum"),
        weight=("weight", "sum"),
        veto=("veto", "any"),
        award_eligible=("award_eligible", "all"),
        veto_reason=("veto_reason", lambda s: "；".join(sorted({x for x in s if x}))),
        award_reason=("award_reason", lambda s: "；".join(sorted({x for x in s if x}))),
        unmet_targets=("unmet_targets", "sum"),
        parts=("part", lambda s: set(s)),
    ).reset_index()
    # Weights are relative (0.4/0.6 or 40/60 alike): normalised over the parts each unit has.
    out["total"] = round_half_up(out["weighted"].to_numpy() / out["weight"].to_numpy(), scheme.decimals)
    names = [p.name for p in parts]
    out["rollup_note"] = [
        ""
        if len(have) == len(names)
        else "缺少" + "、".join(n for n in names if n not in have) + "，权重按已有部分折算"
        for have in out["parts"]
    ]
    out["period"] = period
    out["score_rate"] = out["total"] / scheme.total
    out["bonus"] = np.nan
    out = out.drop(columns=["weighted", "weight", "parts"])
    return apply_ranking(scheme, out, previous)
