"""Grades, ranks within peer groups, the bottom-ranking rule (末位) and change over periods."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scoring.scheme import Scheme

# Vetoed units rank below every unit that was not vetoed, whatever their points.
_VETO_PENALTY = 1e9


def grade_of(scheme: Scheme, totals: np.ndarray, veto: np.ndarray) -> np.ndarray:
    mins = np.array([g.min for g in scheme.grades])[::-1]  # ascending
    names = np.array([g.name for g in scheme.grades])[::-1]
    idx = np.searchsorted(mins, totals + 1e-9, side="right") - 1
    return np.where(veto, scheme.lowest_grade, names[np.clip(idx, 0, len(names) - 1)])


def gap_to_next_grade(scheme: Scheme, totals: np.ndarray, veto: np.ndarray) -> np.ndarray:
    """Points still needed for the next grade up; NaN at the top grade or when vetoed."""
    mins = np.array([g.min for g in scheme.grades])[::-1]
    above = np.searchsorted(mins, totals + 1e-9, side="right")
    nxt = np.where(above < len(mins), mins[np.minimum(above, len(mins) - 1)], np.nan)
    return np.where(veto, np.nan, np.round(nxt - totals, scheme.decimals))


def rank_within_peer_group(units: pd.DataFrame, by: list[str]) -> pd.Series:
    """Competition ranking (1, 2, 2, 4) on the displayed total; vetoed units come last."""
    key = units["total"] - units["veto"].astype(float) * _VETO_PENALTY
    return (
        key.groupby([units[c] for c in by], observed=True, sort=False).rank(method="min", ascending=False).astype(int)
    )


def _bottom(scheme: Scheme, units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    rule = scheme.bottom
    tests: list[tuple[np.ndarray, str]] = []
    if rule.threshold is not None:
        tests.append(((units["total"] < rule.threshold).to_numpy(), f"低于 {rule.threshold:g} 分"))
    if rule.lowest_n is not None or rule.lowest_pct is not None:
        key = units["total"] - units["veto"].astype(float) * _VETO_PENALTY
        from_bottom = (
            key.groupby([units["period"], units["category"]], observed=True, sort=False)
            .rank(method="min", ascending=True)
            .to_numpy()
        )  # ties at the boundary are all flagged
        size = units["group_size"].to_numpy()
        if rule.lowest_n is not None:
            tests.append((from_bottom <= rule.lowest_n, f"同类末 {rule.lowest_n} 名"))
        if rule.lowest_pct is not None:
            n = np.ceil(size * rule.lowest_pct / 100 - 1e-9)
            tests.append((from_bottom <= n, f"同类后 {rule.lowest_pct:g}%"))
    if not tests:
        return np.zeros(len(units), bool), np.full(len(units), "")
    hits = np.vstack([t for t, _ in tests])
    flagged = hits.any(axis=0) if rule.combine == "any" else hits.all(axis=0)
    reasons = np.full(len(units), "", dtype=object)
    for hit, text in tests:
        reasons = np.where(hit, reasons + np.where(reasons == "", "", "，") + text, reasons)
    return flagged, np.where(flagged, reasons, "").astype(str)


def apply_ranking(scheme: Scheme, units: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add grade, ranks, bottom flag, gaps and change since the previous period."""
    out = units.copy()
    totals, veto = out["total"].to_numpy(dtype=float), out["veto"].to_numpy(dtype=bool)
    out["grade"] = grade_of(scheme, totals, veto)
    out["rank"] = rank_within_peer_group(out, ["period", "category"])
    out["rank_overall"] = rank_within_peer_group(out, ["period"])
    out["group_size"] = out.groupby(["period", "category"], observed=True)["unit"].transform("size")
    out["bottom"], out["bottom_reason"] = _bottom(scheme, out)
    out["consequence"] = np.where(out["bottom"], scheme.bottom.consequence, "")
    out["gap_next_grade"] = gap_to_next_grade(scheme, totals, veto)
    threshold = scheme.bottom.threshold
    out["gap_bottom_line"] = np.round(totals - threshold, scheme.decimals) if threshold is not None else math.nan
    return with_changes(out, previous)


def with_changes(units: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Change of total and rank against the period before (within these rows or `previous`).

    Δ rank is positive when a unit moved up (its rank number fell).
    """
    cols = ["period", "unit", "total", "rank"]
    history = units[cols] if previous is None else pd.concat([previous[cols], units[cols]], ignore_index=True)
    history = history.drop_duplicates(["period", "unit"], keep="last")
    order = sorted(history["period"].astype(str).unique())
    prev_of = dict(zip(order[1:], order[:-1]))
    before = history.assign(period=history["period"].astype(str).map({v: k for k, v in prev_of.items()}))
    before = before.dropna(subset=["period"]).rename(columns={"total": "prev_total", "rank": "prev_rank"})
    out = units.drop(columns=["prev_total", "prev_rank", "delta_total", "delta_rank"], errors="ignore")
    out = out.assign(period=out["period"].astype(str)).merge(before, on=["period", "unit"], how="left")
    out["delta_total"] = out["total"] - out["prev_total"]
    out["delta_rank"] = out["prev_rank"] - out["rank"]
    return out
