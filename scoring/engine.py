"""The rules engine: a long table of values in, scored, ranked and graded results out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from scoring import methods
from scoring.errors import Problem, ScoringInputError
from scoring.inputs import CellMatrix, build_matrix
from scoring.ranking import apply_ranking
from scoring.scheme import BASE_METHODS, Scheme


@dataclass
class LeafScores:
    """Dense per-leaf outcome, one row per entity (unit and period), one column per leaf."""

    earned: np.ndarray
    applicable: np.ndarray
    met: np.ndarray  # 1/0 for targets and checklists, NaN otherwise
    done: dict[str, np.ndarray]  # checklist leaf code -> entity × task, True when done
    # peer_rank leaf code -> (rank, peers with a value) per entity, for the traces
    peer: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


class Results:
    """Scored results of one scheme version.

    `units`: one row per unit and period (total, grade, rank, flags, changes).
    `leaves`: one row per unit, period and leaf (input, earned, lost, met) — built on first use,
    since at province scale it has tens of millions of rows and most callers need only `units`.
    `tasks`: one row per unit, period and checklist task (done or not).
    `notes`: the assessors' notes that came with the values.
    """

    def __init__(self, scheme: Scheme, units: pd.DataFrame, matrix: CellMatrix, scores: LeafScores):
        self.scheme = scheme
        self.units = units
        self.notes = matrix.notes
        self._matrix = matrix
        self._scores = scores

    @cached_property
    def leaves(self) -> pd.DataFrame:
        return _leaf_frame(self.scheme, self._matrix, self._scores)

    @cached_property
    def tasks(self) -> pd.DataFrame:
        return _task_frame(self.scheme, self._matrix, self._scores)

    def peer_position(self, leaf_code: str, unit: str, period: str | None = None) -> tuple[int, int, str]:
        """(rank, peers with a value, category) of one unit on a peer_rank leaf; rank 0 without
        a value. Several periods and none chosen: the first found."""
        m = self._matrix
        hit = m.units.astype(str) == unit
        if period is not None:
            hit &= np.asarray(m.periods.astype(str)) == period
        rows = np.flatnonzero(hit)
        if len(rows) == 0 or leaf_code not in self._scores.peer:
            raise KeyError(leaf_code)
        rank, peers = self._scores.peer[leaf_code]
        e = rows[0]
        return int(rank[e]), int(peers[e]), str(m.categories[e])

    def part_values(self, unit: str, period: str | None = None) -> dict[str, float]:
        """A unit's inputs under the extra codes of deduction leaves (kinds, 酌情扣分), for traces."""
        m = self._matrix
        rows = np.flatnonzero((m.units == unit) & ((np.asarray(m.periods.astype(str)) == period) if period else True))
        if len(rows) != 1:
            return {}
        return {c.code: float(m.value[rows[0], j]) for j, c in enumerate(m.columns) if c.part}

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
    units, scores = _score_matrix(scheme, matrix)
    empty = units["applicable_points"] <= 0
    if empty.any() and not scheme.monitoring_only:
        raise ScoringInputError(
            [
                Problem("所有评分细则均为不适用，无法计分", u, None, p or None)
                for u, p in zip(units.loc[empty, "unit"], units.loc[empty, "period"])
            ]
        )
    return Results(scheme, apply_ranking(scheme, units, previous), matrix, scores)


def _append(texts: np.ndarray, has: np.ndarray, hit: np.ndarray, text: str) -> None:
    """Append `text` to the reasons of the rows hit, '；'-separated (touches only those rows);
    `has` marks the rows with any text, so nothing later compares every row's string."""
    for i in np.flatnonzero(hit):
        texts[i] = f"{texts[i]}；{text}" if texts[i] else text
    has |= hit


def _sparse_categorical(texts: np.ndarray, has: np.ndarray) -> pd.Categorical:
    """A mostly-empty text column as a categorical, factorising only the rows that have text."""
    codes = np.zeros(len(texts), dtype=np.int32)
    rows = np.flatnonzero(has)
    sub_codes, uniques = pd.factorize(texts[rows])
    codes[rows] = sub_codes + 1
    return pd.Categorical.from_codes(codes, ["", *uniques])


