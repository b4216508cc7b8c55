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

from scoring.derived import once
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
    return list(once(scheme, "compared_leaves", lambda: [x for x in scheme.leaves if getattr(x, "compare", None)]))


class _Keys:
    """Integer keys for (period label, unit) pairs: the matrix's own unit codes, and one id per
    period label seen (the frame's, the baselines', the history's). Lookups then hash integers,
    not unit and period texts (a string merge per compared leaf cost 30 ms at 25,000 units)."""

    def __init__(self, m: CellMatrix):
        self.units = pd.Index(m.unit_codes.categories.astype(str))
        self.n_units = max(len(self.units), 1)
        self.ent_unit = np.asarray(m.unit_codes.codes, dtype=np.int64)
        self.period_id: dict[str, int] = {}
        self.ent_period = self.ids([str(x) for x in m.periods.categories])[np.asarray(m.periods.codes, dtype=np.int64)]

    def ids(self, labels: list[str]) -> np.ndarray:
        return np.array([self.period_id.setdefault(x, len(self.period_id)) for x in labels] or [0], dtype=np.int64)

    def key(self, period: np.ndarray, unit: np.ndarray) -> np.ndarray:
        return period * self.n_units + unit


def _history_values(history: pd.DataFrame | None, codes: list[str], keys: _Keys) -> dict[str, tuple]:
    """Earlier values of the compared codes: code -> (keys, values), one per (unit, period) of a
    unit being scored, assessors averaged; a 不适用 or blank earlier value is no baseline, so such
    rows are dropped."""
    if history is None or len(history) == 0 or "period" not in history.columns:
        return {}
    code_id, code_labels = pd.factorize(history["code"].astype(str))  # one hashing pass, then integers
    wanted = {c: i for i, c in enumerate(code_labels) if c in codes}
    if not wanted:
        return {}
    sel = np.isin(code_id, list(wanted.values()))
    h, code_id = history[sel], code_id[sel]
    before = pd.to_numeric(h["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(before)
    if "na" in h.columns:
        keep &= ~h["na"].fillna(False).astype(bool).to_numpy()
    h_units = pd.Index(h["unit"].astype(str))
    # Stored history often lists the units as the frame does: then one comparison (in Arrow)
    # replaces a text lookup per row.
    unit = np.arange(len(h_units)) if h_units.equals(keys.units) else keys.units.get_indexer(h_units)
    keep &= unit >= 0  # a unit not being scored is nobody's baseline
    p_codes, p_labels = pd.factorize(h["period"].astype(str))
    period = keys.ids([str(x) for x in p_labels])[p_codes] if len(p_labels) else np.zeros(len(h), np.int64)
    out = {}
    for c, i in wanted.items():
        rows = keep & (code_id == i)
        if not rows.any():
            continue
        key = keys.key(period[rows], unit[rows])
        space = max(len(keys.period_id), 1) * keys.n_units
        if space <= 4 * len(key) + 1_000_000 and np.bincount(key, minlength=space).max(initial=0) <= 1:
            out[c] = (key, before[rows])  # one value per unit and period (counted, not sorted)
            continue
        k, inverse = np.unique(key, return_inverse=True)
        if len(k) == len(inverse):  # one value per unit and period: nothing to average
            mean = np.empty(len(k))
            mean[inverse] = before[rows]
        else:  # pandas' mean, as before: several assessors' values average the same way
            mean = pd.Series(before[rows]).groupby(inverse).mean().to_numpy()
        out[c] = (k, mean)
    return out


def _first_at(k: np.ndarray, wanted: np.ndarray, n_own: int, keys: _Keys) -> np.ndarray:
    """Per wanted key, the position of its first occurrence in `k` (-1: none). `k` is the frame's
    own keys (one per entity, so distinct) followed by the history's (distinct too): a key in both
    is the frame's. Keys are (period id, unit) pairs, so a table over that small space replaces
    hashing them (0.9 ms at 25,000 units)."""
    space = max(len(keys.period_id), 1) * keys.n_units
    if space > 4 * (len(k) + len(wanted)) + 1_000_000:  # sparse: hash them
        index = pd.Index(k)
        first = np.flatnonzero(~index.duplicated(keep="first"))
        at = index[first].get_indexer(wanted)
        return np.where(at >= 0, first[np.maximum(at, 0)], -1)
    pos = np.full(space, -1, dtype=np.int64)
    pos[k[n_own:]] = np.arange(n_own, len(k))  # the history's, then the frame's over them
    pos[k[:n_own]] = np.arange(n_own)
    return pos[wanted]


def derive(scheme: Scheme, m: CellMatrix, history: pd.DataFrame | None = None) -> dict[str, Comparison]:
    """Leaf code → Comparison, for every compared leaf of the scheme (empty when there are none)."""
    leaves = compared_leaves(scheme)
    if not leaves:
        return {}
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    keys = _Keys(m)
    labels = [str(x) for x in m.periods.categories]
    p_codes = np.asarray(m.periods.codes, dtype=np.int64)
    earlier = _history_values(history, [leaf.code for leaf in leaves], keys)
    out: dict[str, Comparison] = {}
    for leaf in leaves:
        j = col_of[leaf.code]
        now = m.value[:, j]
        shift = [baseline_period(p, leaf.compare) or "" for p in labels]
        wanted = np.array(shift or [""], dtype=object)[p_codes]
        # The frame's own values first: a baseline in the file beats one from storage.
        own = np.flatnonzero(~np.isnan(now) & ~m.na[:, j])
        k = keys.key(keys.ent_period[own], keys.ent_unit[own])
        v = now[own]
        if leaf.code in earlier:
            k, v = np.concatenate([k, earlier[leaf.code][0]]), np.concatenate([v, earlier[leaf.code][1]])
        at = _first_at(k, keys.key(keys.ids(shift)[p_codes], keys.ent_unit), len(own), keys)
        before = np.where(at >= 0, v[np.maximum(at, 0)] if len(v) else np.nan, np.nan)
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
