"""Headline figures, top and bottom units, and movers for one period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Headline:
    assessed: int
    mean: float
    mean_change: float | None  # against the previous period's mean, None without one
    below_line: int
    vetoed: int
    unmet_targets: int


def headline(units: pd.DataFrame, previous: pd.DataFrame | None = None) -> Headline:
    """Tiles for one period's unit rows (`Results.units` filtered to the period)."""
    mean = float(units["total"].mean()) if len(units) else float("nan")
    change = None
    if previous is not None and len(previous):
        change = mean - float(previous["total"].mean())
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
