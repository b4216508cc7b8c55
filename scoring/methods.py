"""One vectorised function per scoring method.

Each takes a leaf and a numpy array of combined inputs (one entry per unit and period) and
returns the points earned. Adding a method means one function here, its model in `scheme.py`
and its trace wording in `explain.py`.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.scheme import (
    BonusLeaf,
    ChecklistLeaf,
    DeductionLeaf,
    DirectLeaf,
    ImprovementLeaf,
    LevelsLeaf,
    PeerRankLeaf,
    TargetLeaf,
)

# Beyond 2**52 a double has no fractional digits left: |x| · 10**d is already a whole number.
_WHOLE = 2.0**52
# |x| · 10**d as a double is within about 2.2e-16 × its size of the decimal number the user wrote
# (x's own binary error plus the multiplication's); 1e-15 leaves a wide margin. Only products
# whose fraction lies that close to one half can round the wrong way, so only they are redone.
_DOUBT = 1e-15


def round_half_up(x: np.ndarray | float, decimals: int) -> np.ndarray | float:
    """Round half away from zero, as a person reading the decimal number as entered (and Excel) does.

    numpy rounds half to even and binary fractions hide the half (59.995 is stored as 59.99499…),
    so the value is rounded as its shortest decimal form (`repr`) reads; vectorised for all but the
    few values within a hair of a half, which are rounded exactly with `decimal`.
    """
    f = 10.0**decimals
    shape = np.shape(x)
    a = np.asarray(x, dtype=float).reshape(-1)  # 1-d, so the in-place steps below work on scalars too
    y = np.abs(a)
    y *= f
    top = float(np.fmax.reduce(y, initial=-np.inf))  # the largest |x|·10**d (NaN ignored)
    magnitude = y + 0.5
    np.floor(magnitude, out=magnitude)
    with np.errstate(invalid="ignore"):  # inf - inf for infinite inputs, which pass through
        off = np.subtract(y, magnitude, out=y)  # in [-0.5, 0.5): a tie sits at -0.5 (y's buffer)
        np.abs(off, out=off)
        # Doubtful: off + y·_DOUBT ≥ 0.5. Screened first against the largest y's margin (widened so
        # that it never misses one), then the exact test on the few candidates, whose y is
        # recomputed (|x|·10**d again: the same double) rather than kept for every value.
        idx = np.flatnonzero(off >= 0.5 - (2 * top * _DOUBT + 1e-12))
        y_idx = np.abs(a[idx]) * f
        keep = off[idx] + y_idx * _DOUBT >= 0.5
        idx, y_idx = idx[keep], y_idx[keep]
    if top >= _WHOLE:
        y_all = np.abs(a) * f
        idx = np.union1d(idx, np.flatnonzero((y_all >= _WHOLE) & np.isfinite(y_all)))
        y_idx = y_all[idx]
    magnitude /= f
    if len(idx) and 0 <= decimals <= 15:
        # Near a tie T = (k + ½) / 10**d. Below 2**48, a double's spacing is under 1/16 of the last
        # decimal place, so T is the shortest decimal form (repr) of x exactly when x is the double
        # nearest T, i.e. x == (k + ½) / f (k + ½ is exact and the division correctly rounded); and
        # when it is not, the repr lies on the same side of T as x. Rounding half up is then one
        # comparison, and k / f, (k + 1) / f are the doubles `decimal` would give: no Python loop
        # over the ties, which computed rates (3 ÷ 16 = 18.75%) and half-point totals hit often.
        ys = y_idx
        small = ys < 2.0**48
        k = np.floor(ys[small])
        at = idx[small]
        magnitude[at] = np.where(np.abs(a[at]) >= (k + 0.5) / f, (k + 1) / f, k / f)
        idx = idx[~small]
    if len(idx):
        magnitude[idx] = [_exact_magnitude(abs(float(v)), decimals) for v in a[idx]]
    out = np.copysign(magnitude, a, out=magnitude).reshape(shape)  # magnitude is ours: in place
    return out if isinstance(x, np.ndarray) else float(out[()])


def select(mask: np.ndarray, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """`np.where(mask, x, y)` for floats, the same bits, without a branch per element.

    np.where branches on each mask element: on a mask like "target met" (true for a random half
    of the units) the mispredictions make it ~105 µs per 25,000 values; blending the bit
    patterns (y ^ ((x ^ y) & all-ones-where-mask)) takes ~34 µs."""
    m = np.array(mask, dtype=np.uint64)  # a copy even of an unsigned mask: negated in place next
    np.negative(m, out=m)  # 1 → all ones, 0 → 0 (wraps around, as unsigned integers do)
    xb = np.asarray(x, dtype=np.float64).view(np.uint64)
    yb = np.asarray(y, dtype=np.float64).view(np.uint64)
    out = np.bitwise_and(np.bitwise_xor(xb, yb), m)
    out ^= yb
    return out.view(np.float64)


def _exact_magnitude(v: float, decimals: int) -> float:
    """|v| rounded half up at `decimals` as the decimal number `repr` gives for it."""
    if v >= 2.0**53:  # a whole number already: nothing after the decimal point to round
        return v
    with decimal.localcontext() as ctx:
        ctx.prec = 60  # 16 integer digits plus at most 22 decimals: never rounds while quantizing
        q = decimal.Decimal(repr(v)).quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)
    return float(q)


@dataclass(frozen=True)
class TargetOutcome:
    earned: np.ndarray
    met: np.ndarray  # bool: the target itself is reached
    extra: np.ndarray  # stretch (力争) points, counted with the bonus


def reaches(leaf: TargetLeaf, actual: np.ndarray, goal: float) -> np.ndarray:
    """Whether rounded actuals reach `goal`, honouring direction and boundary inclusiveness."""
    if leaf.direction == "higher":
        return actual >= goal if leaf.inclusive else actual > goal
    return actual <= goal if leaf.inclusive else actual < goal


def _places(v: float) -> int:
    """Decimal places of a number as written (60 → 0, 0.25 → 2)."""
    return max(0, -int(decimal.Decimal(repr(float(v))).as_tuple().exponent))


def shortfall_steps(leaf: TargetLeaf, actual: np.ndarray) -> np.ndarray:
    """How many `step`s the rounded actual falls short by, counted by the leaf's step rule.

    Counted in whole units of the last decimal place (actual, target and step are all decimal
    numbers as written), so exactly one step is 1 and not 0.9999999 or 1.0000001 at any size:
    binary fractions would otherwise tip a completed step (floor) or a started one (ceil).
    """
    a = np.asarray(actual, dtype=float)
    sign = 1.0 if leaf.direction == "higher" else -1.0
    places = max(leaf.decimals, _places(leaf.target), _places(leaf.step))
    scale = 10.0**places
    whole_t = float(decimal.Decimal(repr(float(leaf.target))).scaleb(places))
    whole_s = float(decimal.Decimal(repr(float(leaf.step))).scaleb(places))
    exact = np.abs(a) * scale < 2.0**51  # beyond, a double cannot hold the last decimal place
    with np.errstate(invalid="ignore"):
        short = np.maximum(0.0, sign * (whole_t - np.rint(a * scale)))
        steps = np.where(exact, short / whole_s, np.maximum(0.0, sign * (leaf.target - a)) / leaf.step)
    rule = leaf.step_rule
    if rule == "started":
        return np.ceil(steps)
    if rule == "completed":
        return np.floor(steps)
    return steps


def score_direct(leaf: DirectLeaf, value: np.ndarray) -> np.ndarray:
    return value.copy()


def score_target(leaf: TargetLeaf, value: np.ndarray) -> TargetOutcome:
    a = round_half_up(value, leaf.decimals)
    t, p = leaf.target, leaf.points
    higher = leaf.direction == "higher"
    met = reaches(leaf, a, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        if leaf.mode == "all_or_nothing":
            earned = select(met, p, 0.0)
        elif leaf.mode == "proportional":
            ratio = a / t if higher else np.where(a <= 0, 1.0, t / a)
            earned = p * np.clip(ratio, 0.0, 1.0)
        elif leaf.mode == "linear":
            ratio = (a - leaf.floor) / (t - leaf.floor)
            earned = p * np.clip(ratio, 0.0, 1.0)
        elif leaf.mode == "bands":
            earned = np.zeros_like(a)
            for band in leaf.bands:
                earned = select(reaches(leaf, a, band.threshold), np.maximum(earned, band.points), earned)
        else:  # per_shortfall
            earned = np.maximum(0.0, p - shortfall_steps(leaf, a) * leaf.loss_per_step)
    if leaf.mode not in ("bands", "all_or_nothing"):  # all_or_nothing has p wherever met already
        earned = select(met, p, earned)
    nan = np.isnan(a)
    np.copyto(earned, np.nan, where=nan)  # earned is a fresh array here: set in place
    extra = np.zeros_like(a)
    if leaf.stretch is not None:
        extra = select(reaches(leaf, a, leaf.stretch.target) & ~nan, leaf.stretch.points, 0.0)
    return TargetOutcome(earned, met & ~nan, extra)


def score_checklist(leaf: ChecklistLeaf, done: np.ndarray) -> np.ndarray:
    """`done` is (entities × tasks) of 0/1; each done task earns its points."""
    points = np.array([t.points for t in leaf.tasks])
    return done @ points


def score_checklist_all(leaf: ChecklistLeaf, done: np.ndarray) -> np.ndarray:
    """All-or-nothing checklist (all_required): the leaf's points only when every task is done."""
    return select(done.all(axis=1), leaf.points, 0.0)


