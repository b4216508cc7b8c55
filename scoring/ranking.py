"""Grades, ranks within peer groups, the bottom-ranking rule (末位) and change over periods."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from scoring.methods import counts_by_group_and_value
from scoring.scheme import Scheme

CHANGE_COLUMNS = ("prev_total", "prev_rank", "delta_total", "delta_rank")
# Vetoed units rank below every unit that was not vetoed, whatever their points.
_VETO_PENALTY = 1e9


def grade_of(scheme: Scheme, totals: np.ndarray, veto: np.ndarray, cap: np.ndarray | None = None) -> pd.Categorical:
    """Grade names as an ordered categorical, best grade first. `cap`: per row the best grade a
    tag rule still allows (index into scheme.grades, -1 for none)."""
    codes = _grade_codes(scheme, _points_grade(scheme, totals), veto, cap)
    # codes are indexes into the grades by construction: not validated again
    return pd.Categorical.from_codes(codes, [g.name for g in scheme.grades], ordered=True, validate=False)


def _points_grade(scheme: Scheme, totals: np.ndarray) -> np.ndarray:
    """Index (best grade first) of the grade the points alone reach."""
    mins = np.array([g.min for g in scheme.grades])[::-1]  # ascending
    idx = _reached(mins, totals + 1e-9) - 1
    return len(mins) - 1 - np.clip(idx, 0, len(mins) - 1)


def _reached(mins: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`np.searchsorted(mins, x, side="right")` for the few ascending grade minimums: how many of
    them each x reaches (NaN, sorted last, reaches all), by one comparison per grade; a binary
    search per value over four numbers is 3× slower."""
    x = np.asarray(x, dtype=float)
    count = np.zeros(x.shape, dtype=np.intp)
    for m in mins:
        count += x >= m
    count[np.isnan(x)] = len(mins)
    return count


def _grade_codes(scheme: Scheme, by_points: np.ndarray, veto: np.ndarray, cap: np.ndarray | None) -> np.ndarray:
    best_first = by_points if cap is None else np.maximum(by_points, cap)
    return np.where(veto, len(scheme.grades) - 1, best_first)


def gap_to_next_grade(scheme: Scheme, totals: np.ndarray, veto: np.ndarray) -> np.ndarray:
    """Points still needed for the next grade up; NaN at the top grade or when vetoed."""
    mins = np.array([g.min for g in scheme.grades])[::-1]
    above = _reached(mins, totals + 1e-9)
    nxt = np.where(above < len(mins), mins[np.minimum(above, len(mins) - 1)], np.nan)
    return np.where(veto, np.nan, np.round(nxt - totals, scheme.decimals))


def _group_codes(units: pd.DataFrame, by: list[str]) -> np.ndarray:
    """One integer per row identifying its group: grouping on ints is far cheaper than on text."""
    key = np.zeros(len(units), dtype=np.int64)
    for col in by:
        column = units[col]
        if isinstance(column.dtype, pd.CategoricalDtype):  # codes are already there; NaN (-1) → 0
            codes, n = column.cat.codes.to_numpy().astype(np.int64) + 1, len(column.cat.categories) + 1
        else:
            codes, uniques = pd.factorize(column, sort=False)
            n = len(uniques)
        key = key * max(n, 1) + codes
    return key


def _rank_key(units: pd.DataFrame) -> np.ndarray:
    if units["total"].isna().all():  # a monitoring-only scheme: no totals, every unit alike
        return np.zeros(len(units))
    return units["total"].to_numpy(dtype=float) - units["veto"].to_numpy(dtype=float) * _VETO_PENALTY


