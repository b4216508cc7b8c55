"""Leaves scored on change against a baseline period: 增幅 targets and 逐步提高 (improvement).

Hand-computed boundaries: a growth exactly at its target, a baseline of 0, each no_baseline rule,
last_year across a year boundary, quarters; baselines from the frame or from `history`. The
`# change-example:` blocks of docs/schemes.md are scored here as the document shows them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from scoring import SchemeError, parse_scheme, scheme_from_dict, score
from scoring.periods import baseline_period

DOC = Path(__file__).resolve().parents[1] / "docs" / "schemes.md"
_CHANGE = re.compile(r"```yaml\n# change-example: (\S+)\n(.*?)```\n.*?\n(\|.*?)\n\n", re.S)


def _scheme(leaf: dict[str, Any], period_type: str = "month") -> Any:
    """The leaf beside a 5-point direct filler (given full marks), in a scheme of leaf + 5 points."""
    return scheme_from_dict(
        {
            "id": "cmp",
            "name": "比较",
            "version": "1",
            "period_type": period_type,
            "total": leaf["points"] + 5,
            "criteria": [
                {
                    "code": "K",
                    "name": "示例",
                    "items": [leaf, {"code": "F", "name": "其他", "method": "direct", "points": 5}],
                }
            ],
        }
    )


def _score(scheme: Any, now: dict[str, float], before: dict[str, float], history: bool = True) -> Any:
    """Score the `now` periods; `before` periods go in `history` (or in the same frame)."""
    code = scheme.leaves[0].code
    rows = [("U", p, code, v) for p, v in now.items()] + [("U", p, "F", 5.0) for p in now]
    old = [("U", p, code, v) for p, v in before.items()]
    cols = ["unit", "period", "code", "value"]
    if history:
        return score(scheme, pd.DataFrame(rows, columns=cols), history=pd.DataFrame(old, columns=cols))
    old += [("U", p, "F", 5.0) for p in before]
    return score(scheme, pd.DataFrame(rows + old, columns=cols))


def _earned(results: Any, period: str, code: str) -> tuple[float, bool]:
    lv = results.leaves
    row = lv[(lv["period"].astype(str) == period) & (lv["leaf"].astype(str) == code)].iloc[0]
    return float(row["earned"]), bool(row["applicable"])


GROWTH = {
    "code": "C1",
    "name": "业务收入增幅",
    "method": "target",
    "mode": "all_or_nothing",
    "points": 5,
    "target": 10,
    "unit": "万元",
    "compare": "last_year",
    "as": "growth_pct",
}


# -- the document's examples ---------------------------------------------------------------------
def _doc_examples() -> list[tuple[str, dict, list[list[str]]]]:
    out = []
    for name, body, table in _CHANGE.findall(DOC.read_text(encoding="utf-8")):
        lines = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()]
        assert lines[0] == ["本期", "基期", "points"], name
        out.append((name, yaml.safe_load(body), lines[2:]))
    return out


DOC_EXAMPLES = _doc_examples()


def test_the_document_has_its_change_examples() -> None:
    assert [name for name, _, _ in DOC_EXAMPLES] == ["growth-target", "improvement"]


@pytest.mark.parametrize(("name", "leaf", "rows"), DOC_EXAMPLES, ids=[e[0] for e in DOC_EXAMPLES])
def test_change_example(name: str, leaf: dict, rows: list[list[str]]) -> None:
    scheme = _scheme(leaf)
    now_p = "2026-03"
    base_p = baseline_period(now_p, leaf["compare"])
    for now, before, points in rows:
        old = {} if before == "—" else {base_p: float(before)}
        got, _ = _earned(_score(scheme, {now_p: float(now)}, old), now_p, leaf["code"])
        assert got == pytest.approx(float(points), abs=1e-9), f"{name}: {now} vs {before}"


# -- boundaries ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "before", "points"),
    [(1100, 1000, 5), (1099.9, 1000, 0), (11, 10, 5), (110, 100, 5), (-45, -50, 5), (900, 1000, 0)],
)
def test_growth_at_the_target(now: float, before: float, points: float) -> None:
    """(1100 − 1000) × 100 ÷ 1000 = 10 exactly: reached; 1099.9 is 9.99%: not; a rise from −50 to
    −45 is +10% (measured against |−50|)."""
    got = _earned(_score(_scheme(GROWTH), {"2026-03": now}, {"2025-03": before}), "2026-03", "C1")
    assert got == (points, True)


def test_growth_just_below_after_rounding() -> None:
    """decimals: 1 → 9.94% stays 9.9% (unmet); 9.95% rounds to 10.0% (met)."""
    leaf = GROWTH | {"decimals": 1}
    res = _score(_scheme(leaf), {"2026-03": 1099.4, "2026-04": 1099.5}, {"2025-03": 1000, "2025-04": 1000})
    assert _earned(res, "2026-03", "C1") == (0.0, True)
    assert _earned(res, "2026-04", "C1") == (5.0, True)


@pytest.mark.parametrize(
    ("rule", "earned", "applicable", "total"),
    [("not_applicable", 0.0, False, 10.0), ("full", 5.0, True, 10.0), ("zero", 0.0, True, 5.0)],
)
@pytest.mark.parametrize("before", [{}, {"2025-03": 0.0}], ids=["none", "zero"])
def test_no_baseline_rules(rule: str, earned: float, applicable: bool, total: float, before: dict) -> None:
    """No baseline, or 0 under a growth: 不适用 rescales 5 of 5 filler points to 10; full; zero."""
    res = _score(_scheme(GROWTH | {"no_baseline": rule}), {"2026-03": 1200}, before)
    assert _earned(res, "2026-03", "C1") == (earned, applicable)
    assert float(res.units["total"].iloc[0]) == total


def test_change_from_zero_is_a_baseline() -> None:
    """as: change from a baseline of 0 is a change of +3 (only a growth needs a non-zero base)."""
    leaf = GROWTH | {"as": "change", "target": 3, "unit": "家"}
    res = _score(_scheme(leaf), {"2026-03": 3}, {"2025-03": 0})
    assert _earned(res, "2026-03", "C1") == (5.0, True)


def test_last_year_and_previous_across_the_year_boundary() -> None:
    """January's previous period is last December; its same period last year is last January."""
    prev = _scheme(GROWTH | {"compare": "previous"})
    last = _scheme(GROWTH)
    before = {"2025-12": 1000.0, "2025-01": 1200.0}
    assert _earned(_score(prev, {"2026-01": 1100}, before), "2026-01", "C1") == (5.0, True)
    assert _earned(_score(last, {"2026-01": 1100}, before), "2026-01", "C1") == (0.0, True)


