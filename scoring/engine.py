"""The rules engine: a long table of values in, scored, ranked and graded results out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import methods
from scoring.errors import Problem, ScoringInputError
from scoring.inputs import CellMatrix, build_matrix
from scoring.ranking import apply_ranking
from scoring.scheme import BASE_METHODS, Scheme


@dataclass
class Results:
    """Scored results of one scheme version.

    `units`: one row per unit and period (total, grade, rank, flags, changes).
    `leaves`: one row per unit, period and leaf (input, earned, lost, met).
    `tasks`: one row per unit, period and checklist task (done or not).
    `notes`: the assessors' notes that came with the values.
    """

    scheme: Scheme
    units: pd.DataFrame
    leaves: pd.DataFrame
    tasks: pd.DataFrame
    notes: pd.DataFrame

    def explain(self, unit: str, period: str | None = None) -> pd.DataFrame:
        """Every leaf of one unit with the trace of how its points were reached."""
        from scoring.explain import explain_unit

        return explain_unit(self, unit, period)


def score(
    scheme: Scheme,
    values: pd.DataFrame,
    categories: pd.Series | None = None,
    previous: pd.DataFrame | None = None,
) -> Results:
    """Score every unit and period in `values` (long: unit, code, value[, na, assessor, period, note]).

    `categories` maps unit -> peer group; otherwise a `category` column is used, otherwise all
    units form one group. `previous` is an earlier `Results.units` to measure change against.
    Raises ScoringInputError listing every bad or missing value.
    """
    matrix, problems = build_matrix(scheme, values, categories)
    if problems or matrix is None:
        raise ScoringInputError(problems)
    units, leaves, tasks = _score_matrix(scheme, matrix)
    empty = units["applicable_points"] <= 0
    if empty.any():
        raise ScoringInputError(
            [
                Problem("所有评分细则均为不适用，无法计分", u, None, p or None)
                for u, p in zip(units.loc[empty, "unit"], units.loc[empty, "period"])
            ]
        )
    units = apply_ranking(scheme, units, previous)
    return Results(scheme, units, leaves, tasks, matrix.notes)


def _score_matrix(scheme: Scheme, m: CellMatrix) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_ent = len(m.units)
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    leaves = scheme.leaves
    n_leaf = len(leaves)
    earned = np.zeros((n_ent, n_leaf))
    applicable = np.ones((n_ent, n_leaf), dtype=bool)
    met = np.full((n_ent, n_leaf), np.nan)  # 1/0 for targets and checklists, NaN otherwise
    extra = np.zeros(n_ent)
    veto = np.zeros(n_ent, dtype=bool)
    veto_reason = np.full(n_ent, "", dtype=object)
    ineligible: list[tuple[np.ndarray, str]] = []
    task_frames: list[pd.DataFrame] = []

    for k, leaf in enumerate(leaves):
        j = col_of[leaf.code]
        v = m.value[:, j]
        applicable[:, k] = ~m.na[:, j]
        if leaf.method == "direct":
            e = methods.score_direct(leaf, v)
        elif leaf.method == "target":
            out = methods.score_target(leaf, v)
            e, met[:, k] = out.earned, out.met
            extra += np.where(applicable[:, k], out.extra, 0.0)
        elif leaf.method == "checklist":
            tj = [col_of[t.code] for t in leaf.tasks]
            done = np.nan_to_num(m.value[:, tj]) >= 0.5  # majority of assessors
            e = methods.score_checklist(leaf, done.astype(float))
            met[:, k] = done.all(axis=1)
            task_frames.append(_task_frame(m, leaf, done, applicable[:, k]))
        elif leaf.method == "deduction":
            e = methods.score_deduction(leaf, np.nan_to_num(v))
        elif leaf.method == "bonus":
            e = methods.score_bonus(leaf, np.nan_to_num(v))
        else:  # veto: reported by any assessor counts
            hit = np.nan_to_num(m.vmax[:, j]) >= 0.5
            veto |= hit
            veto_reason = np.where(hit, veto_reason + np.where(veto_reason == "", "", "；") + leaf.name, veto_reason)
            e = np.zeros(n_ent)
        earned[:, k] = np.where(applicable[:, k], np.nan_to_num(e), 0.0)
        if leaf.ineligible_if_unmet:
            unmet = applicable[:, k] & (earned[:, k] < leaf.points - 1e-9)
            ineligible.append((unmet, leaf.ineligible_if_unmet))

    is_base = np.array([leaf.method in BASE_METHODS for leaf in leaves])
    is_bonus = np.array([leaf.method == "bonus" for leaf in leaves])
    bonus = np.minimum(scheme.bonus_cap, earned[:, is_bonus].sum(axis=1) + extra)
    points = np.array([leaf.points for leaf in leaves])
    applicable_points = (applicable * points).sum(axis=1)
    earned_base = earned[:, is_base].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(applicable_points > 0, earned_base * scheme.total / applicable_points, np.nan)
    total = methods.round_half_up(scaled + bonus, scheme.decimals)

    award_reason = np.where(veto, "一票否决：" + veto_reason.astype(str), "").astype(object)
    for unmet, reason in ineligible:
        award_reason = np.where(unmet, award_reason + np.where(award_reason == "", "", "；") + reason, award_reason)

    units = pd.DataFrame(
        {
            "period": m.periods,
            "unit": m.units,
            "category": m.categories,
            "earned_base": earned_base,
            "applicable_points": applicable_points,
            "bonus": bonus,
            "total": total,
            "score_rate": total / scheme.total,
            "lost": np.round(applicable_points - earned_base, 6),
            "veto": veto,
            "veto_reason": veto_reason.astype(str),
            "award_eligible": award_reason == "",
            "award_reason": award_reason.astype(str),
            "unmet_targets": np.nansum(met == 0, axis=1).astype(int),
        }
    )
    leaf_frame = _leaf_frame(m, leaves, earned, applicable, met, col_of)
    tasks = (
        pd.concat(task_frames, ignore_index=True)
        if task_frames
        else pd.DataFrame(columns=["period", "unit", "leaf", "task", "done"])
    )
    return units, leaf_frame, tasks


def _leaf_frame(
    m: CellMatrix,
    base: list,
    earned: np.ndarray,
    applicable: np.ndarray,
    met: np.ndarray,
    col_of: dict[str, int],
) -> pd.DataFrame:
    """Long frame, entity-major: built from codes so it stays cheap at millions of rows."""
    n_ent, n_base = earned.shape
    ent = np.repeat(np.arange(n_ent), n_base)
    leaf_idx = np.tile(np.arange(n_base), n_ent)
    codes = [leaf.code for leaf in base]
    points = np.array([leaf.points for leaf in base])
    value = m.value[:, [col_of[c] for c in codes]]
    period_cat = pd.Categorical(m.periods)
    unit_cat = pd.Categorical(m.units)
    app = applicable.ravel()
    return pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(period_cat.codes[ent], period_cat.categories),
            "unit": pd.Categorical.from_codes(unit_cat.codes[ent], unit_cat.categories),
            "leaf": pd.Categorical.from_codes(leaf_idx, codes),
            "value": value.ravel(),
            "applicable": app,
            "points": np.where(app, points[leaf_idx], 0.0),
            "earned": earned.ravel(),
            "lost": np.where(app & (points[leaf_idx] > 0), points[leaf_idx] - earned.ravel(), 0.0),
            "met": met.ravel(),
            "assessors": m.assessors[:, [col_of[c] for c in codes]].ravel(),
        }
    )


def _task_frame(m: CellMatrix, leaf, done: np.ndarray, applicable: np.ndarray) -> pd.DataFrame:
    n_ent, n_task = done.shape
    rows = np.repeat(applicable, n_task)
    return pd.DataFrame(
        {
            "period": np.repeat(m.periods, n_task)[rows],
            "unit": np.repeat(m.units, n_task)[rows],
            "leaf": leaf.code,
            "task": np.tile([t.code for t in leaf.tasks], n_ent)[rows],
            "done": done.ravel()[rows],
        }
    )
