"""Headline figures, top and bottom units, and movers for one period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# What the headline's unmet count (`Headline.unmet_targets`, the engine's `unmet_targets`) counts,
# for every card that shows it: target items that missed their target and checklists not
# completed. 未达标目标 (the month's target items alone, reports.bulletin) is a different number.
UNMET_HELP = "未达到目标值的目标指标与未全部完成的任务清单，项数合计"


@dataclass(frozen=True)
class Headline:
    assessed: int
    mean: float
    mean_change: float | None  # against the previous period's mean, None without one
    below_line: int
    vetoed: int
    unmet_targets: int


def headline(units: pd.DataFrame) -> Headline:
    """Tiles for one period's unit rows. The mean's change compares the same units' totals
    last period (units new this period are left out of the comparison)."""
    mean = float(units["total"].mean()) if len(units) else float("nan")
    change = None
    compared = units.dropna(subset=["prev_total"]) if "prev_total" in units.columns else units.iloc[0:0]
    if len(compared):
        change = float(compared["total"].mean() - compared["prev_total"].mean())
    return Headline(
        assessed=len(units),
        mean=mean,
        mean_change=change,
        below_line=int(units["bottom"].sum()),
        vetoed=int(units["veto"].sum()),
        unmet_targets=int(units["unmet_targets"].sum()),
    )


def ordered(units: pd.DataFrame) -> pd.DataFrame:
    """Rows in ranking order: by peer group, then rank, then unit for a stable display."""
    return units.sort_values(["rank_overall", "unit"], kind="stable")


def ends(units: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` rows in ranking order: all of them, or the first and last limit/2 (where
    the questions are: who leads, who is below the line)."""
    rows = ordered(units)
    if len(rows) <= limit:
        return rows
    half = limit // 2
    return pd.concat([rows.head(half), rows.tail(limit - half)])


def top(units: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    return ordered(units).head(n)


def bottom(units: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    return ordered(units).tail(n).iloc[::-1]


def movers(units: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biggest rises and falls of score since the previous period (units without one are left out)."""
    moved = units.dropna(subset=["delta_total"])
    moved = moved[moved["delta_total"].abs() > 1e-9]
    up = moved[moved["delta_total"] > 0].sort_values(["delta_total", "unit"], ascending=[False, True]).head(n)
    down = moved[moved["delta_total"] < 0].sort_values(["delta_total", "unit"], ascending=[True, True]).head(n)
    return up, down


def rank_arrow(delta_rank: float) -> str:
    """↑3 / ↓2 / — for a change of rank (positive = moved up)."""
    if delta_rank is None or (isinstance(delta_rank, float) and np.isnan(delta_rank)) or delta_rank == 0:
        return "—"
    return f"↑{int(delta_rank)}" if delta_rank > 0 else f"↓{int(-delta_rank)}"


def filter_units(units: pd.DataFrame, category: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """The units of one peer group and/or under one parent unit (None: no restriction)."""
    if category is None and (parent is None or "parent" not in units.columns):
        return units  # the same frame: callers may cache what they derive from it
    keep = pd.Series(True, index=units.index)
    if category is not None:
        keep &= units["category"].astype(str) == category
    if parent is not None and "parent" in units.columns:
        keep &= units["parent"].astype(str) == parent
    return units[keep]


def peer_position(units: pd.DataFrame, unit: str) -> dict[str, float]:
    """The unit's total against its peer group's median and best in the same period."""
    row = units[units["unit"].astype(str) == unit].iloc[0]
    peers = units[units["category"].astype(str) == str(row["category"])]
    return {
        "total": float(row["total"]),
        "median": float(peers["total"].median()),
        "best": float(peers["total"].max()),
        "rank": int(row["rank"]),
        "group_size": int(row["group_size"]),
    }


def behind_tiles(units: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The units behind each headline tile, in ranking order (what a click on the tile lists):
    "assessed" all of them, "below_line" the units under the bottom line, "vetoed" the vetoed,
    "unmet" the units with any unmet target. Each has as many rows as its tile counts (the
    unmet tile counts targets, so there it is the units carrying them)."""
    rows = ordered(units)
    return {
        "assessed": rows,
        "below_line": rows[rows["bottom"].astype(bool)],
        "vetoed": rows[rows["veto"].astype(bool)],
        "unmet": rows[rows["unmet_targets"] > 0],
    }
