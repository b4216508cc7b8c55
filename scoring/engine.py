"""The rules engine: a long table of values in, scored, ranked and graded results out."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from scoring import compare, methods
from scoring.computed import compute_indicators
from scoring.errors import Problem, ScoringInputError
from scoring.inputs import CellMatrix, build_matrix
from scoring.ranking import apply_ranking
from scoring.reasons import Reasons
from scoring.scheme import BASE_METHODS, Leaf, Scheme, TagRule


@dataclass
class LeafScores:
    """Dense per-leaf outcome, one row per entity (unit and period), one column per leaf.

    `met` may be given as its few non-NaN columns (leaf index -> values): the dense matrix, NaN
    for every leaf without a target, is then filled when first read (the leaves frame, traces),
    not on every scoring run (6 MB of fresh memory at 25,000 units × 32 leaves: ~1.5 ms)."""

    earned: np.ndarray
    applicable: np.ndarray
    met_given: np.ndarray | dict[int, np.ndarray]  # 1/0 for targets and checklists, NaN otherwise
    done: dict[str, np.ndarray]  # checklist leaf code -> entity × task, True when done
    # peer_rank leaf code -> (rank, peers with a value) per entity, for the traces
    peer: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # compared leaf code (增幅 / 逐步提高) -> baseline and derived change per entity, for the traces
    compared: dict[str, compare.Comparison] = field(default_factory=dict)
    # tag -> (earned, applicable points) per entity over the scoring leaves carrying the tag
    tags: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @cached_property
    def met(self) -> np.ndarray:
        if not isinstance(self.met_given, dict):
            return self.met_given
        met = np.full(self.earned.shape, np.nan, order="F")
        for k, column in self.met_given.items():
            met[:, k] = column
        return met


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

    @cached_property
    def tags(self) -> pd.DataFrame:
        """One row per unit, period and tag: earned, applicable points and score rate (NaN when
        none of the unit's leaves with that tag apply). Kept apart from `units`, whose columns
        many pages and exports read by name."""
        return _tag_frame(self.scheme, self._matrix, self._scores)

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

    def comparison(self, leaf_code: str, unit: str, period: str | None = None) -> tuple[str, float, float, bool]:
        """(baseline period, baseline value, derived change, no usable baseline) of one unit on a
        compared leaf (增幅 / 逐步提高)."""
        m = self._matrix
        hit = np.asarray(m.units).astype(str) == unit
        if period is not None:
            hit &= np.asarray(m.periods.astype(str)) == period
        rows = np.flatnonzero(hit)
        if len(rows) == 0 or leaf_code not in self._scores.compared:
            raise KeyError(leaf_code)
        c, e = self._scores.compared[leaf_code], rows[0]
        return str(c.baseline[e]), float(c.before[e]), float(c.derived[e]), bool(c.missing[e])

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
    figures: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> Results:
    """Score every unit and period in `values` (long: unit, code, value[, na, assessor, period, note]).

    `categories` maps unit -> peer group; otherwise a `category` column is used, otherwise all
    units form one group. `previous` is an earlier `Results.units` to measure change against.
    `figures` (unit, year, name, value) are the unit register's figures (常住人口 …) that computed
    indicators divide by; an entity uses its period's year, else the latest earlier year.
    Raises ScoringInputError listing every bad or missing value.
    """
    matrix, problems = build_matrix(scheme, values, categories)
    if matrix is not None:
        problems += compute_indicators(scheme, matrix, figures)
    if problems or matrix is None:
        raise ScoringInputError(problems)
    units, scores = _score_matrix(scheme, matrix, compare.derive(scheme, matrix, history))
    empty = units["applicable_points"] <= 0
    if empty.any() and not scheme.monitoring_only:
        raise ScoringInputError(
            [
                Problem("所有评分细则均为不适用，无法计分", u, None, p or None)
                for u, p in zip(units.loc[empty, "unit"], units.loc[empty, "period"])
            ]
        )
    return Results(scheme, apply_ranking(scheme, units, previous), matrix, scores)


def _zero_nan(x: np.ndarray) -> np.ndarray:
    # np.nan_to_num also scans for infinities, which validated inputs never hold: 3× slower here.
    return np.where(np.isnan(x), 0.0, x)


def _score_matrix(
    scheme: Scheme, m: CellMatrix, compared: dict[str, compare.Comparison] | None = None
) -> tuple[pd.DataFrame, LeafScores]:
    """Score each leaf column over all entities at once; columns are contiguous (Fortran order)."""
    n_ent = len(m.units)
    col_of = {c.code: j for j, c in enumerate(m.columns)}
    leaves = scheme.leaves
    n_leaf = len(leaves)
    earned = np.zeros((n_ent, n_leaf), order="F")
    applicable = np.ones((n_ent, n_leaf), dtype=bool, order="F")
    met: dict[int, np.ndarray] = {}  # leaf index -> 1/0 where applicable, NaN elsewhere
    earned_base = np.zeros(n_ent)
    applicable_points = np.zeros(n_ent)
    unmet = np.zeros(n_ent, dtype=np.int32)
    bonus = np.zeros(n_ent)
    deducted = np.zeros(n_ent)  # 从总分扣分
    veto_reason, award_reason = Reasons(n_ent), Reasons(n_ent)
    veto = veto_reason.has  # the rows with a veto reason are the vetoed ones
    done_by_leaf: dict[str, np.ndarray] = {}
    peer_by_leaf: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    peer_group: np.ndarray | None = None

    for k, leaf in enumerate(leaves):
        j = col_of[leaf.code]
        v = m.value[:, j]
        app = ~m.na[:, j]
        if leaf.variants:  # a category the leaf does not apply to counts as 不适用 (按适用项折算)
            app &= ~_not_applicable_rows(leaf, m)
        fixed = None
        if compared and leaf.code in compared:  # scored on its change against the baseline period
            v = compared[leaf.code].derived
            app, fixed = compare.apply_baseline_rule(leaf, compared[leaf.code], app)
        applicable[:, k] = app
        if leaf.method != "veto":
            if peer_group is None and leaf.method == "peer_rank":
                peer_group = _peer_groups(m)
            out = _by_variant(leaf, m, col_of, v, app, peer_group)
            e = out.earned
            if out.met is not None:
                met[k] = np.full(n_ent, np.nan)
                np.copyto(met[k], out.met, where=app)  # NaN (as filled) where not applicable
            if out.extra is not None:  # only a leaf (or variant) with a stretch target has one
                bonus += np.where(app, out.extra, 0.0)
            if out.done is not None:
                done_by_leaf[leaf.code] = out.done
            if out.peer is not None:
                peer_by_leaf[leaf.code] = out.peer
            if out.taken is not None:
                deducted += np.where(app, out.taken, 0.0)
        else:  # veto: reported by any assessor counts
            hit = (m.value if m.vmax is None else m.vmax)[:, j] >= 0.5  # NaN compares False
            veto_reason.append(np.flatnonzero(hit), 0, [leaf.name])  # also marks the rows in `veto`
            e = np.zeros(n_ent)
        if fixed is not None:  # no baseline, scored full or zero as the scheme says
            e = np.where(np.isnan(fixed), e, fixed)
            if leaf.method == "target":
                was = met.get(k, np.full(n_ent, np.nan))
                met[k] = np.where(app & ~np.isnan(fixed), fixed > 0, was)
        # Written straight into the leaf's column: e where applicable, 0 elsewhere and for NaN.
        np.copyto(earned[:, k], e, where=app)
        e = earned[:, k]
        e[np.isnan(e)] = 0.0
        if leaf.method in BASE_METHODS:
            earned_base += e
            np.add(applicable_points, leaf.points, out=applicable_points, where=app)  # no temporaries
            if k in met:  # only targets and checklists have a met column
                unmet += met[k] == 0  # (a masked np.add is slower than adding the 0/1 mask)
        elif leaf.method == "bonus":
            bonus += e
        if leaf.ineligible_if_unmet:
            award_reason.append(np.flatnonzero(app & (e < leaf.points - 1e-9)), 0, [leaf.ineligible_if_unmet])

    tag_scores = _tag_scores(scheme, earned, applicable)
    grade_cap, cap_reason = _apply_tag_rules(scheme, tag_scores, award_reason)
    award_eligible = ~(award_reason.has | veto)
    bonus = np.minimum(scheme.bonus_cap, bonus)
    # A monitoring-only scheme has no total (NaN, shown as 「—」), and so no grade, rank or bottom.
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(applicable_points > 0, earned_base * scheme.total / applicable_points, np.nan)
    # 从总分扣分 comes off last, after scaling and bonus; a total never goes below 0.
    total = methods.round_half_up(np.maximum(0.0, scaled + bonus - deducted), scheme.decimals)
    award_reason.put_first(np.flatnonzero(veto), "一票否决：", veto_reason)  # named before other grounds

    units = pd.DataFrame(
        {
            "period": m.periods,
            "unit": m.unit_codes,
            "category": m.categories,
            "earned_base": earned_base,
            "applicable_points": applicable_points,
            "bonus": bonus,
            "deducted": deducted,
            "total": total,
            "score_rate": total / scheme.total if scheme.total else np.full(n_ent, np.nan),
            "lost": np.round(applicable_points - earned_base, 6),
            "veto": veto,
            "veto_reason": veto_reason.categorical(),
            "award_eligible": award_eligible,
            "award_reason": award_reason.categorical(),
            "unmet_targets": unmet,
            # tag rules (标签规则): the best grade still allowed (index into scheme.grades, -1 for
            # no cap), applied by scoring.ranking.grade_of, and why
            "grade_cap": grade_cap,
            "grade_cap_reason": cap_reason.categorical(),
        }
    )
    return units, LeafScores(
        earned, applicable, met, done_by_leaf, peer_by_leaf, compared=compared or {}, tags=tag_scores
    )


def _tag_scores(scheme: Scheme, earned: np.ndarray, applicable: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per tag, the earned and applicable points of the scoring leaves carrying it (bonus and veto
    leaves have no points to rate), as two column sums over the dense leaf matrix."""
    leaves = scheme.leaves
    points = np.array([leaf.points for leaf in leaves], dtype=float)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tag in scheme.tag_names:
        cols = [k for k, leaf in enumerate(leaves) if tag in leaf.tags and leaf.method in BASE_METHODS]
        if not cols:
            continue
        # column by column, as sum(axis=1) over the gathered (Fortran-order) columns adds them,
        # without gathering them first: the same sums, 3× faster
        total = earned[:, cols[0]].copy()
        for k in cols[1:]:
            total += earned[:, k]
        out[tag] = (total, applicable[:, cols].astype(float) @ points[cols])
    return out


def tag_rate_text(rate: float, decimals: int = 1) -> str:
    """A tag's score rate as every page writes a rate: one decimal, half up (55.0%); 「—」 for none."""
    if np.isnan(rate):
        return "—"
    return f"{float(methods.round_half_up(rate * 100, decimals)):.{decimals}f}%"


def tag_rate_decimals(rate: float, lines: list[float]) -> int:
    """One decimal, or as many more as a rate just below a rule's line needs not to be written as
    the line itself (59.95% is not 「60.0%」 when 60% is the line)."""
    below = [x for x in lines if rate * 100 < x - 1e-9]
    return next((d for d in range(1, 6) if all(methods.round_half_up(rate * 100, d) < x for x in below)), 6)


def tag_rule_text(rule: TagRule, rate: float) -> str:
    """What a tag rule did to a unit: 「核心指标得分率 55.0%，低于 60%：等级至多评为合格」, or an award
    rule's own reason with the unit's rate: 「核心指标得分率低于60%，不得评优（核心指标得分率 55.0%）」. A rate just below the line gets the decimals it
    needs not to read as the line (59.96% is not 「60.0%，低于 60%」)."""
    return _rule_text(rule, tag_rate_text(rate, tag_rate_decimals(rate, [rule.below_pct])))


def _rule_text(rule: TagRule, rate_text: str) -> str:
    rate_text = f"{rule.tag}得分率 {rate_text}"
    if rule.grade is None:
        return f"{rule.ineligible}（{rate_text}）"
    return f"{rate_text}，低于 {rule.below_pct:g}%：等级至多评为{rule.grade}"


def tag_rule_texts(rule: TagRule, rates: np.ndarray) -> np.ndarray:
    """`tag_rule_text` for many rates at once (object array); see `_rule_text_codes`."""
    codes, texts = _rule_text_codes(rule, rates)
    return np.array(texts, dtype=object)[codes] if texts else np.empty(len(codes), dtype=object)


def _rule_text_codes(rule: TagRule, rates: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per rate, an index into the distinct texts of `tag_rule_text`. The decimals each rate needs
    and its rounded value are found column-wise; only the distinct (decimals, value) pairs are
    formatted, so thousands of units below a line cost a few hundred strings, not one Python call
    each."""
    pct = np.asarray(rates, dtype=float) * 100
    below = pct < rule.below_pct - 1e-9
    decimals = np.full(len(pct), 6, dtype=np.int8)
    shown = np.empty(len(pct))
    todo = np.arange(len(pct))
    for d in range(1, 6):  # the fewest decimals that do not read as the line: each rate leaves once
        r = methods.round_half_up(pct[todo], d)  # it fits, so most are rounded once, not five times
        fits = ~below[todo] | (r < rule.below_pct)
        decimals[todo[fits]] = d
        shown[todo[fits]] = r[fits]
        todo = todo[~fits]
    shown[todo] = methods.round_half_up(pct[todo], 6)
    codes = np.zeros(len(pct), dtype=np.int64)
    texts: list[str] = []
    words = _rule_words(rule)
    for d in np.flatnonzero(np.bincount(decimals)):  # per number of decimals (counted, not sorted),
        # the distinct rates by hashing (no sort)
        rows = np.flatnonzero(decimals == d)
        sub, values = pd.factorize(shown[rows])
        codes[rows] = sub + len(texts)
        if words is None:
            texts += [_rule_text(rule, f"{v:.{int(d)}f}%") for v in values]
        else:
            texts += [f"{words[0]}{v:.{int(d)}f}%{words[1]}" for v in values.tolist()]
    return codes, texts


def _rule_words(rule: TagRule) -> tuple[str, str] | None:
    """The words of `_rule_text` before and after the rate, spelled once per rule rather than
    once per distinct rate; None in the odd case that the rule's own words hold the marker."""
    mark = "\x00"
    text = _rule_text(rule, mark)
    if text.count(mark) != 1:
        return None
    head, _, tail = text.partition(mark)
    return head, tail


def tag_rule_hits(rule: TagRule, earned: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Where a unit's rate on the rule's tag is below the line. Compared without dividing, so 6 of
    10 is exactly 60% (not below); no applicable tagged leaf means no rate, and no hit."""
    return (points > 0) & (earned * 100 < rule.below_pct * points - 1e-9)


def _apply_tag_rules(
    scheme: Scheme, tags: dict[str, tuple[np.ndarray, np.ndarray]], award_reason: Reasons
) -> tuple[np.ndarray, Reasons]:
    """Grade caps (the worst capped grade wins) and award bars from tag rates below a rule's line;
    texts are written only for the rows hit."""
    n = len(award_reason.code)
    cap = np.full(n, -1, dtype=np.int32)
    reason = Reasons(n)
    grade_index = {g.name: i for i, g in enumerate(scheme.grades)}
    for rule in scheme.tag_rules:
        earned, points = tags[rule.tag]
        hit = tag_rule_hits(rule, earned, points)
        rows = np.flatnonzero(hit)
        if not len(rows):
            continue
        (reason if rule.grade is not None else award_reason).append(
            rows, *_rule_text_codes(rule, earned[rows] / points[rows])
        )
        if rule.grade is not None:
            cap[rows] = np.maximum(cap[rows], grade_index[rule.grade])
    return cap, reason


def _tag_frame(scheme: Scheme, m: CellMatrix, sc: LeafScores) -> pd.DataFrame:
    """Long frame (period, unit, tag, earned, points, rate), entity-major, tags in scheme order."""
    tags = list(sc.tags)
    cols = ["period", "unit", "tag", "earned", "points", "rate"]
    if not tags:
        return pd.DataFrame(columns=cols)
    n_ent, n_tag = len(m.units), len(tags)
    ent = np.repeat(np.arange(n_ent), n_tag)
    earned = np.column_stack([sc.tags[t][0] for t in tags]).ravel()
    points = np.column_stack([sc.tags[t][1] for t in tags]).ravel()
    period_cat, unit_cat = pd.Categorical(m.periods), pd.Categorical(m.units)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(points > 0, earned / points, np.nan)
    return pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(period_cat.codes[ent], period_cat.categories),
            "unit": pd.Categorical.from_codes(unit_cat.codes[ent], unit_cat.categories),
            "tag": pd.Categorical.from_codes(np.tile(np.arange(n_tag), n_ent), tags),
            "earned": earned,
            "points": points,
            "rate": rate,
        }
    )


@dataclass
class _LeafOutcome:
    """What scoring one (non-veto) leaf yields per entity, besides the points earned."""

    earned: np.ndarray
    met: np.ndarray | None = None  # bool: target reached / every task done
    extra: np.ndarray | None = None  # stretch (力争) points, counted with the bonus
    done: np.ndarray | None = None  # checklist: entity × task
    peer: tuple[np.ndarray, np.ndarray] | None = None  # peer_rank: (rank, peers)
    taken: np.ndarray | None = None  # from_total deduction: points off the total (earned is 0)


def _leaf_outcome(
    leaf: Leaf, m: CellMatrix, col_of: dict[str, int], v: np.ndarray, app: np.ndarray, peer_group: np.ndarray | None
) -> _LeafOutcome:
    """Score one leaf (any method but veto) over every entity."""
    if leaf.method == "direct":
        return _LeafOutcome(methods.score_direct(leaf, v))
    if leaf.method == "target":
        out = methods.score_target(leaf, v)
        # Without a stretch target the extra points are all 0: not carried (nothing to add).
        return _LeafOutcome(out.earned, met=out.met, extra=out.extra if leaf.stretch is not None else None)
    if leaf.method == "checklist":
        # Done when most assessors say so; a 1:1 split is not a majority.
        done = m.value[:, [col_of[t.code] for t in leaf.tasks]] > 0.5  # NaN compares False
        if leaf.all_required:
            e = methods.score_checklist_all(leaf, done)
        else:
            e = methods.score_checklist(leaf, done.astype(float))
        return _LeafOutcome(e, met=done.all(axis=1), done=done)
    if leaf.method == "levels":
        return _LeafOutcome(methods.score_levels(leaf, v))
    if leaf.method == "improvement":
        return _LeafOutcome(methods.score_improvement(leaf, v))
    if leaf.method == "monitor":  # 监测指标: the value is kept (leaves frame), never scored
        return _LeafOutcome(np.zeros(len(v)))
    if leaf.method == "peer_rank":
        out = methods.score_peer_rank(leaf, np.where(app, v, np.nan), peer_group)
        return _LeafOutcome(out.earned, peer=(out.rank, out.peers))
    if leaf.method == "deduction" and leaf.from_total:
        taken = methods.score_deduction_from_total(leaf, _zero_nan(v))
        return _LeafOutcome(np.zeros(len(v)), taken=taken)
    if leaf.method == "deduction" and leaf.part_codes:
        counts = m.value[:, [col_of[code] for code, _, _ in leaf.rates]]
        extra = leaf.discretionary_input
        disc = m.value[:, col_of[extra]] if extra else np.zeros(len(v))
        return _LeafOutcome(methods.score_deduction_parts(leaf, counts, disc))
    if leaf.method == "deduction":
        return _LeafOutcome(methods.score_deduction(leaf, _zero_nan(v)))
    if leaf.method == "bonus" and leaf.discretionary:
        return _LeafOutcome(methods.score_bonus_discretionary(leaf, _zero_nan(v)))
    return _LeafOutcome(methods.score_bonus(leaf, _zero_nan(v)))


def _category_rows(m: CellMatrix, category: str) -> np.ndarray:
    """Entities whose unit is of `category` (by the categorical's codes: no string compare per row)."""
    cats = [str(c) for c in m.categories.categories]
    if category not in cats:
        return np.zeros(len(m.units), dtype=bool)
    return np.asarray(m.categories.codes) == cats.index(category)


def _not_applicable_rows(leaf: Leaf, m: CellMatrix) -> np.ndarray:
    """Entities of a category the leaf's variants declare 不适用."""
    off = np.zeros(len(m.units), dtype=bool)
    for category in leaf.variants:
        if leaf.variant_for(category) is None:
            off |= _category_rows(m, category)
    return off


def _by_variant(
    leaf: Leaf, m: CellMatrix, col_of: dict[str, int], v: np.ndarray, app: np.ndarray, peer_group: np.ndarray | None
) -> _LeafOutcome:
    """The leaf's outcome, each category with a variant scored by its own copy of the leaf.

    Each variant is scored over all entities and its rows taken: exact (methods are row-wise,
    and a peer group never spans categories) and still vectorised; a scheme has few variants."""
    out = _leaf_outcome(leaf, m, col_of, v, app, peer_group)
    for category in leaf.variants:
        variant = leaf.variant_for(category)
        rows = _category_rows(m, category)
        if variant is None or not rows.any():
            continue
        alt = _leaf_outcome(variant, m, col_of, v, app, peer_group)
        out.earned = _take_rows(rows, alt.earned, out.earned)
        if out.met is not None:
            out.met = np.where(rows, alt.met, out.met)
        if out.extra is not None or alt.extra is not None:
            base = np.zeros(len(v)) if out.extra is None else out.extra
            out.extra = base if alt.extra is None else _take_rows(rows, alt.extra, base)
        if out.taken is not None:
            out.taken = _take_rows(rows, alt.taken, out.taken)
        if out.peer is not None:
            out.peer = (np.where(rows, alt.peer[0], out.peer[0]), np.where(rows, alt.peer[1], out.peer[1]))
    return out


def _take_rows(rows: np.ndarray, alt: np.ndarray, base: np.ndarray) -> np.ndarray:
    """`alt` on a category's rows, `base` elsewhere: a category's rows are scattered over the
    units, so floats are blended without a branch per row (`methods.select`)."""
    if alt.dtype == base.dtype == np.float64:
        return methods.select(rows, alt, base)
    return np.where(rows, alt, base)


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