def score_levels(leaf: LevelsLeaf, value: np.ndarray) -> np.ndarray:
    """定性分档: values are the points of the chosen level (checked on input), so they are earned
    as they stand; several assessors' levels average like direct scores. NaN stays NaN."""
    return np.clip(value, 0.0, leaf.points)


def score_deduction(leaf: DeductionLeaf, occurrences: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, leaf.points - occurrences * leaf.per_occurrence)


def score_deduction_parts(leaf: DeductionLeaf, counts: np.ndarray, discretionary: np.ndarray) -> np.ndarray:
    """Several kinds under one cap (迟报 0.5 / 漏报 1 / 瞒报 5 分每次) plus a discretionary part (酌情扣
    0–M 分): `counts` is entities × rates (NaN = none), `discretionary` one amount per entity.
    All of it comes off the leaf's points, never below 0 (扣完为止)."""
    per = np.array([rate for _, _, rate in leaf.rates])
    taken = np.where(np.isnan(counts), 0.0, counts) @ per + np.where(np.isnan(discretionary), 0.0, discretionary)
    return np.maximum(0.0, leaf.points - taken)


def score_deduction_from_total(leaf: DeductionLeaf, occurrences: np.ndarray) -> np.ndarray:
    """从总分扣分: the points taken off the unit's total, occurrences × per_occurrence up to `cap`.
    Returned positive; the engine subtracts them after scaling and bonus."""
    taken = occurrences * float(leaf.per_occurrence or 0)
    return taken if leaf.cap is None else np.minimum(leaf.cap, taken)


