"""Property-based tests: random schemes and random values, invariants that must always hold.

- a total stays within [0, declared total + bonus cap];
- improving any one input never lowers that unit's total;
- reordering rows or units changes nothing;
- a unit's total does not depend on the other units scored with it;
- ranks agree with a by-definition count, bottom flags with the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scheme_factory import NA, bonus, checklist, deduction, direct, make_scheme, target, veto

from scoring import Scheme, score

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACTUAL_MAX = 200.0  # targets accept actuals in [0, 200]
MAX_OCCURRENCES = 8

points_st = st.integers(1, 30).map(float)


@st.composite
def target_leaf(draw, code: str) -> dict:
    pts = draw(points_st)
    higher = draw(st.booleans())
    t = draw(st.integers(1, 120)) + draw(st.sampled_from([0, 0.5, 0.25]))
    mode = draw(st.sampled_from(["all_or_nothing", "proportional", "linear", "bands", "per_shortfall"]))
    kw: dict = {
        "direction": "higher" if higher else "lower",
        "inclusive": draw(st.booleans()),
        "decimals": draw(st.integers(0, 3)),
        "valid_min": 0,
        "valid_max": ACTUAL_MAX,
        "allow_na": draw(st.booleans()),
    }
    gap = float(draw(st.integers(1, 50)))
    if mode == "linear":
        kw["floor"] = t - gap if higher else t + gap
    elif mode == "bands":
        offsets = draw(st.lists(st.integers(0, 40), min_size=1, max_size=3, unique=True))
        kw["bands"] = [
            {"threshold": t - o if higher else t + o, "points": float(draw(st.integers(0, int(pts))))} for o in offsets
        ]
    elif mode == "per_shortfall":
        kw["step"] = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0, 5.0]))
        kw["loss_per_step"] = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
        kw["whole_steps"] = draw(st.booleans())
    if draw(st.booleans()):
        beyond = float(draw(st.integers(1, 30)))
        s_t = t + beyond if higher else t - beyond
        if s_t > 0:
            kw["stretch"] = {"target": s_t, "points": float(draw(st.integers(1, 5)))}
    return target(code, pts, target=t, mode=mode, **kw)


@st.composite
def leaf_st(draw, code: str) -> dict:
    method = draw(st.sampled_from(["direct", "target", "target", "checklist", "deduction", "bonus", "veto"]))
    if method == "direct":
        return direct(code, draw(points_st), allow_na=draw(st.booleans()))
    if method == "target":
        return draw(target_leaf(code))
    if method == "checklist":
        n = draw(st.integers(1, 3))
        return checklist(code, {f"{code}.{i}": draw(points_st) for i in range(n)}, allow_na=draw(st.booleans()))
    if method == "deduction":
        return deduction(code, draw(points_st), draw(st.sampled_from([0.5, 1.0, 2.0, 5.0])))
    if method == "bonus":
        return bonus(code, draw(st.sampled_from([0.5, 1.0, 2.0])), float(draw(st.integers(1, 6))))
    return veto(code)


@st.composite
def scheme_st(draw) -> Scheme:
    # F0 always applies, so no unit can have every leaf N/A.
    leaves = [direct("F0", draw(points_st))] + [draw(leaf_st(f"L{i}")) for i in range(draw(st.integers(1, 5)))]
    total = sum(leaf.get("points", 0) for leaf in leaves)  # a written line may not exceed the total
    extra: dict = {
        "decimals": draw(st.integers(0, 3)),
        "combine": draw(st.sampled_from(["mean", "trimmed_mean"])),
        "bottom": draw(
            st.sampled_from(
                [
                    {},
                    {"threshold": None, "lowest_n": 2},
                    {"threshold": round(total * 0.8, 2), "lowest_pct": 30, "combine": "all"},
                    {"threshold": round(total * 0.6, 2), "lowest_n": 1},
                ]
            )
        ),
    }
    if any(leaf["method"] == "bonus" or "stretch" in leaf for leaf in leaves):
        extra["bonus_cap"] = float(draw(st.integers(1, 10)))
    return make_scheme(*leaves, **extra)


def cell_st(leaf, allow_blank: bool = True):
    """A strategy for one leaf's cells of one unit: {code: value} (tasks for a checklist)."""
    m = leaf.method
    na = st.just({leaf.code: NA}) if leaf.allow_na and m in ("direct", "target", "checklist") else None
    if m == "direct":
        val = st.floats(0, leaf.points).map(lambda v: {leaf.code: v})
    elif m == "target":
        val = st.floats(0, ACTUAL_MAX).map(lambda v: {leaf.code: v})
    elif m == "checklist":
        val = st.fixed_dictionaries({t.code: st.sampled_from([0, 1]) for t in leaf.tasks})
    elif m in ("deduction", "bonus"):
        val = st.integers(0, MAX_OCCURRENCES).map(lambda v: {leaf.code: v})
        if allow_blank:
            val = val | st.just({})  # blank: nothing happened
    else:
        val = st.sampled_from([{leaf.code: 0}, {leaf.code: 0}, {leaf.code: 1}, {}])
    return val if na is None else st.one_of(val, val, na)