def _zero_nan(x: np.ndarray) -> np.ndarray:
    # np.nan_to_num also scans for infinities, which validated inputs never hold: 3× slower here.
    return np.where(np.isnan(x), 0.0, x)


def _score_matrix(scheme: Scheme, m: CellMatrix) -> tuple[pd.DataFrame, LeafScores]:
    """Score each leaf column over all entities at once; columns are contiguous (Fortran order)."""
    n_ent = len(m.units)
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    leaves = scheme.leaves
    n_leaf = len(leaves)
    earned = np.zeros((n_ent, n_leaf), order="F")
    applicable = np.ones((n_ent, n_leaf), dtype=bool, order="F")
    met = np.full((n_ent, n_leaf), np.nan, order="F")
    earned_base = np.zeros(n_ent)
    applicable_points = np.zeros(n_ent)
    unmet = np.zeros(n_ent, dtype=np.int32)
    bonus = np.zeros(n_ent)
    veto = np.zeros(n_ent, dtype=bool)
    veto_reason = np.full(n_ent, "", dtype=object)
    award_reason = np.full(n_ent, "", dtype=object)
    ineligible = np.zeros(n_ent, dtype=bool)
    done_by_leaf: dict[str, np.ndarray] = {}
    peer_by_leaf: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    peer_group: np.ndarray | None = None

    for k, leaf in enumerate(leaves):
        j = col_of[leaf.code]
        v = m.value[:, j]
        app = ~m.na[:, j]
        applicable[:, k] = app
        if leaf.method == "direct":
            e = methods.score_direct(leaf, v)
        elif leaf.method == "target":
            out = methods.score_target(leaf, v)
            e = out.earned
            met[:, k] = np.where(app, out.met, np.nan)
            bonus += np.where(app, out.extra, 0.0)
        elif leaf.method == "checklist":
            # Done when most assessors say so; a 1:1 split is not a majority.
            done = m.value[:, [col_of[t.code] for t in leaf.tasks]] > 0.5  # NaN compares False
            if leaf.all_required:
                e = methods.score_checklist_all(leaf, done)
            else:
                e = methods.score_checklist(leaf, done.astype(float))
            met[:, k] = np.where(app, done.all(axis=1), np.nan)
            done_by_leaf[leaf.code] = done
        elif leaf.method == "levels":
            e = methods.score_levels(leaf, v)
        elif leaf.method == "peer_rank":
            if peer_group is None:
                peer_group = _peer_groups(m)
            out = methods.score_peer_rank(leaf, np.where(app, v, np.nan), peer_group)
            e = out.earned
            peer_by_leaf[leaf.code] = (out.rank, out.peers)
        elif leaf.method == "deduction" and leaf.part_codes:
            counts = m.value[:, [col_of[code] for code, _, _ in leaf.rates]]
            extra = leaf.discretionary_input
            disc = m.value[:, col_of[extra]] if extra else np.zeros(n_ent)
            e = methods.score_deduction_parts(leaf, counts, disc)
        elif leaf.method == "deduction":
            e = methods.score_deduction(leaf, _zero_nan(v))
        elif leaf.method == "bonus":
            e = methods.score_bonus(leaf, _zero_nan(v))
        elif leaf.method == "monitor":  # 监测指标: the value is kept (leaves frame), never scored
            e = np.zeros(n_ent)
        else:  # veto: reported by any assessor counts
            hit = (m.value if m.vmax is None else m.vmax)[:, j] >= 0.5  # NaN compares False
            _append(veto_reason, veto, hit, leaf.name)  # also marks the rows in `veto`
            e = np.zeros(n_ent)
        e = np.where(app & ~np.isnan(e), e, 0.0)
        earned[:, k] = e
        if leaf.method in BASE_METHODS:
            earned_base += e
            applicable_points += app * leaf.points
            unmet += met[:, k] == 0
        elif leaf.method == "bonus":
            bonus += e
        if leaf.ineligible_if_unmet:
            _append(award_reason, ineligible, app & (e < leaf.points - 1e-9), leaf.ineligible_if_unmet)

    bonus = np.minimum(scheme.bonus_cap, bonus)
    # A monitoring-only scheme has no total (NaN, shown as 「—」), and so no grade, rank or bottom.
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(applicable_points > 0, earned_base * scheme.total / applicable_points, np.nan)
    total = methods.round_half_up(scaled + bonus, scheme.decimals)
    for i in np.flatnonzero(veto):  # the veto is named first, before other grounds
        award_reason[i] = f"一票否决：{veto_reason[i]}" + (f"；{award_reason[i]}" if award_reason[i] else "")

    units = pd.DataFrame(
        {
            "period": m.periods,
            "unit": m.unit_codes,
            "category": m.categories,
            "earned_base": earned_base,
            "applicable_points": applicable_points,
            "bonus": bonus,
            "total": total,
            "score_rate": total / scheme.total if scheme.total else np.full(n_ent, np.nan),
            "lost": np.round(applicable_points - earned_base, 6),
            "veto": veto,
            "veto_reason": _sparse_categorical(veto_reason, veto),
            "award_eligible": ~(ineligible | veto),
            "award_reason": _sparse_categorical(award_reason, ineligible | veto),
            "unmet_targets": unmet,
        }
    )
    return units, LeafScores(earned, applicable, met, done_by_leaf, peer_by_leaf)