def _rank(key: np.ndarray, by_key: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Competition rank within each group (ties share the best rank).

    `by_key` orders the rows best first; a stable sort by group (a radix sort on small ints)
    keeps that order inside each group, so one float sort serves every ranking.
    """
    return _ranks(key, by_key, group)[0]


def _ranks(
    key: np.ndarray, by_key: np.ndarray, group: np.ndarray, from_bottom: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """`_rank`, and with `from_bottom` the same competition rank counted from the worst end (ties
    share it too) read off the same sorted order: 1 + the rows of the group after the last equal
    value, so the bottom rule needs no second sort."""
    n = len(by_key)
    if n and group.min() == group.max():  # one group (one period): the order by key is the order
        order = by_key
    else:
        small = group.astype(np.int16) if group.max(initial=0) < 2**15 else group
        order = by_key[np.argsort(small[by_key], kind="stable")]
    g, k = group[order], key[order]
    pos = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_value = new_group.copy()
    new_value[1:] |= k[1:] != k[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    value_start = np.maximum.accumulate(np.where(new_value, pos, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = value_start - group_start + 1
    if not from_bottom:
        return rank, None
    # The same from the other end: each position's group end and last equal value, spread back
    # from the run ends (a minimum accumulated over the reversed positions).
    end_group = np.ones(n, dtype=bool)
    end_group[:-1] = new_group[1:]
    end_value = np.ones(n, dtype=bool)
    end_value[:-1] = new_value[1:]
    group_end = np.minimum.accumulate(np.where(end_group, pos, n)[::-1])[::-1]
    value_end = np.minimum.accumulate(np.where(end_value, pos, n)[::-1])[::-1]
    low = np.empty(n, dtype=np.int64)
    low[order] = group_end - value_end + 1
    return rank, low


def _counted_ranks(
    key: np.ndarray, group: np.ndarray, from_bottom: bool
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """`_ranks` without sorting the rows when the totals take few distinct values (two decimals
    over 0–100 are at most 10,001, against 250,000 units at province scale): per (group, value)
    the rows are counted by one bincount, and a rank is 1 + the rows of the group above (from the
    bottom: below). None when the values are too many for that to pay, or one is NaN."""
    if not len(key) or group.min() < 0 or np.isnan(key).any():
        return None
    counted = counts_by_group_and_value(key, group)
    if counted is None:
        return None
    counts, cell = counted
    through = np.cumsum(counts, axis=1)  # per group and value, the rows at or above it
    rank = (through - counts).ravel()[cell] + 1
    if not from_bottom:
        return rank, None
    return rank, (counts.sum(axis=1)[:, None] - through).ravel()[cell] + 1


def rank_within_peer_group(units: pd.DataFrame, by: list[str]) -> pd.Series:
    """Competition ranking (1, 2, 2, 4) on the displayed total; vetoed units come last."""
    key = _rank_key(units)
    return pd.Series(_rank(key, np.argsort(-key), _group_codes(units, by)), index=units.index)  # ties: any order


def _bottom(
    scheme: Scheme, totals: np.ndarray, size: np.ndarray, from_bottom: np.ndarray | None
) -> tuple[np.ndarray, pd.Categorical]:
    """`from_bottom`: each row's competition rank from the worst end of its group (ties at the
    boundary are all flagged); needed only with lowest_n / lowest_pct."""
    rule = scheme.bottom
    tests: list[tuple[np.ndarray, str]] = []
    if rule.threshold is not None:
        tests.append((totals < rule.threshold, f"低于 {rule.threshold:g} 分"))
    if rule.lowest_n is not None or rule.lowest_pct is not None:
        assert from_bottom is not None
        if rule.lowest_n is not None:
            tests.append((from_bottom <= rule.lowest_n, f"同类末 {rule.lowest_n} 名"))
        if rule.lowest_pct is not None:
            # ceil(size × pct%) in whole numbers: 10% of 30 is 3, not 3.0000000000000004 → 4.
            pct = Fraction(repr(float(rule.lowest_pct)))
            n = -(-np.asarray(size, dtype=np.int64) * pct.numerator // (pct.denominator * 100))
            tests.append((from_bottom <= n, f"同类后 {rule.lowest_pct:g}%"))
    if not tests:
        return np.zeros(len(totals), bool), pd.Categorical.from_codes(np.zeros(len(totals), np.int8), [""])
    hits = np.vstack([t for t, _ in tests])
    flagged = hits.any(axis=0) if rule.combine == "any" else hits.all(axis=0)
    # Each row's reason text is looked up by which tests it hit (a bit mask), not built per row.
    mask = (hits.astype(np.int64) << np.arange(len(tests))[:, None]).sum(axis=0) * flagged
    table = np.array(
        ["，".join(t for b, (_, t) in enumerate(tests) if m >> b & 1) for m in range(1 << len(tests))], dtype=object
    )
    return flagged, pd.Categorical.from_codes(mask, table)


def apply_ranking(scheme: Scheme, units: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add grade, ranks, bottom flag, gaps and change since the previous period."""
    out = units.reset_index(drop=True)
    totals, veto = out["total"].to_numpy(dtype=float), out["veto"].to_numpy(dtype=bool)
    peer = _group_codes(out, ["period", "category"])
    key = _rank_key(out)
    size = np.bincount(peer)[peer]
    by_count = scheme.bottom.lowest_n is not None or scheme.bottom.lowest_pct is not None
    # Totals have the scheme's decimals, so at most (total + bonus) × 10^decimals + 1 values, twice
    # with vetoes: counting pays only with several rows per possible value (province scale).
    values = 2 * ((scheme.total + scheme.bonus_cap) * 10**scheme.decimals + 1)
    counted = _counted_ranks(key, peer, by_count) if len(key) >= 8 * values else None
    if counted is None:
        # Any order of equal totals will do (they share a rank), so the float sort need not be
        # stable: numpy's default sort is 5× faster here than the stable one.
        best_first = np.argsort(key)[::-1]
        rank, from_bottom = _ranks(key, best_first, peer, from_bottom=by_count)  # one sort, both ends
        overall = _rank(key, best_first, _group_codes(out, ["period"]))
    else:
        (rank, from_bottom), period = counted, _group_codes(out, ["period"])
        overall = (_counted_ranks(key, period, False) or (_rank(key, np.argsort(key)[::-1], period), None))[0]
    bottom, reason = _bottom(scheme, totals, size, from_bottom)
    text = scheme.bottom.consequence
    threshold = scheme.bottom.threshold
    # A vetoed unit has no meaningful distance to the line: its result is the lowest grade anyway.
    gap = np.where(veto, np.nan, totals - threshold) if threshold is not None else np.full(len(out), np.nan)
    cap = out["grade_cap"].to_numpy(dtype=np.int64) if "grade_cap" in out.columns else None
    # where a cap binds (the grade by points is at or above it) more points do not lift the grade
    by_points = _points_grade(scheme, totals)  # found once, for the cap test and the grade
    capped = veto if cap is None else veto | ((cap >= 0) & (_grade_codes(scheme, by_points, veto, None) <= cap))
    grades = [g.name for g in scheme.grades]
    added = {  # built apart and joined once: each column set on a frame costs a block insert
        "grade": pd.Categorical.from_codes(
            _grade_codes(scheme, by_points, veto, cap), grades, ordered=True, validate=False
        ),
        "rank": rank,
        "rank_overall": overall,
        "group_size": size,
        "bottom": bottom,
        "bottom_reason": reason,
        "consequence": pd.Categorical.from_codes(bottom.astype(np.int8), ["", text]) if text else "",
        "gap_next_grade": gap_to_next_grade(scheme, totals, capped),
        "gap_bottom_line": np.round(gap, scheme.decimals),
    }
    # One period and nothing before it (the common case of scoring one month): the change columns
    # are all blank, joined with the rest instead of by a second concat in with_changes.
    alone = previous is None and (len(out) == 0 or out["period"].nunique() < 2)
    if alone:
        added |= {c: np.full(len(out), np.nan) for c in CHANGE_COLUMNS}
    stale = [c for c in [*added, *CHANGE_COLUMNS] if c in out.columns]  # when re-ranking a ranked table
    out = pd.concat([out.drop(columns=stale) if stale else out, pd.DataFrame(added, index=out.index)], axis=1)
    return out if alone else with_changes(out, previous)