def unit_cells_st(scheme: Scheme):
    return st.tuples(*[cell_st(leaf) for leaf in scheme.leaves]).map(
        lambda parts: {k: v for p in parts for k, v in p.items()}
    )


def long_frame(table: dict[str, dict], **columns) -> pd.DataFrame:
    rows = []
    for unit, cells in table.items():
        for code, v in cells.items():
            rows.append({"unit": unit, "code": code, "value": np.nan if v is NA else float(v), "na": v is NA} | columns)
    return pd.DataFrame(rows)


def keyed(units: pd.DataFrame) -> pd.DataFrame:
    """Results indexed by (period, unit), with the columns that must not depend on row order."""
    cols = ["total", "bonus", "veto", "award_eligible", "rank", "rank_overall", "bottom", "grade", "gap_next_grade"]
    out = units.assign(period=units["period"].astype(str), unit=units["unit"].astype(str))
    out = out.set_index(["period", "unit"])[cols].sort_index()
    out["grade"] = out["grade"].astype(str)
    return out


# -- bounds ---------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_totals_stay_within_zero_and_total_plus_bonus_cap(data):
    scheme = data.draw(scheme_st())
    table = {f"u{i}": data.draw(unit_cells_st(scheme)) for i in range(data.draw(st.integers(1, 4)))}
    r = score(scheme, long_frame(table))
    u = r.units
    assert (u["total"] >= 0).all()
    assert (u["total"] <= scheme.total + scheme.bonus_cap + 1e-9).all()
    assert (u["bonus"] >= 0).all() and (u["bonus"] <= scheme.bonus_cap + 1e-9).all()
    assert (u["earned_base"] <= u["applicable_points"] + 1e-9).all()
    lv = r.leaves
    points = lv["leaf"].astype(str).map({leaf.code: leaf.points for leaf in scheme.leaves})
    base = lv["leaf"].astype(str).map({leaf.code: leaf.method not in ("bonus", "veto") for leaf in scheme.leaves})
    assert (lv["earned"] >= 0).all()
    assert (lv.loc[base, "earned"] <= points[base] + 1e-9).all()


# -- improving an input never lowers the total ----------------------------------------------------


def improved_cells(data, scheme: Scheme, cells: dict) -> tuple[dict, str] | None:
    """The same cells with one input made better (or None when the drawn input cannot improve)."""
    leaf = data.draw(st.sampled_from(scheme.leaves))
    m = leaf.method
    if cells.get(leaf.code) is NA:
        return None
    new = dict(cells)
    if m == "direct":
        new[leaf.code] = data.draw(st.floats(cells[leaf.code], leaf.points))
    elif m == "target":
        old = cells[leaf.code]
        better = st.floats(old, ACTUAL_MAX) if leaf.direction == "higher" else st.floats(0, old)
        new[leaf.code] = data.draw(better)
    elif m == "checklist":
        undone = [t.code for t in leaf.tasks if cells[t.code] == 0]
        if not undone:
            return None
        new[data.draw(st.sampled_from(undone))] = 1
    elif m == "deduction":
        new[leaf.code] = data.draw(st.integers(0, cells.get(leaf.code, 0)))
    elif m == "bonus":
        new[leaf.code] = data.draw(st.integers(cells.get(leaf.code, 0), MAX_OCCURRENCES + 5))
    else:  # removing a veto
        new[leaf.code] = 0
    return new, leaf.code


@SETTINGS
@given(data=st.data())
def test_improving_any_single_input_never_lowers_the_total(data):
    scheme = data.draw(scheme_st())
    cells = data.draw(unit_cells_st(scheme))
    change = improved_cells(data, scheme, cells)
    if change is None:
        return
    better, code = change
    u = score(scheme, long_frame({"before": cells, "after": better})).units.set_index("unit")
    assert u.loc["after", "total"] >= u.loc["before", "total"], f"improving {code}: {cells} → {better}"
    if not u.loc["before", "veto"]:
        assert not u.loc["after", "veto"]


@SETTINGS
@given(
    actuals=st.lists(st.floats(0, ACTUAL_MAX), min_size=2, max_size=12),
    spec=target_leaf("T"),
)
def test_target_points_are_monotone_in_the_actual(actuals, spec):
    # One target leaf alone: sorting the actuals from worst to best sorts the points too.
    spec = {**spec, "allow_na": False}
    scheme = make_scheme(direct("F0", 10), spec, bonus_cap=10)
    higher = spec["direction"] == "higher"
    ordered = sorted(actuals, reverse=not higher)  # worst first
    table = {f"u{i:02d}": {"F0": 10, "T": a} for i, a in enumerate(ordered)}
    u = score(scheme, long_frame(table)).units.sort_values("unit")
    totals = u["total"].to_numpy()
    assert (np.diff(totals) >= 0).all(), list(zip(ordered, totals))


# -- order does not matter ------------------------------------------------------------------------