def test_quarters() -> None:
    """2026-Q1 against 2025-Q4 (previous) and 2025-Q1 (last_year)."""
    before = {"2025-Q4": 100.0, "2025-Q1": 105.0}
    prev = _scheme(GROWTH | {"compare": "previous"}, "quarter")
    last = _scheme(GROWTH, "quarter")
    assert _earned(_score(prev, {"2026-Q1": 110}, before), "2026-Q1", "C1") == (5.0, True)
    assert _earned(_score(last, {"2026-Q1": 110}, before), "2026-Q1", "C1") == (0.0, True)


def test_baselines_from_the_same_frame() -> None:
    """A long file with several periods: each month measured against the one before, the first
    month without a baseline (不适用: its total is the filler's 5 of 5 rescaled to 10)."""
    scheme = _scheme(GROWTH | {"compare": "previous"})
    res = _score(scheme, {"2026-02": 1100, "2026-03": 1150}, {"2026-01": 1000}, history=False)
    assert _earned(res, "2026-02", "C1") == (5.0, True)
    assert _earned(res, "2026-03", "C1") == (0.0, True)  # 4.5% growth
    assert _earned(res, "2026-01", "C1") == (0.0, False)


def test_the_frame_wins_over_history() -> None:
    scheme = _scheme(GROWTH | {"compare": "previous"})
    cols = ["unit", "period", "code", "value"]
    values = pd.DataFrame(
        [
            ("U", "2026-02", "C1", 1100),
            ("U", "2026-01", "C1", 1000),
            ("U", "2026-02", "F", 5),
            ("U", "2026-01", "F", 5),
        ],
        columns=cols,
    )
    stale = pd.DataFrame([("U", "2026-01", "C1", 1050)], columns=cols)
    assert _earned(score(scheme, values, history=stale), "2026-02", "C1") == (5.0, True)


def test_baseline_lookup_by_table_and_by_hashing_agree() -> None:
    """The frame's own baseline beats the history's, whether the (period, unit) keys are looked up
    in a table (a small key space, the usual case) or by hashing (a sparse one)."""
    from types import SimpleNamespace

    import numpy as np

    from scoring.compare import _first_at

    k = np.array([5, 9, 2, 9, 7, 5])  # the frame's keys 5, 9, 2; the history's 9, 7, 5
    wanted = np.array([9, 7, 5, 3, 2])
    expected = [1, 4, 0, -1, 2]  # 9 and 5 from the frame, 7 from the history, 3 nowhere
    table = SimpleNamespace(period_id={"2026-01": 0, "2026-02": 1}, n_units=5)
    hashed = SimpleNamespace(period_id={"2026-01": 0}, n_units=10_000_000)
    assert _first_at(k, wanted, 3, table).tolist() == expected
    assert _first_at(k, wanted, 3, hashed).tolist() == expected


def test_a_not_applicable_baseline_is_no_baseline() -> None:
    scheme = _scheme(GROWTH | {"no_baseline": "zero"})
    cols = ["unit", "period", "code", "value", "na"]
    values = pd.DataFrame([("U", "2026-03", "C1", 1200, False), ("U", "2026-03", "F", 5, False)], columns=cols)
    history = pd.DataFrame([("U", "2025-03", "C1", None, True)], columns=cols)
    assert _earned(score(scheme, values, history=history), "2026-03", "C1") == (0.0, True)