def _peer_groups(m: CellMatrix) -> np.ndarray:
    """One integer per entity for its peer group: the same period and category, as ranking uses."""
    n_cat = len(m.categories.categories) + 1
    return m.periods.codes.astype(np.int64) * n_cat + (m.categories.codes.astype(np.int64) + 1)


def _leaf_frame(scheme: Scheme, m: CellMatrix, sc: LeafScores) -> pd.DataFrame:
    """Long frame, entity-major: built from codes so it stays cheap at millions of rows."""
    leaves = scheme.leaves
    n_ent, n_leaf = sc.earned.shape
    ent = np.repeat(np.arange(n_ent), n_leaf)
    leaf_idx = np.tile(np.arange(n_leaf), n_ent)
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    cols = [col_of[leaf.code] for leaf in leaves]
    points = np.array([leaf.points for leaf in leaves])
    is_veto = np.array([leaf.method == "veto" for leaf in leaves])
    value = m.value[:, cols]
    if m.vmax is not None:  # a veto reported by any assessor shows
        value = np.where(is_veto, m.vmax[:, cols], value)
    assessors = (~np.isnan(value)).astype(np.int32) if m.assessors is None else m.assessors[:, cols]
    period_cat = pd.Categorical(m.periods)
    unit_cat = pd.Categorical(m.units)
    app = sc.applicable.ravel()
    earned = sc.earned.ravel()
    return pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(period_cat.codes[ent], period_cat.categories),
            "unit": pd.Categorical.from_codes(unit_cat.codes[ent], unit_cat.categories),
            "leaf": pd.Categorical.from_codes(leaf_idx, [leaf.code for leaf in leaves]),
            "value": value.ravel(),
            "applicable": app,
            "points": np.where(app, points[leaf_idx], 0.0),
            "earned": earned,
            "lost": np.where(app & (points[leaf_idx] > 0), points[leaf_idx] - earned, 0.0),
            "met": sc.met.ravel(),
            "assessors": assessors.ravel(),
        }
    )


def _task_frame(scheme: Scheme, m: CellMatrix, sc: LeafScores) -> pd.DataFrame:
    frames = []
    for k, leaf in enumerate(scheme.leaves):
        done = sc.done.get(leaf.code)
        if done is None:
            continue
        n_ent, n_task = done.shape
        rows = np.repeat(sc.applicable[:, k], n_task)
        frames.append(
            pd.DataFrame(
                {
                    "period": np.repeat(m.periods, n_task)[rows],
                    "unit": np.repeat(m.units, n_task)[rows],
                    "leaf": leaf.code,
                    "task": np.tile([t.code for t in leaf.tasks], n_ent)[rows],
                    "done": done.ravel()[rows],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["period", "unit", "leaf", "task", "done"])
    return pd.concat(frames, ignore_index=True)