@st.composite
def multi_unit_frame(draw):
    """A scheme and a long frame: several units, two categories, one or two periods, some assessors."""
    scheme = draw(scheme_st())
    frames = []
    n_units = draw(st.integers(2, 6))
    cats = {f"u{i}": draw(st.sampled_from(["卫生院", "社区"])) for i in range(n_units)}
    for period in ["2026-01", "2026-02"][: draw(st.integers(1, 2))]:
        for unit in cats:
            # every assessor gives a complete sheet; deduction/bonus/veto are never left blank, so
            # each assessor's row set is the same and the combine is well defined
            n_assessors = draw(st.sampled_from([1, 1, 2, 3]))
            first = draw(st.tuples(*[cell_st(leaf, allow_blank=False) for leaf in scheme.leaves]))
            first = {k: v for p in first for k, v in p.items()}
            for a in range(n_assessors):
                cells = first if a == 0 else {**first, **redraw_values(draw, scheme, first)}
                frames.append(long_frame({unit: cells}, period=period, category=cats[unit], assessor=f"a{a}"))
    return scheme, pd.concat(frames, ignore_index=True)


def redraw_values(draw, scheme: Scheme, first: dict) -> dict:
    """Another assessor's values for the cells the first one filled (N/A stays N/A)."""
    out = {}
    for leaf in scheme.leaves:
        if first.get(leaf.code) is NA:
            continue
        if leaf.method == "direct":
            out[leaf.code] = draw(st.floats(0, leaf.points))
        elif leaf.method == "target":
            out[leaf.code] = draw(st.floats(0, ACTUAL_MAX))
        elif leaf.method == "checklist":
            out |= {t.code: draw(st.sampled_from([0, 1])) for t in leaf.tasks}
        elif leaf.method in ("deduction", "bonus"):
            out[leaf.code] = draw(st.integers(0, MAX_OCCURRENCES))
        else:
            out[leaf.code] = draw(st.sampled_from([0, 1]))
    return out


@SETTINGS
@given(case=multi_unit_frame(), seed=st.integers(0, 2**32 - 1))
def test_reordering_rows_or_units_changes_nothing(case, seed):
    scheme, frame = case
    expected = keyed(score(scheme, frame).units)
    # the rows shuffled: units, codes, periods and assessors now first appear in another order
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    pd.testing.assert_frame_equal(keyed(score(scheme, shuffled).units), expected)
    # unit and code columns as categoricals listing their values in another order (plus an unused one)
    rng = np.random.default_rng(seed)
    recoded = frame.copy()
    for col in ("unit", "code"):
        cats = list(frame[col].unique())
        rng.shuffle(cats)
        recoded[col] = pd.Categorical(frame[col], categories=[*cats, "未使用"])
    pd.testing.assert_frame_equal(keyed(score(scheme, recoded).units), expected)


@SETTINGS
@given(data=st.data())
def test_a_units_total_does_not_depend_on_the_others(data):
    scheme = data.draw(scheme_st())
    table = {f"u{i}": data.draw(unit_cells_st(scheme)) for i in range(data.draw(st.integers(2, 4)))}
    together = score(scheme, long_frame(table)).units.set_index("unit")["total"]
    for unit, cells in table.items():
        alone = score(scheme, long_frame({unit: cells})).units.iloc[0]
        assert alone["total"] == together[unit]
        assert alone["rank"] == 1


# -- ranks and bottom flags agree with their definitions ------------------------------------------


@SETTINGS
@given(case=multi_unit_frame())
def test_ranks_and_bottom_flags_follow_their_definitions(case):
    scheme, frame = case
    u = score(scheme, frame).units
    u = u.assign(period=u["period"].astype(str), category=u["category"].astype(str))
    # a vetoed unit is worse than any unit without a veto; otherwise the rounded total decides
    better_key = list(zip(~u["veto"], u["total"]))
    rule = scheme.bottom
    for i in range(len(u)):
        peers = [j for j in range(len(u)) if (u["period"][j], u["category"][j]) == (u["period"][i], u["category"][i])]
        same_period = [j for j in range(len(u)) if u["period"][j] == u["period"][i]]
        assert u["rank"][i] == 1 + sum(better_key[j] > better_key[i] for j in peers)
        assert u["rank_overall"][i] == 1 + sum(better_key[j] > better_key[i] for j in same_period)
        assert u["group_size"][i] == len(peers)
        from_bottom = 1 + sum(better_key[j] < better_key[i] for j in peers)
        tests = []
        if rule.threshold is not None:
            tests.append(u["total"][i] < rule.threshold)
        if rule.lowest_n is not None:
            tests.append(from_bottom <= rule.lowest_n)
        if rule.lowest_pct is not None:
            tests.append(from_bottom <= np.ceil(len(peers) * rule.lowest_pct / 100 - 1e-9))
        expected = (any(tests) if rule.combine == "any" else all(tests)) if tests else False
        assert bool(u["bottom"][i]) == expected
        if u["veto"][i]:
            assert u["grade"][i] == scheme.lowest_grade
