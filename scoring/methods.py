"""One vectorised function per scoring method.

Each takes a leaf and a numpy array of combined inputs (one entry per unit and period) and
returns the points earned. Adding a method means one function here, its model in `scheme.py`
and its trace wording in `explain.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.scheme import BonusLeaf, ChecklistLeaf, DeductionLeaf, DirectLeaf, LevelsLeaf, TargetLeaf

# Binary fractions such as 59.995 are stored as 59.99499…; nudging by this before rounding makes
# the engine round the way a person reading the decimal number would.
_NUDGE = 1e-9


def round_half_up(x: np.ndarray | float, decimals: int) -> np.ndarray | float:
    """Round half away from zero, as displays and Excel do (numpy rounds half to even)."""
    f = 10.0**decimals
    a = np.asarray(x, dtype=float)
    out = np.sign(a) * np.floor(np.abs(a) * f + 0.5 + _NUDGE) / f
    return out if isinstance(x, np.ndarray) else float(out)


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


def score_direct(leaf: DirectLeaf, value: np.ndarray) -> np.ndarray:
    return value.copy()


def score_target(leaf: TargetLeaf, value: np.ndarray) -> TargetOutcome:
    a = round_half_up(value, leaf.decimals)
    t, p = leaf.target, leaf.points
    higher = leaf.direction == "higher"
    met = reaches(leaf, a, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        if leaf.mode == "all_or_nothing":
            earned = np.where(met, p, 0.0)
        elif leaf.mode == "proportional":
            ratio = a / t if higher else np.where(a <= 0, 1.0, t / a)
            earned = p * np.clip(ratio, 0.0, 1.0)
        elif leaf.mode == "linear":
            ratio = (a - leaf.floor) / (t - leaf.floor)
            earned = p * np.clip(ratio, 0.0, 1.0)
        elif leaf.mode == "bands":
            earned = np.zeros_like(a)
            for band in leaf.bands:
                earned = np.where(reaches(leaf, a, band.threshold), np.maximum(earned, band.points), earned)
        else:  # per_shortfall
            shortfall = np.maximum(0.0, (t - a) if higher else (a - t))
            steps = shortfall / leaf.step
            if leaf.whole_steps:
                steps = np.ceil(steps - _NUDGE)
            earned = np.maximum(0.0, p - steps * leaf.loss_per_step)
    earned = np.where(met, p, earned) if leaf.mode != "bands" else earned
    extra = np.zeros_like(a)
    if leaf.stretch is not None:
        extra = np.where(reaches(leaf, a, leaf.stretch.target), leaf.stretch.points, 0.0)
    nan = np.isnan(a)
    return TargetOutcome(np.where(nan, np.nan, earned), met & ~nan, np.where(nan, 0.0, extra))


def score_checklist(leaf: ChecklistLeaf, done: np.ndarray) -> np.ndarray:
    """`done` is (entities × tasks) of 0/1; each done task earns its points."""
    points = np.array([t.points for t in leaf.tasks])
    return done @ points


def score_checklist_all(leaf: ChecklistLeaf, done: np.ndarray) -> np.ndarray:
    """All-or-nothing checklist (all_required): the leaf's points only when every task is done."""
    return np.where(done.all(axis=1), leaf.points, 0.0)


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


def score_bonus(leaf: BonusLeaf, occurrences: np.ndarray) -> np.ndarray:
    return np.minimum(leaf.cap, occurrences * leaf.per_occurrence)