IMPROVE = {
    "code": "C2",
    "name": "门诊人次",
    "method": "improvement",
    "points": 4,
    "compare": "previous",
    "improvement": {"up": 4, "same": 2, "down": 0},
}


@pytest.mark.parametrize(
    ("direction", "now", "points"),
    [("higher", 101, 4), ("higher", 100, 2), ("higher", 99, 0), ("lower", 99, 4), ("lower", 101, 0)],
)
def test_improvement_ways(direction: str, now: float, points: float) -> None:
    res = _score(_scheme(IMPROVE | {"direction": direction}), {"2026-03": now}, {"2026-02": 100})
    assert _earned(res, "2026-03", "C2") == (points, True)


def test_improvement_from_zero_rises() -> None:
    res = _score(_scheme(IMPROVE), {"2026-03": 5}, {"2026-02": 0})
    assert _earned(res, "2026-03", "C2") == (4.0, True)


# -- traces ----------------------------------------------------------------------------------------
def test_traces() -> None:
    res = _score(_scheme(GROWTH), {"2026-03": 1150}, {"2025-03": 1000})
    ex = res.explain("U", "2026-03").set_index("code")
    assert ex.loc["C1", "trace"] == (
        "本期 1150万元，上年同期（2025年3月）1000万元，增幅 15% → 目标 ≥ 10%，达标；达标得满分，否则不得分，得 5 分"
    )
    assert ex.loc["C1", "rule"] == "与上年同期比增幅：目标 ≥ 10%，达标得满分，否则不得分；无基期数据时本项不适用"
    none = _score(_scheme(GROWTH | {"no_baseline": "full"}), {"2026-03": 1150}, {"2025-03": 0})
    assert none.explain("U", "2026-03").set_index("code").loc["C1", "trace"] == (
        "本期 1150万元，上年同期（2025年3月）为 0，无法计算增幅 → 无基期数据，按方案得满分，得 5 分"
    )
    imp = _score(_scheme(IMPROVE | {"tolerance": 2, "unit": "人次"}), {"2026-03": 97}, {"2026-02": 100})
    row = imp.explain("U", "2026-03").set_index("code").loc["C2"]
    assert row["trace"] == "本期 97人次，上期（2026年2月）100人次，减少 3人次 → 下降，得 0 分"
    assert row["rule"] == (
        "与上期比：提高得 4 分，持平得 2 分，下降得 0 分（变化在 ±2人次 以内为持平）；无基期数据时本项不适用"
    )


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"compare": None, "as": "growth_pct"}, "写了「比较方式」或「无基期数据时」，却没有写「比较基期」"),
        ({"compare": "last_month"}, "的「比较基期」: 必须是 与上期比、与上年同期比 之一"),
        ({"as": "ratio"}, "的「比较方式」: 必须是 增幅（%）、增减量 之一"),
        ({"no_baseline": "skip"}, "的「无基期数据时」: 必须是 不适用、得满分、不得分 之一"),
    ],
)
def test_target_compare_validation(change: dict, message: str) -> None:
    leaf = {k: v for k, v in (GROWTH | change).items() if v is not None}
    with pytest.raises(SchemeError) as err:
        _scheme(leaf)
    assert message in "\n".join(err.value.messages)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"compare": None}, "「逐步提高」须写「比较基期」"),
        ({"improvement": {"up": 3, "same": 2, "down": 0}}, "「提高得分」3 分应等于本项分值 4 分"),
        ({"improvement": {"up": 4, "same": 1, "down": 2}}, "须 提高得分 ≥ 持平得分 ≥ 下降得分"),
        ({"tolerance": -1}, "的「持平容差」: 必须大于或等于 0"),
    ],
)
def test_improvement_validation(change: dict, message: str) -> None:
    leaf = {k: v for k, v in (IMPROVE | change).items() if v is not None}
    with pytest.raises(SchemeError) as err:
        _scheme(leaf)
    assert message in "\n".join(err.value.messages)


def test_yaml_spelling() -> None:
    """`as:` as written in YAML (a Python keyword, so the field is compare_as)."""
    scheme = parse_scheme(yaml.safe_dump({"id": "x", "name": "x", "version": "1", "period_type": "month",
                                          "total": 5, "criteria": [{"code": "K", "name": "k", "items": [GROWTH]}]},
                                         allow_unicode=True))  # fmt: skip
    assert scheme.leaf("C1").derived_as == "growth_pct"


def test_template_says_what_to_enter_for_an_improvement_leaf() -> None:
    from sheets.cells import rules_for
    from sheets.template import _requirement

    scheme = _scheme(IMPROVE | {"unit": "人次"})
    text = _requirement(rules_for(scheme)["C2"], scheme)
    assert text.startswith("4分 · 填本期实际值(人次) · 与上期比：提高得 4 分，持平得 2 分，下降得 0 分")