def score_bonus(leaf: BonusLeaf, occurrences: np.ndarray) -> np.ndarray:
    return np.minimum(leaf.cap, occurrences * leaf.per_occurrence)


def score_bonus_discretionary(leaf: BonusLeaf, points: np.ndarray) -> np.ndarray:
    """酌情加分: the points entered (0–cap, checked on input) are the bonus; clipped all the same,
    since the average of several assessors' entries is what arrives here."""
    return np.clip(points, 0.0, leaf.cap)


@dataclass(frozen=True)
class PeerOutcome:
    earned: np.ndarray  # NaN where the unit has no value (missing or 不适用)
    rank: np.ndarray  # competition rank among peers with a value (1, 1, 3); 0 without a value
    peers: np.ndarray  # how many peers (same group) have a value; 0 without a value
    band: np.ndarray  # index of the band reached, -1 for none (or no value)


def peer_ranks(key: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Competition rank of `key` (higher is better) within each `group`, and the group's size,
    counting only entries whose key is not NaN; both are 0 for NaN entries. One sort, no loop."""
    n = len(key)
    rank = np.zeros(n, dtype=np.int64)
    peers = np.zeros(n, dtype=np.int64)
    if np.isnan(key).any():
        idx = np.flatnonzero(~np.isnan(key))
        if len(idx) == 0:
            return rank, peers
        g, k = group[idx], key[idx]
    else:  # every entry has a value (the usual case): no gathers
        idx, g, k = np.arange(n), group, key
    counted = _ranks_by_counting(k, g) if len(k) and g.min() >= 0 else None
    if counted is not None:
        rank[idx], peers[idx] = counted
        return rank, peers
    # By group, best first inside each: best first by value, then a stable sort by group (a radix
    # sort when the group ids fit 16 bits); 5× faster than lexsort, which compares pairs. The order
    # among equal values does not matter: they share a rank.
    order = np.argsort(-k)
    gk = g[order]
    if len(gk) and gk.min() >= 0 and gk.max() < 2**15:
        gk = gk.astype(np.int16)
    order = order[np.argsort(gk, kind="stable")]
    gs, ks = g[order], k[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = gs[1:] != gs[:-1]
    new_value = new_group.copy()
    new_value[1:] |= ks[1:] != ks[:-1]  # rounded values: equal numbers compare exactly equal
    starts, runs = np.flatnonzero(new_group), np.flatnonzero(new_value)
    sizes = np.diff(np.append(starts, len(order)))
    # each sorted position's first equal value and group start, spread from the run starts
    value_start = np.repeat(runs, np.diff(np.append(runs, len(order))))
    at = idx[order]  # the entity at each sorted position
    value_start -= np.repeat(starts, sizes)  # position within the group of the first equal value
    value_start += 1
    rank[at] = value_start
    peers[at] = np.repeat(sizes, sizes)
    return rank, peers


def counts_by_group_and_value(k: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(counts, cell): how many entries of each group hold each distinct value (groups × values,
    the best — highest — value first) and each entry's flat index into it, by one bincount
    instead of sorting. None when there are too many distinct values for that to pay (a rate to
    one decimal has at most ~1,000; two-decimal totals over 0–100 at most 10,001)."""
    codes, uniques = pd.factorize(k + 0.0, sort=False)  # + 0.0: -0.0 and 0.0 are one value, as == has it
    n_groups = int(g.max()) + 1
    if len(uniques) * 8 > len(k) or len(uniques) * n_groups > 4 * len(k):
        return None
    best_first = np.empty(len(uniques), dtype=np.int64)
    best_first[np.argsort(-uniques)] = np.arange(len(uniques))  # distinct values: no ties
    cell = g.astype(np.int64) * len(uniques) + best_first[codes]
    counts = np.bincount(cell, minlength=n_groups * len(uniques)).reshape(n_groups, len(uniques))
    return counts, cell


def _ranks_by_counting(k: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """`peer_ranks` without sorting the entries when they hold few distinct values: a rank is
    1 + the entries of its group with a strictly better value."""
    counted = counts_by_group_and_value(k, g)
    if counted is None:
        return None
    counts, cell = counted
    better = np.cumsum(counts, axis=1) - counts  # per group and value, the entries above it
    return better.ravel()[cell] + 1, counts.sum(axis=1)[g]


def within_band(leaf: PeerRankLeaf, rank: np.ndarray, peers: np.ndarray, limit: float) -> np.ndarray:
    """Whether a rank falls within a band: rank ≤ N, or rank ÷ peers ≤ N % (compared as
    rank × 100 ≤ N × peers, so exactly 2 of 10 is within 20% without binary noise)."""
    if leaf.by_pct:
        return (rank > 0) & (rank * 100.0 <= limit * peers + 1e-9)
    return (rank > 0) & (rank <= limit)


def score_peer_rank(leaf: PeerRankLeaf, value: np.ndarray, group: np.ndarray) -> PeerOutcome:
    """按同类排名计分. `value` holds the actuals (NaN: missing or 不适用, not counted among peers);
    `group` one integer per entity naming its peer group (period × category). The first band
    reached wins; tied values share the better rank and so the same points."""
    a = round_half_up(value, leaf.decimals)
    rank, peers = peer_ranks(a if leaf.direction == "higher" else -a, group)
    band = np.full(len(a), -1, dtype=np.int64)
    earned = np.zeros(len(a))
    for i in range(len(leaf.bands) - 1, -1, -1):  # the first band that matches wins: set it last
        hit = within_band(leaf, rank, peers, leaf.bands[i].limit)
        band = np.where(hit, i, band)
        earned = select(hit, leaf.bands[i].points, earned)
    return PeerOutcome(select(np.isnan(a), np.nan, earned), rank, peers, band)


def improvement_of(leaf: ImprovementLeaf, change: np.ndarray) -> np.ndarray:
    """1 提高, 0 持平, −1 下降 (NaN without a change): the rounded change against the tolerance,
    the better way per the leaf's direction."""
    c = round_half_up(change, leaf.decimals)
    if leaf.direction == "lower":
        c = -c
    tol = leaf.tolerance
    with np.errstate(invalid="ignore"):
        return select(np.isnan(c), np.nan, select(c > tol, 1.0, select(c < -tol, -1.0, 0.0)))


def score_improvement(leaf: ImprovementLeaf, change: np.ndarray) -> np.ndarray:
    """逐步提高得满分，持平得一半，下降不得分 — the points written for each way the change went."""
    way = improvement_of(leaf, change)
    p = leaf.improvement
    return select(way > 0, p.up, select(way < 0, p.down, select(way == 0, p.same, np.nan)))
