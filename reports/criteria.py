"""Criteria analysis across units: where the system loses points and which targets are unmet."""

from __future__ import annotations

import pandas as pd

from scoring import Scheme
from scoring.scheme import BASE_METHODS


def leaf_catalogue(scheme: Scheme) -> pd.DataFrame:
    """One row per leaf: code, name, dimension (一级指标), method, points, in scheme order."""
    paths = scheme.leaf_paths()
    return pd.DataFrame(
        [
            {
                "leaf": leaf.code,
                "leaf_name": leaf.name,
                "dimension": paths[leaf.code][0].name,
                "method": leaf.method,
                "max_points": leaf.points,
                "order": i,
            }
            for i, leaf in enumerate(scheme.leaves)
        ]
    )


def _base_rows(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    cat = leaf_catalogue(scheme)
    rows = leaves.assign(leaf=leaves["leaf"].astype(str)).merge(cat, on="leaf")
    return rows[rows["method"].isin(BASE_METHODS)]


def score_rate_matrix(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Units × leaves of earned / points (NaN where not applicable), columns in scheme order."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"]]
    rows = rows.assign(rate=rows["earned"] / rows["points"])
    matrix = rows.pivot_table(index="unit", columns="leaf", values="rate", observed=True)
    order = [c for c in leaf_catalogue(scheme)["leaf"] if c in matrix.columns]
    return matrix[order]


def lost_by_leaf(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Points lost per leaf over all units, largest first, with the share of units losing any."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"]]
    out = rows.groupby(["leaf", "leaf_name", "dimension", "max_points"], observed=True, as_index=False).agg(
        lost=("lost", "sum"),
        mean_lost=("lost", "mean"),
        units_losing=("lost", lambda s: int((s > 1e-9).sum())),
        units=("lost", "size"),
    )
    return out.sort_values(["lost", "leaf"], ascending=[False, True]).reset_index(drop=True)


def target_attainment(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per target or checklist leaf: how many applicable units met it, and the rate."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"] & rows["method"].isin(["target", "checklist"])]
    out = rows.groupby(["leaf", "leaf_name", "method"], observed=True, as_index=False).agg(
        met=("met", lambda s: int((s == 1).sum())), units=("met", "size")
    )
    out["rate"] = out["met"] / out["units"]
    return out.sort_values(["rate", "leaf"]).reset_index(drop=True)


def unmet_targets(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Every unit × target leaf not met: unit, leaf, name, actual value, target and unit of measure."""
    targets = {leaf.code: leaf for leaf in scheme.leaves if leaf.method == "target"}
    rows = leaves[leaves["leaf"].astype(str).isin(targets) & leaves["applicable"] & (leaves["met"] == 0)]
    return pd.DataFrame(
        {
            "period": rows["period"].astype(str).to_numpy(),
            "unit": rows["unit"].astype(str).to_numpy(),
            "leaf": rows["leaf"].astype(str).to_numpy(),
            "leaf_name": [targets[c].name for c in rows["leaf"].astype(str)],
            "actual": rows["value"].to_numpy(),
            "target": [targets[c].target for c in rows["leaf"].astype(str)],
            "measure": [targets[c].unit for c in rows["leaf"].astype(str)],
            "direction": [targets[c].direction for c in rows["leaf"].astype(str)],
            "lost": rows["lost"].to_numpy(),
        }
    )
