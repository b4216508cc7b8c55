"""Baselines of leaves scored on change (增幅 / 逐步提高): each entity's value in an earlier period.

A leaf with `compare: previous | last_year` reads, for every (unit, period), the same unit's value
of the same code in the baseline period (scoring.periods.baseline_period). The baseline is found
in the frame being scored (an earlier period in a long file) or else in `history` (earlier values
passed alongside, same long form). The change is then computed once for all entities and scored by
the leaf's own method; an entity without a usable baseline follows the leaf's `no_baseline`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.inputs import CellMatrix
from scoring.periods import baseline_period
from scoring.scheme import Scheme


@dataclass
class Comparison:
    """Per entity, for one compared leaf: the baseline period, its value and the derived number.

    `before` is NaN where there is no baseline (none found, 不适用 there, or 0 for a growth);
    `derived` is NaN there and where this period's own value is blank.
    """

    baseline: np.ndarray  # object: the baseline period's label ('' when the period has none)
    before: np.ndarray  # the baseline value as found (NaN: none)
    derived: np.ndarray
    missing: np.ndarray  # bool: no usable baseline (none found, or 0 under a growth)


def compared_leaves(scheme: Scheme) -> list:
    return [leaf for leaf in scheme.leaves if getattr(leaf, "compare", None) is not None]


def _history_values(history: pd.DataFrame | None, codes: list[str]) -> pd.DataFrame:
    """Earlier values of the compared codes: one row per (unit, period, code), assessors averaged;
    a 不适用 or blank earlier value is no baseline, so such rows are dropped."""
    cols = ["unit", "period", "code", "before"]
    if history is None or len(history) == 0 or "period" not in history.columns:
        return pd.DataFrame(columns=cols)
    h = history[history["code"].astype(str).isin(codes)]
    before = pd.to_numeric(h["value"], errors="coerce")
    keep = before.notna()
    if "na" in h.columns:
        keep &= ~h["na"].fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "unit": h["unit"].astype(str)[keep],
            "period": h["period"].astype(str)[keep],
            "code": h["code"].astype(str)[keep],
            "before": before[keep].astype(float),
        }
    )
    return frame.groupby(["unit", "period", "code"], as_index=False, sort=False)["before"].mean()


def derive(scheme: Scheme, m: CellMatrix, history: pd.DataFrame | None = None) -> dict[str, Comparison]:
    """Leaf code → Comparison, for every compared leaf of the scheme (empty when there are none)."""
    leaves = compared_leaves(scheme)
    if not leaves:
        return {}
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    periods = pd.Categorical(m.periods)
    labels = [str(x) for x in periods.categories]
    units = np.asarray(m.units).astype(str)
    period_of = np.asarray(periods.astype(str), dtype=object)
    earlier = _history_values(history, [leaf.code for leaf in leaves])
    out: dict[str, Comparison] = {}
    for leaf in leaves:
        j = col_of[leaf.code]
        now = m.value[:, j]
        # The frame's own values first: a baseline in the file beats one from storage.
        own = pd.DataFrame({"unit": units, "period": period_of, "before": np.where(m.na[:, j], np.nan, now)})
        own = own[own["before"].notna()]
        theirs = earlier.loc[earlier["code"] == leaf.code, ["unit", "period", "before"]]
        known = pd.concat([own, theirs], ignore_index=True).drop_duplicates(["unit", "period"], keep="first")
        shift = {p: baseline_period(p, leaf.compare) or "" for p in labels}
        wanted = np.array([shift[p] for p in labels] or [""], dtype=object)[periods.codes]
        looked = pd.DataFrame({"unit": units, "period": wanted}).merge(known, on=["unit", "period"], how="left")
        before = looked["before"].to_numpy(dtype=float)
        missing = np.isnan(before)
        with np.errstate(divide="ignore", invalid="ignore"):
            if leaf.derived_as == "growth_pct":
                missing |= before == 0  # no growth from 0
                # (now − before) × 100 ÷ |before|, in that order: 100 × 100 ÷ 1000 is exactly 10;
                # |before| so a rise from a negative baseline is still a positive growth.
                derived = np.where(missing, np.nan, (now - before) * 100 / np.abs(before))
            else:
                derived = now - before
        out[leaf.code] = Comparison(wanted, before, derived, missing)
    return out


def apply_baseline_rule(leaf, cmp: Comparison, applicable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(applicable, fixed points) after the leaf's `no_baseline` rule: 不适用 drops the leaf where
    there is no baseline; full / zero fix its points there (NaN elsewhere: scored as usual)."""
    fixed = np.full(len(applicable), np.nan)
    if leaf.no_baseline == "not_applicable":
        return applicable & ~cmp.missing, fixed
    fixed[cmp.missing] = leaf.points if leaf.no_baseline == "full" else 0.0
    return applicable, fixed