def _no_changes(out: pd.DataFrame, change_cols: list[str]) -> pd.DataFrame:
    none = pd.DataFrame(np.nan, index=out.index, columns=change_cols)
    return pd.concat([out, none], axis=1)  # one block, not four column inserts


def with_changes(units: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Change of total and rank against the period before (within these rows or `previous`).

    Δ rank is positive when a unit moved up (its rank number fell).
    """
    change_cols = list(CHANGE_COLUMNS)
    present = [c for c in change_cols if c in units.columns]
    out = units.drop(columns=present) if present else units.copy(deep=False)
    cols = ["period", "unit", "total", "rank"]
    # One period and nothing before it (checked first: the common case of scoring one month).
    if (previous is None and out["period"].nunique() < 2) or not len(out):
        return _no_changes(out, change_cols)
    history = out[cols] if previous is None else pd.concat([previous[cols], out[cols]], ignore_index=True)
    order = sorted({str(p) for p in pd.unique(history["period"])})
    if len(order) < 2:
        return _no_changes(out, change_cols)
    history = history.drop_duplicates(["period", "unit"], keep="last")
    next_of = dict(zip(order[:-1], order[1:]))
    before = history.assign(period=history["period"].astype(str).map(next_of))
    before = before.dropna(subset=["period"]).rename(columns={"total": "prev_total", "rank": "prev_rank"})
    out = out.assign(period=out["period"].astype(str)).merge(before, on=["period", "unit"], how="left")
    out["delta_total"] = out["total"] - out["prev_total"]
    out["delta_rank"] = out["prev_rank"] - out["rank"]
    return out
